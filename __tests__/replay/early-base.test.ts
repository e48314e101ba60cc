// The warm base restored while the project opens (issue 16): the entry whose
// files read the same on disk is restored before the key is known, handed
// over only when the key turns out to be its own, and never when the files,
// the options or the dump differ; a database not handed over is dropped.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/alembic/protocol.ts';
import { DEFAULT_ACCESS } from '../../src/database/access.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { resolveOptions, type Options } from '../../src/options.ts';
import { BaseCache, type KeyContext } from '../../src/replay/base-cache.ts';
import { EarlyBase } from '../../src/replay/early-base.ts';
import { introspect } from '../../src/schema/introspect.ts';
import { teardownAll } from '../../src/teardown.ts';
import { LOCAL_SERVER_URL, leftoverDatabasesOnLocalServer, query } from '../database/helpers.ts';

const work = mkdtempSync(path.join(tmpdir(), 'ar-early-base-'));
const projectDir = path.join(work, 'project');
const cacheDir = path.join(work, 'cache');
const revisionFile = path.join(projectDir, 'migrations/versions/a1_users.py');
const REVISION = 'revision = "a1a1a1a1a1a1"\n';

const load: LoadResult = {
  scriptLocation: path.join(projectDir, 'migrations'),
  versionLocations: [path.join(projectDir, 'migrations/versions')],
  envPy: path.join(projectDir, 'migrations/env.py'),
  heads: ['a1a1a1a1a1a1'],
  driver: 'psycopg2',
  revisions: [
    {
      id: 'a1a1a1a1a1a1',
      path: revisionFile,
      downRevisions: [],
      dependsOn: [],
      branchLabels: [],
      message: '',
    },
  ],
};

describe('the base restored while the project opens', () => {
  let provider: UrlProvider;
  let options: Options;
  let context: KeyContext;
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
  };

  beforeAll(async () => {
    mkdirSync(path.dirname(revisionFile), { recursive: true });
    writeFileSync(path.join(projectDir, 'migrations/env.py'), '# env.py\n');
    writeFileSync(path.join(projectDir, 'alembic.ini'), '[alembic]\nscript_location = migrations\n');
    writeFileSync(revisionFile, REVISION);
    provider = new UrlProvider(LOCAL_SERVER_URL);
    await provider.start();
    options = resolveOptions({ projectDir, cacheDir });
    context = {
      options,
      load,
      hello: { python: '3.12.1', alembic: '1.16.0', sqlalchemy: '2.0.40' },
      frontier: ['a1a1a1a1a1a1'],
      serverVersion: await provider.serverVersion(),
    };
    const source = await provider.createDatabase('rows');
    await query(
      source.url,
      `CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);
       INSERT INTO users (email) VALUES ('root@example.com');
       CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
       INSERT INTO alembic_version VALUES ('a1a1a1a1a1a1')`,
    );
    const cache = await BaseCache.open(context, log);
    await cache?.save(provider, source, null);
    await provider.dropDatabase(source);
  });
  beforeEach(() => {
    lines.length = 0;
    writeFileSync(revisionFile, REVISION);
  });
  afterAll(async () => {
    await provider.stop();
    await teardownAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('hands over the restored base, with the rows the migrations inserted, when the key is its own', async () => {
    const early = await EarlyBase.start(options, Promise.resolve(provider));
    expect(early).not.toBeNull();
    const cache = await BaseCache.open(context, log);
    const taken = await early?.take(cache as BaseCache, log);
    expect(taken?.database.name).toMatch(/^alembic_review_rows_/);
    expect(await query(taken?.database.url ?? '', 'SELECT email FROM users')).toEqual([
      { email: 'root@example.com' },
    ]);
    expect(lines.join('\n')).toMatch(/base restored from cache while the project opened \(key [0-9a-f]{12}/);
    // Its schema introspected while the project opened: what the replay would introspect now.
    expect(taken?.schema?.tables['public.users']).toBeDefined();
    expect(taken?.schema).toEqual(await introspect(taken?.database.url ?? ''));
    // Once: a second take gets nothing.
    expect(await early?.take(cache as BaseCache, log)).toBeNull();
    if (taken !== null && taken !== undefined) await provider.dropDatabase(taken.database);
  });

  it('hands over no schema when the run adds extensions to the restored base (they change it)', async () => {
    const withExtension = new UrlProvider(LOCAL_SERVER_URL, {
      access: { ...DEFAULT_ACCESS, extraExtensions: ['citext'] },
    });
    await withExtension.start();
    try {
      const early = await EarlyBase.start(options, Promise.resolve(withExtension));
      const taken = await early?.take((await BaseCache.open(context, log)) as BaseCache, log);
      expect(taken?.database.name).toMatch(/^alembic_review_rows_/);
      expect(taken?.schema).toBeNull();
    } finally {
      await withExtension.stop();
    }
  });

  it('drops it, and hands over nothing, when the key turns out to be another (another Alembic)', async () => {
    const before = [...provider.createdDatabases];
    const early = await EarlyBase.start(options, Promise.resolve(provider));
    expect(early).not.toBeNull();
    await early?.settled();
    const made = provider.createdDatabases.filter((name) => !before.includes(name));
    expect(made).toHaveLength(1);
    const other = await BaseCache.open({ ...context, hello: { ...context.hello, alembic: '1.17.0' } }, log);
    expect(other?.key).not.toBe((await BaseCache.open(context, log))?.key);
    expect(await early?.take(other as BaseCache, log)).toBeNull();
    expect(await leftoverDatabasesOnLocalServer(made)).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('restores nothing when a file the key read reads otherwise on disk', async () => {
    writeFileSync(revisionFile, `${REVISION}# edited\n`);
    const before = provider.createdDatabases.length;
    expect(await EarlyBase.start(options, Promise.resolve(provider))).toBeNull();
    expect(provider.createdDatabases).toHaveLength(before);
  });

  it('restores nothing under other options, or with the cache off', async () => {
    expect(await EarlyBase.start({ ...options, seedRows: 7 }, Promise.resolve(provider))).toBeNull();
    expect(await EarlyBase.start({ ...options, cacheDir: null }, Promise.resolve(provider))).toBeNull();
    expect(
      await EarlyBase.start({ ...options, baseFrom: { kind: 'models' } }, Promise.resolve(provider)),
    ).toBeNull();
  });

  it('never restores a dump that does not match its checksum', async () => {
    const sqlFile = path.join(cacheDir, `base-${(await BaseCache.open(context, log))?.key ?? ''}.sql`);
    const sound = readFileSync(sqlFile, 'utf8');
    writeFileSync(sqlFile, `${sound}\nDROP TABLE users;\n`);
    try {
      expect(await EarlyBase.start(options, Promise.resolve(provider))).toBeNull();
    } finally {
      writeFileSync(sqlFile, sound);
    }
  });
});
