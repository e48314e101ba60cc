// The pg_dump behind the warm base: one of the server's major version, found
// on this machine or, for testcontainers, the container's own; none at all
// is a reason to skip the cache, never an error.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpDatabase, majorVersion } from '../../src/database/dump.ts';
import type { DatabaseProvider, ThrowawayDatabase } from '../../src/database/provider.ts';
import { TestcontainersProvider } from '../../src/database/testcontainers.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { LOCAL_URL } from '../helpers/alembic-project.ts';
import { LOCAL_IMAGE } from './helpers.ts';

const started: DatabaseProvider[] = [];
afterAll(async () => {
  for (const provider of started) await provider.stop();
});

async function withTable(provider: DatabaseProvider): Promise<ThrowawayDatabase> {
  await provider.start();
  started.push(provider);
  const database = await provider.createDatabase('dump');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(
    "CREATE TABLE kept (id int PRIMARY KEY, name text); INSERT INTO kept VALUES (1, 'row one')",
  );
  await client.end();
  return database;
}

describe('dumpDatabase', () => {
  it('reads the major version the way servers and pg_dump print it', () => {
    expect(majorVersion('15.20 (Debian 15.20-0+deb12u1)')).toBe(15);
    expect(majorVersion('9.6.24')).toBe(9);
    expect(majorVersion('17beta1')).toBe(17);
    expect(majorVersion('unknown')).toBeNull();
  });

  it("dumps schema and rows with this machine's pg_dump of the server's major, and skips without one", async () => {
    const provider = new UrlProvider(LOCAL_URL);
    const database = await withTable(provider);
    const major = majorVersion(await provider.serverVersion()) ?? 0;
    const dumped = await dumpDatabase(provider, database, major);
    if ('skipped' in dumped) throw new Error(dumped.skipped);
    expect(dumped.by).toMatch(/pg_dump$/);
    expect(dumped.sql).toContain('CREATE TABLE public.kept');
    expect(dumped.sql).toContain("'row one'");
    expect(dumped.sql).not.toMatch(/OWNER TO|GRANT /);
    expect(await dumpDatabase(provider, database, 99)).toEqual({
      skipped: 'no pg_dump 99 on this machine (the server is PostgreSQL 99)',
    });
  });

  it("uses the container's own pg_dump when this machine has none of that major", async () => {
    const provider = new TestcontainersProvider({ image: LOCAL_IMAGE });
    const database = await withTable(provider);
    // No machine has a pg_dump 99: the container's own is the one that matches its server.
    const dumped = await dumpDatabase(provider, database, 99);
    if ('skipped' in dumped) throw new Error(dumped.skipped);
    expect(dumped.by).toMatch(/^pg_dump in container [0-9a-f]{12}$/);
    expect(dumped.sql).toContain("'row one'");
  });
});
