// The base cache directory in the actions cache: restored by prefix (the
// newest save of the project), saved under a key of the run only when the
// review wrote an entry, without the entries that run did not use. A cache
// kept in a directory stands in for the actions cache (same contract,
// preserving modification times as tar does).
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  restoreBaseCache,
  saveBaseCache,
  type BaseCacheRun,
  type DirectoryCache,
} from '../../src/github/base-cache.ts';

const work = mkdtempSync(path.join(tmpdir(), 'ar-gh-base-cache-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function directoryCache(dir: string): DirectoryCache & { saved: string[] } {
  const saved: string[] = [];
  return {
    saved,
    available: () => true,
    restore: (paths, key, restoreKeys) => {
      const keys = existsSync(dir) ? readdirSync(dir).sort() : [];
      const hit = keys.includes(key)
        ? key
        : keys.filter((k) => restoreKeys.some((p) => k.startsWith(p))).at(-1);
      if (hit === undefined) return Promise.resolve(undefined);
      cpSync(path.join(dir, hit), paths[0] as string, { recursive: true, preserveTimestamps: true });
      return Promise.resolve(hit);
    },
    save: (paths, key) => {
      cpSync(paths[0] as string, path.join(dir, key), { recursive: true, preserveTimestamps: true });
      saved.push(key);
      return Promise.resolve();
    },
  };
}

function entry(dir: string, name: string, ageSeconds = 0): void {
  mkdirSync(dir, { recursive: true });
  for (const ext of ['.sql', '.json']) {
    const file = path.join(dir, `base-${name}${ext}`);
    writeFileSync(file, name);
    const when = new Date(Date.now() - ageSeconds * 1000);
    utimesSync(file, when, when);
  }
}

const run = (dir: string, id: string): BaseCacheRun => ({
  dir,
  project: 'app',
  run: id,
  log: () => undefined,
});

describe('the base cache in the actions cache', () => {
  const cache = directoryCache(path.join(work, 'actions-cache'));

  test('a miss that wrote an entry saves the directory under the run', async () => {
    const dir = path.join(work, 'run1');
    const restored = await restoreBaseCache(cache, run(dir, '1-1'));
    entry(dir, 'aaa');
    await saveBaseCache(cache, run(dir, '1-1'), restored);
    expect(cache.saved).toHaveLength(1);
    expect(cache.saved[0]).toMatch(/^alembic-review-base-v1-.+-1-1$/);
  });

  test('the embedded cluster template stays out of the save', async () => {
    const dir = path.join(work, 'run-template');
    const restored = await restoreBaseCache(cache, run(dir, '9-1'));
    mkdirSync(path.join(dir, 'embedded-cluster/abc/data'), { recursive: true });
    writeFileSync(path.join(dir, 'embedded-cluster/abc/password'), 'secret\n');
    entry(dir, 'ccc');
    const saves = cache.saved.length;
    await saveBaseCache(cache, run(dir, '9-1'), restored);
    expect(cache.saved).toHaveLength(saves + 1);
    const saved = path.join(work, 'actions-cache', cache.saved.at(-1) as string);
    expect(readdirSync(saved)).not.toContain('embedded-cluster');
    rmSync(path.join(work, 'actions-cache', cache.saved.pop() as string), { recursive: true });
  });

  test('a hit writes nothing and saves nothing', async () => {
    const dir = path.join(work, 'run2');
    const restored = await restoreBaseCache(cache, run(dir, '2-1'));
    expect(readdirSync(dir).sort()).toEqual(['base-aaa.json', 'base-aaa.sql']);
    await saveBaseCache(cache, run(dir, '2-1'), restored);
    expect(cache.saved).toHaveLength(1);
  });

  test('a new entry is saved with the entries the run touched, without the others', async () => {
    const dir = path.join(work, 'run3');
    const restored = await restoreBaseCache(cache, run(dir, '3-1'));
    const old = new Date(Date.now() - 3600_000);
    utimesSync(path.join(dir, 'base-aaa.json'), old, old);
    entry(dir, 'bbb');
    await saveBaseCache(cache, run(dir, '3-1'), restored);
    expect(cache.saved).toHaveLength(2);
    expect(readdirSync(dir).sort()).toEqual(['base-bbb.json', 'base-bbb.sql']);
    // The next run restores the newest save.
    const next = path.join(work, 'run4');
    await restoreBaseCache(cache, run(next, '4-1'));
    expect(readdirSync(next).sort()).toEqual(['base-bbb.json', 'base-bbb.sql']);
  });

  test("the base commit's review kept beside an entry is saved when new, and left out when not used", async () => {
    const dir = path.join(work, 'run5');
    const restored = await restoreBaseCache(cache, run(dir, '5-1'));
    // A hit on the entry that reviewed the base again: only the kept review is new.
    utimesSync(path.join(dir, 'base-bbb.json'), new Date(), new Date());
    writeFileSync(path.join(dir, 'baseline-ccc.json'), '{}');
    await saveBaseCache(cache, run(dir, '5-1'), restored);
    expect(cache.saved).toHaveLength(3);
    const next = path.join(work, 'run6');
    const again = await restoreBaseCache(cache, run(next, '6-1'));
    expect(readdirSync(next).sort()).toEqual(['base-bbb.json', 'base-bbb.sql', 'baseline-ccc.json']);
    // Another base commit: a new kept review, the old one untouched.
    const old = new Date(Date.now() - 3600_000);
    utimesSync(path.join(next, 'baseline-ccc.json'), old, old);
    writeFileSync(path.join(next, 'baseline-ddd.json'), '{}');
    await saveBaseCache(cache, run(next, '6-1'), again);
    expect(cache.saved).toHaveLength(4);
    expect(readdirSync(next).sort()).toEqual(['base-bbb.json', 'base-bbb.sql', 'baseline-ddd.json']);
  });
});
