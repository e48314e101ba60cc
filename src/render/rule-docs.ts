// The documentation page of a rule (docs/rules/<id>.md), read from the
// package's own files: they sit next to src/ in a clone, next to dist/ in the
// action's checkout and in the npm package. When they are not there (a copied
// bundle), callers fall back to the catalog summary and the docs URL.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let docsDir: string | null | undefined;

/** docs/rules of the package this module belongs to, searched upwards from here (dist/chunks, src/render). */
function rulesDirectory(): string | null {
  if (docsDir !== undefined) return docsDir;
  docsDir = null;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'docs', 'rules');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) {
      docsDir = candidate;
      break;
    }
    dir = path.dirname(dir);
  }
  return docsDir;
}

const cache = new Map<string, string | null>();

/** The markdown page of a rule, or null when the docs are not installed next to the code. */
export function ruleDoc(id: string): string | null {
  const cached = cache.get(id);
  if (cached !== undefined) return cached;
  const dir = rulesDirectory();
  const file = dir === null || !/^[a-z0-9-]+$/.test(id) ? null : path.join(dir, `${id}.md`);
  const doc = file !== null && existsSync(file) ? readFileSync(file, 'utf8') : null;
  cache.set(id, doc);
  return doc;
}
