// The embedded cluster as initdb left it, kept in the cache directory: the
// next embedded start copies it (some 40 MB, a twentieth of a second on a
// tmpfs) instead of running initdb (half a second). Saved before its server
// ever started, so nothing a review ran can have touched it; with the admin
// password initdb was given, kept beside it readable by this user only, and
// replaced by the run's own password once the copy's server is up. Keyed by
// the binaries (their paths, sizes and times) and initdb's arguments: other
// binaries make another template (one no start used for a month is removed).
// One that is not this user's alone, or lacks a file, is not used.
import { createHash } from 'node:crypto';
import { chmodSync, cpSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import type { Account } from '../system/accounts.ts';
import { chownTree } from '../system/chown-tree.ts';

export interface ClusterTemplate {
  /** The template's directory in the cache. */
  dir: string;
  /** The admin password its cluster was made with. */
  password: string;
}

/** Bumped when what a template holds changes. */
const FORMAT = 1;
/** The cache directory's subdirectory of templates. */
export const CLUSTER_TEMPLATES = 'embedded-cluster';

/** The template's name for these binaries and initdb arguments. */
export async function templateKey(
  binaries: { initdb: string; postgres: string },
  initdbArgs: readonly string[],
): Promise<string> {
  const identity = await Promise.all(
    [binaries.initdb, binaries.postgres].map(async (file) => {
      const info = await stat(file);
      return { file, size: info.size, mtimeMs: info.mtimeMs };
    }),
  );
  const hash = createHash('sha256').update(JSON.stringify({ FORMAT, identity, initdbArgs }));
  return hash.digest('hex').slice(0, 24);
}

/** The template under this key, when it is whole and only this user can change it. */
export async function findTemplate(cacheDir: string, key: string): Promise<ClusterTemplate | null> {
  const dir = path.join(cacheDir, CLUSTER_TEMPLATES, key);
  try {
    const info = await lstat(dir);
    const own = process.getuid?.();
    if (!info.isDirectory() || (own !== undefined && info.uid !== own) || (info.mode & 0o077) !== 0)
      return null;
    await stat(path.join(dir, 'data', 'PG_VERSION'));
    const password = (await readFile(path.join(dir, 'password'), 'utf8')).trim();
    if (password === '') return null;
    // Used now: kept by the pruning of templates no start has used for a while (saveTemplate).
    const now = new Date();
    await utimes(dir, now, now).catch(() => undefined);
    return { dir, password };
  } catch {
    return null;
  }
}

/** Copies the template's cluster to dataDir (which must not exist), made the cluster user's. */
export function copyTemplate(template: ClusterTemplate, dataDir: string, owner: Account | undefined): void {
  cpSync(path.join(template.dir, 'data'), dataDir, { recursive: true, preserveTimestamps: true });
  // PostgreSQL starts only on a data directory its user alone may enter.
  chmodSync(dataDir, 0o700);
  if (owner !== undefined) chownTree(dataDir, owner);
}

/**
 * Keeps dataDir (fresh from initdb, its server not started) as the template
 * under key; written beside and renamed, so that a template is whole or
 * absent. A failure only costs the next start its initdb.
 */
export async function saveTemplate(
  cacheDir: string,
  key: string,
  dataDir: string,
  password: string,
): Promise<boolean> {
  const parent = path.join(cacheDir, CLUSTER_TEMPLATES);
  let staging: string | undefined;
  try {
    await mkdir(parent, { recursive: true, mode: 0o700 });
    staging = await mkdtemp(path.join(parent, `.${key}-`));
    // The copy is this user's (cpSync does not keep the owner), like the rest of the cache; each run's copy of it becomes the cluster user's.
    cpSync(dataDir, path.join(staging, 'data'), { recursive: true, preserveTimestamps: true });
    await writeFile(path.join(staging, 'password'), `${password}\n`, { mode: 0o600 });
    await chmod(staging, 0o700);
    await rename(staging, path.join(parent, key));
    staging = undefined;
    await pruneTemplates(parent, key);
    return true;
  } catch {
    return false;
  } finally {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  }
}

/** Templates of other binaries no start has used for a month (an upgraded package leaves its old one). */
const UNUSED_MS = 30 * 24 * 3600 * 1000;

async function pruneTemplates(parent: string, kept: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [])) {
    if (name === kept || name.startsWith('.')) continue;
    const dir = path.join(parent, name);
    const info = await stat(dir).catch(() => null);
    if (info !== null && Date.now() - info.mtimeMs > UNUSED_MS)
      await rm(dir, { recursive: true, force: true });
  }
}

/** Removes a template that did not start (the next start runs initdb and saves another). */
export async function dropTemplate(template: ClusterTemplate): Promise<void> {
  await rm(template.dir, { recursive: true, force: true });
}
