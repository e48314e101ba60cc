// The warm base on GitHub: the cache directory (src/replay/base-cache.ts) is
// restored from the actions cache before the review and saved after it when
// the review wrote a new entry. An actions cache entry cannot be
// overwritten, so each save gets a key of its own (the run) and the restore
// takes the newest under the project's prefix. Entries this run neither used
// nor wrote are left out of the save, so the directory does not grow.
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CLUSTER_TEMPLATES } from '../database/cluster-template.ts';

/** The actions cache, as far as this needs it (tests give their own). */
export interface DirectoryCache {
  available: () => boolean;
  restore: (paths: string[], key: string, restoreKeys: string[]) => Promise<string | undefined>;
  save: (paths: string[], key: string) => Promise<void>;
}

export interface BaseCacheRun {
  dir: string;
  /** The project's directory relative to the workspace: one line of entries per project. */
  project: string;
  /** Unique per run and attempt. */
  run: string;
  log: (line: string) => void;
}

function prefix(run: BaseCacheRun): string {
  const project = createHash('sha256').update(run.project).digest('hex').slice(0, 12);
  return `alembic-review-base-v1-${process.env.RUNNER_OS ?? process.platform}-${project}-`;
}

/** What the directory held after the restore, for the save. */
export interface Restored {
  started: Date;
  entries: Set<string>;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.json'));
  } catch {
    return []; // no directory: nothing cached
  }
}

/** Restores the newest saved directory for the project. */
export async function restoreBaseCache(cache: DirectoryCache, run: BaseCacheRun): Promise<Restored> {
  const started = new Date(Date.now() - 1000);
  if (cache.available()) {
    try {
      const hit = await cache.restore([run.dir], `${prefix(run)}${run.run}`, [prefix(run)]);
      if (hit !== undefined) run.log(`alembic-review: base cache directory restored (${hit})`);
    } catch (error) {
      run.log(`alembic-review: the base cache could not be read (${(error as Error).message}); replaying`);
    }
  }
  return { started, entries: new Set(await entries(run.dir)) };
}

/** Saves the directory when the review wrote an entry, with only the entries this run used. */
export async function saveBaseCache(
  cache: DirectoryCache,
  run: BaseCacheRun,
  restored: Restored,
): Promise<void> {
  if (!cache.available()) return;
  const names = await entries(run.dir);
  if (names.every((name) => restored.entries.has(name))) return;
  for (const name of names) {
    const file = path.join(run.dir, name);
    // A hit touches its entry (src/replay/base-cache.ts): the others are left out.
    if ((await stat(file)).mtime < restored.started) {
      await rm(file, { force: true });
      await rm(file.replace(/\.json$/, '.sql'), { force: true });
    }
  }
  // The embedded cluster's template (src/database/cluster-template.ts) stays on the runner:
  // forty megabytes, and as quick to make again there as to download.
  await rm(path.join(run.dir, CLUSTER_TEMPLATES), { recursive: true, force: true });
  try {
    await cache.save([run.dir], `${prefix(run)}${run.run}`);
    run.log('alembic-review: base cache directory saved');
  } catch (error) {
    run.log(`alembic-review: the base cache was not saved (${(error as Error).message})`);
  }
}

/** The actions cache (@actions/cache), when the runner provides it. */
export async function actionsDirectoryCache(): Promise<DirectoryCache> {
  const cache = await import('@actions/cache');
  return {
    available: () => cache.isFeatureAvailable(),
    restore: (paths, key, restoreKeys) => cache.restoreCache(paths, key, restoreKeys),
    save: async (paths, key) => {
      await cache.saveCache(paths, key);
    },
  };
}
