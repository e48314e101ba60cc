// The base commit's review kept beside the warm base. What main already has
// (its models' drift and ORM findings on the base schema) and what the
// running release's models fail on at the base with the seeded rows (the
// deploy-order check's control) depend on the base frontier (the warm base's
// key), the base commit's own tree (its sha) and this tool's checks, nothing
// of the pull request: kept under a key of those three, a hit spares the base
// review its two databases and the work done in them. Anything wrong with
// the file (another key or format, not parseable) is a miss.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { access, mkdir, readFile, rename, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bridgeScriptPath } from '../alembic/bridge.ts';
import { loadArgs } from '../alembic/project.ts';
import type { Finding } from '../model.ts';
import type { Options } from '../options.ts';
import { TOOL } from '../version.ts';

/** Bumped whenever what the file holds changes. */
export const BASELINE_FORMAT = 1;

interface KeptFile {
  format: number;
  key: string;
  /** The base review's findings (origin "base"). */
  findings: Finding[];
  /** The control's failures (class|statement|SQLSTATE), by how the base got its rows ("rows=3"). */
  control: Record<string, string[]>;
  createdAt: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

let checksVersion: string | undefined;

/**
 * What decides the checks themselves: the tool's version, the bridge's
 * Python and the code running this (bundled, a chunk whose name is its
 * content's hash), so that a changed check never reads an old result.
 */
function checks(): string {
  if (checksVersion !== undefined) return checksVersion;
  const bridge = path.join(path.dirname(bridgeScriptPath()), 'alembic_review_bridge');
  const sources = readdirSync(bridge)
    .filter((name) => name.endsWith('.py'))
    .sort()
    .map((name) => `${name}:${sha256(readFileSync(path.join(bridge, name), 'utf8'))}`);
  const self = fileURLToPath(import.meta.url);
  checksVersion = sha256(
    JSON.stringify([TOOL.version, path.basename(self), sha256(readFileSync(self, 'utf8')), sources]),
  );
  return checksVersion;
}

/**
 * What the base commit's code sees of this run beyond its tree, as the warm
 * base's key does not hold it: the Python it runs with (another virtualenv
 * may have other packages at the same versions), the load's settings (the
 * dotenv variables among them) and the pass-env variables (their values
 * hashed: a secret never lands in the file).
 */
export function baselineSettings(options: Options, python: string): string {
  return JSON.stringify({
    python,
    load: sha256(JSON.stringify(loadArgs(options))),
    passEnv: options.passEnv.map((name) => `${name}=${sha256(process.env[name] ?? '')}`),
  });
}

/** The key: the warm base's key, the base commit, the run's settings, the checks. */
export function baselineKey(baseKey: string, baseCommit: string, settings: string): string {
  return sha256(JSON.stringify({ format: BASELINE_FORMAT, baseKey, baseCommit, settings, checks: checks() }));
}

const fileOf = (dir: string, key: string): string => path.join(dir, `baseline-${key}.json`);

/** Whether a kept review is there for this base and commit (before the project is loaded: a guess). */
export async function baselineKept(
  dir: string,
  baseKey: string,
  baseCommit: string,
  settings: string,
): Promise<boolean> {
  try {
    await access(fileOf(dir, baselineKey(baseKey, baseCommit, settings)));
    return true;
  } catch {
    return false;
  }
}

/** One run's kept base review: read once, written back when the run added to it. */
export class KeptBaseline {
  readonly #file: string;
  readonly #key: string;
  readonly #kept: KeptFile | null;
  #findings: Finding[] | null;
  readonly #control: Record<string, string[]>;
  #changed = false;

  private constructor(file: string, key: string, kept: KeptFile | null) {
    this.#file = file;
    this.#key = key;
    this.#kept = kept;
    this.#findings = kept?.findings ?? null;
    this.#control = { ...kept?.control };
  }

  static async open(
    dir: string,
    baseKey: string,
    baseCommit: string,
    settings: string,
  ): Promise<KeptBaseline> {
    const key = baselineKey(baseKey, baseCommit, settings);
    const file = fileOf(dir, key);
    let kept: KeptFile | null = null;
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Record<keyof KeptFile, unknown>>;
      if (
        parsed.format === BASELINE_FORMAT &&
        parsed.key === key &&
        Array.isArray(parsed.findings) &&
        typeof parsed.control === 'object' &&
        parsed.control !== null
      )
        kept = parsed as KeptFile;
    } catch {
      // No file, or not one of ours: a miss.
    }
    if (kept !== null) {
      // Marks it used: the action keeps the entries a run touched.
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined);
    }
    return new KeptBaseline(file, key, kept);
  }

  get shortKey(): string {
    return this.#key.slice(0, 12);
  }

  /** The base review's findings when kept; null on a miss. */
  get findings(): Finding[] | null {
    return this.#findings;
  }

  /** The control's failures for this seeding, when kept. */
  control(seeding: string): ReadonlySet<string> | null {
    const failures = this.#control[seeding];
    return failures === undefined ? null : new Set(failures);
  }

  /** The base review as it came out (only a complete one is kept). */
  setFindings(findings: readonly Finding[]): void {
    if (this.#findings !== null) return;
    this.#findings = [...findings];
    this.#changed = true;
  }

  setControl(seeding: string, failures: Iterable<string>): void {
    this.#control[seeding] = [...new Set(failures)].sort();
    this.#changed = true;
  }

  /** Writes the file when this run added to it; whether it did. Never throws. */
  async save(): Promise<boolean> {
    if (!this.#changed || this.#findings === null) return false;
    const kept: KeptFile = {
      format: BASELINE_FORMAT,
      key: this.#key,
      findings: this.#findings,
      control: this.#control,
      createdAt: this.#kept?.createdAt ?? new Date().toISOString(),
    };
    try {
      await mkdir(path.dirname(this.#file), { recursive: true, mode: 0o700 });
      // Written aside and renamed: a concurrent run reads a whole file or none.
      const aside = `${this.#file}.tmp-${process.pid}`;
      await writeFile(aside, JSON.stringify(kept, null, 2), { mode: 0o600 });
      await rename(aside, this.#file);
      this.#changed = false;
      return true;
    } catch {
      return false;
    }
  }
}
