// The isolation probes on --database url: the run's own role on a server we
// do not own. On the shared test server, which trusts local connections, the
// project's code can still connect as the superuser: the review must say so.
// On a server that asks for passwords (here an embedded cluster standing in
// for a CI service container), that probe is refused too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedProvider } from '../../src/database/embedded.ts';
import { createTestRole, query } from '../helpers/cli.ts';
import { ProbeRun, expectCommonRefusals, hostileProject, processesWith, reviewProject } from './probes.ts';

const runs: ProbeRun[] = [];
afterAll(() => {
  for (const run of runs) run.remove();
});

function newRun(): ProbeRun {
  const run = new ProbeRun();
  runs.push(run);
  return run;
}

async function markedObjects(url: string, marker: string): Promise<string[]> {
  const rows = await queryUrl(
    url,
    `SELECT datname AS name FROM pg_database WHERE datname LIKE $1
      UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE $1
      UNION ALL SELECT relname FROM pg_class WHERE relname LIKE $1`,
    [`${marker}%`],
  );
  return rows.map((r) => r.name);
}

async function queryUrl(url: string, sql: string, params: unknown[]): Promise<{ name: string }[]> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('isolation probes, url provider on a server that trusts local connections', () => {
  it('refuses what the role may not do, warns that the server lets anyone be superuser, leaves nothing', async () => {
    const run = newRun();
    const role = await createTestRole();
    // Looks only: on a trusting server the superuser connection gets through.
    const project = await hostileProject(run, { superuserAttack: false, dropPostgres: true });
    try {
      const tablesBefore = await query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace",
      );
      const { result, report } = await reviewProject(project, run, [
        '--database',
        'url',
        '--database-url',
        role.url,
      ]);
      expect(report, result.stderr).toBeDefined();
      expectCommonRefusals(run);
      // It may connect to postgres (we do not change a server we do not own), but not create there.
      expect(run.outcome('raw-connection-other-database').outcome).toBe('refused');
      expect(run.outcome('raw-connection-other-database').detail).toMatch(
        /permission denied for schema public/,
      );
      expect(run.outcome('raw-connect-superuser').outcome).toBe('succeeded');
      const warnings = report?.findings.filter((f) => f.ruleId === 'isolation-reduced').map((f) => f.message);
      expect(warnings?.join('\n')).toContain('lets roles connect without a password (trust authentication)');
      expect(report?.environment.isolation).toMatchObject({ databaseRole: 'restricted' });

      expect(await role.databases()).toEqual([]);
      expect(await role.roles()).toEqual([]);
      expect(await markedObjects('postgresql://postgres@127.0.0.1:5432/postgres', run.marker)).toEqual([]);
      expect(
        await query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace",
        ),
      ).toEqual(tablesBefore);
      expect(await processesWith([project.dir, ...run.sleeps])).toEqual([]);
    } finally {
      project.remove();
      await role.drop();
    }
  });
});

describe('isolation probes, url provider on a server that asks for passwords', () => {
  // The "service container": a cluster with a superuser password, reached only through its URL.
  const server = new EmbeddedProvider({
    access: { databaseRole: 'superuser', revisionExtensions: [], extraExtensions: [] },
  });
  let serverUrl = '';
  beforeAll(async () => {
    await server.start();
    const scratch = await server.createDatabase('url_server');
    serverUrl = scratch.url.replace(/\/[^/]+$/, '/postgres');
    await server.dropDatabase(scratch);
  });
  afterAll(() => server.stop());

  it('refuses every probe, the superuser connection included, and leaves nothing', async () => {
    const run = newRun();
    const project = await hostileProject(run);
    try {
      const { result, report } = await reviewProject(project, run, [
        '--database',
        'url',
        '--database-url',
        serverUrl,
      ]);
      expect(report, result.stderr).toBeDefined();
      expectCommonRefusals(run);
      expect(run.outcome('raw-connection-other-database').outcome).toBe('refused');
      expect(run.outcome('raw-connect-superuser').outcome).toBe('refused');
      expect(run.outcome('raw-connect-superuser').detail).toMatch(/password/);
      expect(report?.findings.filter((f) => f.ruleId === 'isolation-reduced')).toEqual([]);
      expect(await markedObjects(serverUrl, run.marker)).toEqual([]);
      const left = await queryUrl(
        serverUrl,
        "SELECT datname AS name FROM pg_database WHERE datname LIKE 'alembic_review_%' UNION ALL SELECT rolname FROM pg_roles WHERE rolname LIKE 'alembic_review_%'",
        [],
      );
      expect(left).toEqual([]);
      expect(await processesWith([project.dir, ...run.sleeps])).toEqual([]);
    } finally {
      project.remove();
    }
  });
});
