// Runs the CLI as a user would (a child process), and finds what a run may
// have left behind on the local PostgreSQL server.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** The base cache of this test process's reviews: never the user's ~/.cache, gone when the process ends. */
const CACHE_HOME = mkdtempSync(path.join(tmpdir(), 'ar-test-cache-'));
process.on('exit', () => {
  rmSync(CACHE_HOME, { recursive: true, force: true });
});

export function startCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; cli?: string } = {},
): ResultPromise {
  return execa(NODE, [options.cli ?? CLI_SOURCE, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { TESTCONTAINERS_RYUK_DISABLED: 'true', NO_COLOR: '1', XDG_CACHE_HOME: CACHE_HOME, ...options.env },
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

/**
 * `review --format json` of a project against `--base main`, the report
 * parsed (undefined when none was written).
 */
export async function reviewJson<R>(
  projectDir: string,
  args: string[],
  options: { env?: Record<string, string>; output?: string } = {},
): Promise<{ result: CliResult; report: R | undefined }> {
  const output = options.output ?? path.join(projectDir, `report-${randomBytes(3).toString('hex')}.json`);
  const result = await runCli(
    ['review', '--project', projectDir, '--base', 'main', '--format', 'json', '--output', output, ...args],
    { env: options.env ?? {} },
  );
  const report = existsSync(output) ? (JSON.parse(readFileSync(output, 'utf8')) as R) : undefined;
  return { result, report };
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

/** Databases owned by the role, or by the review's own roles it created (and is a member of). */
const DATABASES_OF = `
  SELECT datname AS name FROM pg_database d
   WHERE d.datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)
      OR d.datdba IN (SELECT m.roleid FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1)
   ORDER BY datname`;
/** The review's roles (alembic_review_r_*) that role created and still has. */
const RUN_ROLES_OF = `
  SELECT g.rolname AS name FROM pg_auth_members m
    JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid
   WHERE r.rolname = $1 ORDER BY g.rolname`;

/**
 * A role of its own for one test (CREATEDB and CREATEROLE, not superuser, like
 * a CI service's application role): databases and roles a review creates
 * through a URL with this role are found without seeing those of tests
 * running in parallel.
 */
export async function createTestRole(): Promise<{
  url: string;
  role: string;
  databases(): Promise<string[]>;
  roles(): Promise<string[]>;
  drop(): Promise<void>;
}> {
  const role = `ar_test_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE ROLE ${role} LOGIN CREATEDB CREATEROLE`));
  const names = async (sql: string): Promise<string[]> =>
    admin(async (c) => (await c.query<{ name: string }>(sql, [role])).rows.map((r) => r.name));
  return {
    role,
    url: `postgresql://${role}@127.0.0.1:5432/postgres`,
    databases: () => names(DATABASES_OF),
    roles: () => names(RUN_ROLES_OF),
    drop: async () => {
      const databases = await names(DATABASES_OF);
      const roles = await names(RUN_ROLES_OF);
      await admin(async (c) => {
        for (const datname of databases) await c.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
        for (const name of roles) await c.query(`DROP ROLE "${name}"`);
        await c.query(`DROP ROLE ${role}`);
      });
    },
  };
}

export async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  return admin(async (c) => (await c.query<T>(sql, params)).rows);
}
