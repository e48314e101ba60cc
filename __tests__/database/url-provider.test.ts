import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/database/embedded.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { UsageError } from '../../src/errors.ts';
import { pendingTeardowns, teardownAll } from '../../src/teardown.ts';
import {
  LOCAL_SERVER_URL,
  exerciseProvider,
  leftoverDatabasesOnLocalServer,
  query,
  startChild,
  terminate,
} from './helpers.ts';

describe('url provider (PostgreSQL at 127.0.0.1:5432)', () => {
  // A failing assertion must not leave servers or databases behind either.
  afterAll(() => teardownAll());

  it('creates two usable, distinct, token-marked databases and drops them on stop()', async () => {
    const lines: string[] = [];
    const provider = new UrlProvider(LOCAL_SERVER_URL, { log: (line) => lines.push(line) });
    await provider.start();
    expect(provider.kind).toBe('url');
    const databases = await exerciseProvider(provider);
    expect(provider.createdDatabases.sort()).toEqual(databases.map((d) => d.name).sort());
    expect(await leftoverDatabasesOnLocalServer(databases.map((d) => d.name))).toHaveLength(2);
    const role = provider.roleName ?? '';
    expect(role).toMatch(/^alembic_review_r_[0-9a-f]{10}$/);
    expect(provider.access?.role).toBe('restricted');
    // This server trusts local connections: the review says what that means.
    expect(provider.access?.warnings.join('\n')).toContain('without a password (trust authentication)');

    await provider.stop();
    await provider.stop(); // idempotent
    expect(await leftoverDatabasesOnLocalServer(databases.map((d) => d.name))).toEqual([]);
    expect(await query(LOCAL_SERVER_URL, 'SELECT rolname FROM pg_roles WHERE rolname = $1', [role])).toEqual(
      [],
    );
    expect(pendingTeardowns()).toEqual([]);
    expect(lines.join('\n')).toMatch(/using PostgreSQL \d+/);
  });

  it('leaves nothing behind after a failure followed by teardownAll()', async () => {
    const provider = new UrlProvider(LOCAL_SERVER_URL);
    const names: string[] = [];
    await expect(
      (async () => {
        await provider.start();
        names.push((await provider.createDatabase('failing')).name);
        names.push((await provider.createDatabase('failing')).name);
        throw new Error('boom in the middle of a review');
      })(),
    ).rejects.toThrow('boom');
    expect(await leftoverDatabasesOnLocalServer(names)).toHaveLength(2);
    expect(pendingTeardowns()).toHaveLength(1);
    await teardownAll();
    expect(await leftoverDatabasesOnLocalServer(names)).toEqual([]);
    await provider.stop(); // still fine afterwards
  });

  it('drops its databases when the process gets SIGTERM (exit 143)', async () => {
    const run = await startChild('url', LOCAL_SERVER_URL);
    const names = run.details.databases as string[];
    expect(names).toEqual([run.details.database.name]);
    expect(await leftoverDatabasesOnLocalServer(names)).toEqual(names);
    expect(await terminate(run.child)).toBe(143);
    expect(await leftoverDatabasesOnLocalServer(names)).toEqual([]);
  });

  it('never touches the database named in the URL', async () => {
    const marker = `probe_${randomBytes(4).toString('hex')}`;
    const before = await query<{ n: number }>(
      LOCAL_SERVER_URL,
      "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace",
    );
    const provider = new UrlProvider(LOCAL_SERVER_URL);
    await provider.start();
    const database = await provider.createDatabase(marker);
    expect(database.url).toMatch(
      new RegExp(
        `^postgresql://alembic_review_r_[0-9a-f]{10}:[A-Za-z0-9_-]{20,}@127\\.0\\.0\\.1:5432/${database.name}$`,
      ),
    );
    await provider.stop();
    const after = await query<{ n: number }>(
      LOCAL_SERVER_URL,
      "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace",
    );
    expect(after).toEqual(before);
  });

  it('reports an unreachable server as a database UsageError naming host:port, password redacted', async () => {
    const port = await freePort();
    const provider = new UrlProvider(`postgresql://someone:s3cret-pw@127.0.0.1:${port}/app`, {
      connectTimeoutMs: 3000,
    });
    const error = await provider.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).kind).toBe('database');
    expect((error as UsageError).message).toContain(`127.0.0.1:${port}`);
    expect((error as UsageError).message).toContain('someone:***@');
    expect((error as UsageError).message).not.toContain('s3cret-pw');
    expect(pendingTeardowns()).toEqual([]);
  });

  describe('with a role that lacks CREATEDB', () => {
    const role = `alembic_review_nocreatedb_${randomBytes(4).toString('hex')}`;
    beforeAll(async () => {
      await query(LOCAL_SERVER_URL, `CREATE ROLE ${role} LOGIN NOCREATEDB PASSWORD 'pw-${role}'`);
    });
    afterAll(async () => {
      await query(LOCAL_SERVER_URL, `DROP ROLE IF EXISTS ${role}`);
    });

    it('refuses with a database UsageError that says what to grant', async () => {
      const provider = new UrlProvider(`postgresql://${role}:pw-${role}@127.0.0.1:5432/postgres`);
      const error = await provider.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).kind).toBe('database');
      expect((error as UsageError).message).toContain('127.0.0.1:5432');
      expect((error as UsageError).message).toContain(`ALTER ROLE "${role}" CREATEDB`);
      expect((error as UsageError).message).not.toContain(`pw-${role}`);
    });
  });
});
