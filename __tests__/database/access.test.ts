// The run's own role: what it may do and what not, that it goes away with
// the run (also when it left objects in a database that is not ours), and
// the extensions created for it.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ROLE_PREFIX, extensionsIn, scramVerifier } from '../../src/database/access.ts';
import { EmbeddedProvider } from '../../src/database/embedded.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { teardownAll } from '../../src/teardown.ts';
import { createTestRole } from '../helpers/cli.ts';
import { LOCAL_SERVER_URL, query } from './helpers.ts';

afterAll(() => teardownAll());

async function roleAttributes(url: string, role: string) {
  const rows = await query<Record<string, unknown>>(
    url,
    `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin,
            (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships
       FROM pg_roles r WHERE rolname = $1`,
    [role],
  );
  return rows[0];
}

describe('extensionsIn', () => {
  it.each([
    ['op.execute("CREATE EXTENSION postgis")', ['postgis']],
    ['op.execute(\'create extension if not exists "uuid-ossp" schema public\')', ['uuid-ossp']],
    ['op.execute("CREATE  EXTENSION IF NOT EXISTS PG_TRGM")', ['pg_trgm']],
    ['op.execute("DROP EXTENSION postgis")', []],
    ['op.execute("CREATE TABLE extension_log (id int)")', []],
  ])('%s', (source, expected) => {
    expect(extensionsIn(source)).toEqual(expected);
  });
});

describe('the run role', () => {
  it('is a scram login that owns the run databases and may do nothing else; dropped by stop()', async () => {
    const role = await createTestRole();
    const provider = new UrlProvider(role.url);
    try {
      await provider.start();
      const database = await provider.createDatabase('access');
      const name = provider.roleName ?? '';
      expect(name.startsWith(ROLE_PREFIX)).toBe(true);
      expect(await roleAttributes(LOCAL_SERVER_URL, name)).toEqual({
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolreplication: false,
        rolbypassrls: false,
        rolcanlogin: true,
        memberships: 0,
      });
      const stored = await query<{ secret: string }>(
        LOCAL_SERVER_URL,
        'SELECT rolpassword AS secret FROM pg_authid WHERE rolname = $1',
        [name],
      );
      // A SCRAM verifier: the password itself never went to the server.
      expect(stored[0]?.secret).toMatch(/^SCRAM-SHA-256\$4096:/);
      expect(await query(database.url, 'SELECT current_user AS me')).toEqual([{ me: name }]);
      expect(
        await query(
          LOCAL_SERVER_URL,
          'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
          [database.name],
        ),
      ).toEqual([{ owner: name }]);

      // Something it may still do on a shared server: a large object in postgres.
      await query(database.url.replace(/\/[^/]+$/, '/postgres'), 'SELECT lo_create(0)');
      await provider.stop();
      expect(await query(LOCAL_SERVER_URL, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).toEqual([]);
      expect(await role.databases()).toEqual([]);
      expect(await role.roles()).toEqual([]);
    } finally {
      await provider.stop();
      await role.drop();
    }
  });

  it('falls back to the URL role, with a notice, when that role may not create roles', async () => {
    const name = `ar_test_nocreaterole_${randomBytes(4).toString('hex')}`;
    await query(LOCAL_SERVER_URL, `CREATE ROLE ${name} LOGIN CREATEDB`);
    const provider = new UrlProvider(`postgresql://${name}@127.0.0.1:5432/postgres`);
    try {
      await provider.start();
      expect(provider.access?.role).toBe('server-role');
      expect(provider.access?.warnings.join('\n')).toContain('may not create roles (it has no CREATEROLE)');
      const database = await provider.createDatabase('fallback');
      expect(await query(database.url, 'SELECT current_user AS me')).toEqual([{ me: name }]);
    } finally {
      await provider.stop();
      await query(LOCAL_SERVER_URL, `DROP ROLE ${name}`);
    }
  });

  it('creates the untrusted extensions asked for, in every database, and not the trusted ones', async () => {
    const provider = new EmbeddedProvider({
      access: {
        databaseRole: 'restricted',
        revisionExtensions: ['dblink', 'hstore', 'nope_no_such'],
        extraExtensions: [],
      },
    });
    try {
      await provider.start();
      expect(await provider.extensionsDecided()).toEqual(['dblink']);
      expect(provider.access?.extensions).toEqual(['dblink']);
      const database = await provider.createDatabase('ext');
      const installed = await query<{ extname: string }>(
        database.url,
        "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1",
      );
      expect(installed).toEqual([{ extname: 'dblink' }]);
      // hstore is trusted: the owner creates it itself.
      await query(database.url, 'CREATE EXTENSION hstore');
      const copy = await provider.createDatabase('copy', database);
      expect(
        (await query<{ extname: string }>(copy.url, 'SELECT extname FROM pg_extension ORDER BY 1')).map(
          (r) => r.extname,
        ),
      ).toEqual(['dblink', 'hstore', 'plpgsql']);
    } finally {
      await provider.stop();
    }
  });

  it('starts before the revisions are known: a database made meanwhile gets their extensions once they are', async () => {
    let known: (names: readonly string[]) => void = () => undefined;
    const provider = new EmbeddedProvider({
      access: {
        databaseRole: 'restricted',
        revisionExtensions: new Promise<readonly string[]>((resolve) => {
          known = resolve;
        }),
        extraExtensions: [],
      },
    });
    try {
      await provider.start();
      const creating = provider.createDatabase('early');
      let created = false;
      void creating.then(() => {
        created = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Created, but not handed out before its extensions are in it.
      expect(created).toBe(false);
      known(['dblink']);
      const database = await creating;
      expect(
        await query<{ extname: string }>(
          database.url,
          "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1",
        ),
      ).toEqual([{ extname: 'dblink' }]);
      expect(provider.access?.extensions).toEqual(['dblink']);
    } finally {
      await provider.stop();
    }
  });

  it('writes verifiers PostgreSQL accepts', () => {
    expect(scramVerifier('pw')).toMatch(
      /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/,
    );
  });
});
