// Runs the CLI as a user would (a child process), and finds what a run may
// have left behind on the local PostgreSQL server.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { LOCAL_URL, ROOT } from './alembic-project.ts';

export const NODE = path.join(ROOT, 'node_modules/.bin/node');
export const CLI_SOURCE = path.join(ROOT, 'src/cli.ts');
export const CLI_DIST = path.join(process.env.ALEMBIC_REVIEW_DIST ?? path.join(ROOT, 'dist'), 'cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function startCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; cli?: string } = {},
): ResultPromise {
  return execa(NODE, [options.cli ?? CLI_SOURCE, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { TESTCONTAINERS_RYUK_DISABLED: 'true', NO_COLOR: '1', ...options.env },
    reject: false,
    timeout: 600_000,
  });
}

export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; cli?: string } = {},
): Promise<CliResult> {
  const result = await startCli(args, options);
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: LOCAL_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A role of its own for one test: databases a review creates through a URL
 * with this role are owned by it, so leftovers are found without seeing the
 * databases of tests running in parallel.
 */
export async function createTestRole(): Promise<{
  url: string;
  role: string;
  databases(): Promise<string[]>;
  drop(): Promise<void>;
}> {
  const role = `ar_test_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE ROLE ${role} LOGIN CREATEDB`));
  return {
    role,
    url: `postgresql://${role}@127.0.0.1:5432/postgres`,
    databases: () =>
      admin(async (c) => {
        const result = await c.query<{ datname: string }>(
          'SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = $1',
          [role],
        );
        return result.rows.map((r) => r.datname);
      }),
    drop: () =>
      admin(async (c) => {
        const result = await c.query<{ datname: string }>(
          'SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = $1',
          [role],
        );
        for (const row of result.rows) await c.query(`DROP DATABASE "${row.datname}" WITH (FORCE)`);
        await c.query(`DROP ROLE ${role}`);
      }),
  };
}

export async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  return admin(async (c) => (await c.query<T>(sql, params)).rows);
}
