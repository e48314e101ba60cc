// The further copies of a warm base (issue 16): on a hit, the base review's
// database is restored from the cache entry like the base itself, not copied
// with CREATE DATABASE … TEMPLATE from the database the replay goes on with;
// the base without rows only when a stage asks for it; a copy that does not
// restore leaves no database behind.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseProvider, ThrowawayDatabase } from '../../src/database/provider.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { BaseSource } from '../../src/checks/data/adversarial.ts';
import { BaseCache } from '../../src/replay/base-cache.ts';
import type { ReplayPlan } from '../../src/replay/plan.ts';
import { restoreBase, type ReplayContext } from '../../src/replay/replay.ts';
import { teardownAll } from '../../src/teardown.ts';
import { LOCAL_SERVER_URL, leftoverDatabasesOnLocalServer, query } from '../database/helpers.ts';

const work = mkdtempSync(path.join(tmpdir(), 'ar-base-copies-'));
const KEY = 'c'.repeat(64);
// A revision that may fail on rows (nothing known of its source), and one that cannot.
const PLAN = { frontier: ['a1a1a1a1a1a1'], replayed: [{ id: 'b1b1b1b1b1b1' }] } as unknown as ReplayPlan;
const SAFE_PLAN = {
  frontier: ['a1a1a1a1a1a1'],
  replayed: [{ id: 'b1b1b1b1b1b1', upgradeMayFailOnRows: false }],
} as unknown as ReplayPlan;

/** The provider, recording the databases it made and which were copies of another. */
function recording(inner: UrlProvider): { provider: DatabaseProvider; made: string[]; templated: string[] } {
  const made: string[] = [];
  const templated: string[] = [];
  const provider = Object.create(inner) as DatabaseProvider;
  provider.createDatabase = async (purpose: string, template?: ThrowawayDatabase) => {
    if (template !== undefined) templated.push(purpose);
    const database = await inner.createDatabase(purpose, template);
    made.push(database.name);
    return database;
  };
  provider.dropDatabase = (database: ThrowawayDatabase) => inner.dropDatabase(database);
  return { provider, made, templated };
}

/** What restoreBase() needs of a replay's context: the provider (no bridge: nothing is upgraded). */
function replayContext(provider: DatabaseProvider): ReplayContext {
  return { provider, log: () => undefined } as unknown as ReplayContext;
}

describe('copies of a base restored from the cache', () => {
  let inner: UrlProvider;
  let major: number;

  beforeAll(async () => {
    inner = new UrlProvider(LOCAL_SERVER_URL);
    await inner.start();
    major = Number(/^(\d+)/.exec(await inner.serverVersion())?.[1]);
    const source = await inner.createDatabase('rows');
    await query(
      source.url,
      `CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);
       CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
       INSERT INTO alembic_version VALUES ('a1a1a1a1a1a1')`,
    );
    await new BaseCache(work, KEY, PLAN.frontier, major, () => undefined).save(inner, source, null);
    await inner.dropDatabase(source);
  });
  afterAll(async () => {
    await inner.stop();
    await teardownAll();
    rmSync(work, { recursive: true, force: true });
  });

  /** restoreBase() from the entry written in beforeAll, asking for these copies. */
  function restoreFromEntry(
    provider: DatabaseProvider,
    copies: string[],
    plan: ReplayPlan = PLAN,
  ): ReturnType<typeof restoreBase> {
    const cache = new BaseCache(work, KEY, plan.frontier, major, () => undefined);
    return restoreBase(replayContext(provider), plan, cache, copies);
  }

  it('restores each copy asked for from the entry, none made from a template', async () => {
    const { provider, templated } = recording(inner);
    const restored = await restoreFromEntry(provider, ['base']);
    expect(restored).not.toBeNull();
    const copy = await restored?.copies.get('base');
    expect(copy?.name).toMatch(/^alembic_review_base_/);
    expect(copy?.name).not.toBe(restored?.database.name);
    expect(await query(copy?.url ?? '', 'SELECT version_num FROM alembic_version')).toEqual([
      { version_num: 'a1a1a1a1a1a1' },
    ]);
    expect(await query(copy?.url ?? '', "SELECT to_regclass('users') IS NOT NULL AS users")).toEqual([
      { users: true },
    ]);
    expect(templated).toEqual([]);
  });

  for (const [label, plan] of [
    ['no revision may fail on rows', SAFE_PLAN],
    [
      'a revision may fail on rows (the replay then asks at once, unless the seeded rows can come out again)',
      PLAN,
    ],
  ] as const) {
    it(`restores the base without rows only when asked for, once, when ${label}`, async () => {
      const { provider, made } = recording(inner);
      const restored = await restoreFromEntry(provider, [], plan);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(made).toEqual([restored?.database.name]); // the base the replay goes on with
      const empty = await restored?.withoutRows?.();
      expect(made).toEqual([restored?.database.name, empty?.name]);
      expect(empty?.name).toMatch(/^alembic_review_empty_/);
      expect(await restored?.withoutRows?.()).toBe(empty); // one copy, however often asked
      expect(made).toHaveLength(2);
      expect(await query(empty?.url ?? '', 'SELECT version_num FROM alembic_version')).toEqual([
        { version_num: 'a1a1a1a1a1a1' },
      ]);
      expect(await query(empty?.url ?? '', 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 0 }]);
    });
  }

  it('gives the adversarial replays the base without rows restored from the entry, not an upgrade', async () => {
    const { provider, made } = recording(inner);
    const context = replayContext(provider); // no bridge: no upgrade
    const restored = await restoreFromEntry(provider, []);
    const bases = new BaseSource(context, restored?.withoutRows ?? null, PLAN.frontier);
    const taken = await bases.take();
    expect(taken.name).toMatch(/^alembic_review_empty_/);
    expect([...made].sort()).toEqual([restored?.database.name, taken.name].sort());
    expect(await query(taken.url, 'SELECT version_num FROM alembic_version')).toEqual([
      { version_num: 'a1a1a1a1a1a1' },
    ]);
  });

  it('drops the base and every copy when the entry does not restore', async () => {
    // A consistent entry (checksum recomputed) whose SQL fails.
    const sqlFile = path.join(work, `base-${KEY}.sql`);
    const metaFile = path.join(work, `base-${KEY}.json`);
    const broken = `${readFileSync(sqlFile, 'utf8')}\nSELECT 1/0;\n`;
    writeFileSync(sqlFile, broken);
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      metaFile,
      JSON.stringify({ ...meta, sha256: createHash('sha256').update(broken).digest('hex') }),
    );
    expect(readdirSync(work)).toHaveLength(2);
    const { provider, made } = recording(inner);
    const restored = await restoreFromEntry(provider, ['base', 'code-first']);
    expect(restored).toBeNull();
    expect(made).toHaveLength(3); // the base and the two copies
    expect(await leftoverDatabasesOnLocalServer(made)).toEqual([]);
  });
});
