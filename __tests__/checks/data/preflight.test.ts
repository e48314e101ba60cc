// The preflight database: a second local database standing in for
// production, once with rows that break the change and once clean, read
// through a read-only role; roles that could write are refused; every query
// runs read-only with its time limits; values never reach the report unless
// preflight-show-values asks for them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreflightDatabase, withoutValues } from '../../../src/checks/data/preflight.ts';
import { isUsageError } from '../../../src/errors.ts';
import type { Review } from '../../../src/model.ts';
import { LOCAL_URL, makeProject, type AlembicProject } from '../../helpers/alembic-project.ts';
import { query } from '../../helpers/cli.ts';
import { reviewProject } from '../../helpers/review.ts';

const suffix = randomBytes(4).toString('hex');
const VIOLATING = `alembic_review_pf_bad_${suffix}`;
const CLEAN = `alembic_review_pf_ok_${suffix}`;
const READER = `ar_pf_reader_${suffix}`;
const WRITER = `ar_pf_writer_${suffix}`;
const OWNER = `ar_pf_owner_${suffix}`;
const DUPLICATE = 'duplicate.person@example.com';

const urlOf = (role: string, database: string): string => `postgresql://${role}@127.0.0.1:5432/${database}`;

async function inDatabase(database: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlOf('postgres', database) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const TABLES = `
CREATE TABLE members (id serial PRIMARY KEY, email varchar(200), name varchar(200));
CREATE TABLE audit (id serial PRIMARY KEY, note text);`;

const projects: AlembicProject[] = [];

beforeAll(async () => {
  for (const role of [READER, WRITER, OWNER]) await query(`CREATE ROLE ${role} LOGIN`);
  for (const database of [VIOLATING, CLEAN]) {
    await query(`CREATE DATABASE ${database}`);
    await inDatabase(database, TABLES);
  }
  await inDatabase(
    VIOLATING,
    `INSERT INTO members (email, name) SELECT 'person' || g || '@example.com', CASE WHEN g % 10 = 0 THEN NULL ELSE 'Person ' || g END FROM generate_series(1, 500) g;
     INSERT INTO members (email, name) VALUES ('${DUPLICATE}', 'A'), ('${DUPLICATE}', 'B'), ('${DUPLICATE}', 'C');
     ANALYZE members;`,
  );
  await inDatabase(
    CLEAN,
    `INSERT INTO members (email, name) SELECT 'person' || g || '@example.com', 'Person ' || g FROM generate_series(1, 500) g; ANALYZE members;`,
  );
  for (const database of [VIOLATING, CLEAN]) {
    await inDatabase(
      database,
      `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER}, ${WRITER};
       GRANT INSERT ON audit TO ${WRITER};
       CREATE TABLE owned (id int); ALTER TABLE owned OWNER TO ${OWNER}; GRANT SELECT ON members TO ${OWNER};`,
    );
  }
});

afterAll(async () => {
  for (const p of projects) p.remove();
  for (const database of [VIOLATING, CLEAN]) await query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  for (const role of [READER, WRITER, OWNER]) await query(`DROP ROLE IF EXISTS ${role}`);
});

async function refusal(url: string): Promise<string> {
  try {
    const database = await PreflightDatabase.open(url);
    await database.close();
  } catch (error) {
    expect(isUsageError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`${url} was accepted`);
}

describe('the read-only check', () => {
  it('accepts a role that may only read', async () => {
    const database = await PreflightDatabase.open(urlOf(READER, VIOLATING));
    expect(database.where).toBe(`${VIOLATING} on 127.0.0.1:5432`);
    await database.close();
  });

  it('refuses a role that may write a table, that owns one, or a superuser', async () => {
    expect(await refusal(urlOf(WRITER, VIOLATING))).toMatch(
      new RegExp(`role "${WRITER}" can write: it owns or may change public\\.audit`),
    );
    expect(await refusal(urlOf(OWNER, VIOLATING))).toMatch(/can write: it owns or may change public\.owned/);
    expect(await refusal(urlOf('postgres', VIOLATING))).toMatch(/is a superuser/);
  });

  it('says clearly when it cannot connect, without the password', async () => {
    const message = await refusal(`postgresql://${READER}:s3cret@127.0.0.1:5432/no_such_database_${suffix}`);
    expect(message).toMatch(/^Cannot connect to the preflight database/);
    expect(message).not.toContain('s3cret');
  });
});

describe('queries on the preflight database', () => {
  it('runs each in a READ ONLY transaction with a statement_timeout', async () => {
    const database = await PreflightDatabase.open(urlOf(READER, VIOLATING), {
      statementTimeoutMs: 300,
      lockTimeoutMs: 100,
      connectTimeoutMs: 5000,
    });
    try {
      const probe = (sql: string) => ({
        count: { sql, params: [] },
        sample: { sql, params: [] },
        display: sql,
      });
      const write = await database.answer(
        probe('WITH x AS (DELETE FROM members RETURNING 1) SELECT count(*) AS violations FROM x'),
        false,
        () => 'never',
      );
      expect(write.error).toMatch(/read-only transaction/);
      const slow = await database.answer(
        probe('SELECT count(*) AS violations FROM pg_sleep(2)'),
        false,
        () => 'never',
      );
      expect(slow.error).toMatch(/statement timeout/);
      const counted = await database.answer(
        probe('SELECT count(*) AS violations FROM members WHERE name IS NULL'),
        false,
        (a) => `${a.violations} rows`,
      );
      expect(counted).toEqual({ violations: 50, summary: '50 rows' });
    } finally {
      await database.close();
    }
    // Nothing was deleted.
    const client = new pg.Client({ connectionString: urlOf('postgres', VIOLATING) });
    await client.connect();
    expect((await client.query('SELECT count(*)::int AS n FROM members')).rows[0]).toEqual({ n: 503 });
    await client.end();
  });

  it('reads table sizes from the catalog', async () => {
    const database = await PreflightDatabase.open(urlOf(READER, VIOLATING));
    try {
      const size = await database.tableSize('members');
      expect(size?.rows).toBe(503);
      expect(size?.bytes).toBeGreaterThan(8192);
      expect(await database.tableSize('no_such_table')).toBeNull();
    } finally {
      await database.close();
    }
  });

  it('keeps row values out of error messages', () => {
    expect(withoutValues('invalid input syntax for type integer: "secret-42"')).toBe(
      'invalid input syntax for type integer: "…"',
    );
    expect(withoutValues('Key (email)=(a@b.c) is duplicated.')).toBe('Key (email)=(…) is duplicated.');
  });
});

describe('a review with a preflight database', () => {
  let project: AlembicProject;

  beforeAll(async () => {
    project = await makeProject({
      revisions: [
        {
          id: 'a0a0a0a0a0a0',
          upgrade: `op.create_table('members', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('email', sa.String(200)), sa.Column('name', sa.String(200)))
op.create_table('audit', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('note', sa.Text()))`,
        },
      ],
    });
    projects.push(project);
    await project.pullRequest((p) => {
      p.addRevision({
        id: 'b1b1b1b1b1b1',
        down: 'a0a0a0a0a0a0',
        upgrade: `op.create_unique_constraint('uq_members_email', 'members', ['email'])
op.alter_column('members', 'name', existing_type=sa.String(200), nullable=False)
op.alter_column('members', 'email', type_=sa.String(300), existing_type=sa.String(200))`,
      });
    });
  });

  async function reviewWith(preflight: string, format: 'json' | 'markdown', args: string[] = []) {
    const run = await reviewProject(project, {
      format,
      args,
      env: { ALEMBIC_REVIEW_PREFLIGHT_URL: preflight },
    });
    expect(run.leftovers).toEqual([]);
    return run;
  }

  it('turns the findings into errors when production has such rows, with counts but no values', async () => {
    const run = await reviewWith(urlOf(READER, VIOLATING), 'json');
    const report = JSON.parse(run.body) as Review;
    const found = report.findings.filter((f) => f.ruleId === 'fails-on-existing-data');
    expect(found.map((f) => [f.condition, f.severity, f.preflight?.result?.violations])).toEqual([
      ['duplicates', 'error', 1],
      ['nulls', 'error', 50],
    ]);
    expect(found[0]?.preflight?.result?.summary).toBe(
      '1 value of email in members occurs more than once (3 rows)',
    );
    expect(found[0]?.message).toContain(
      'On the preflight database 1 value of email in members occurs more than once',
    );
    expect(run.body).not.toContain(DUPLICATE);
    expect(run.stderr).toContain(`preflight database: ${VIOLATING} on 127.0.0.1:5432 (read-only)`);
    // Estimates at production size, next to the lock, for the index build and the scan.
    const statements = report.revisions.find((r) => r.id === 'b1b1b1b1b1b1')?.statements ?? [];
    const estimates = statements.map((s) => s.estimate).filter((e) => e !== undefined);
    expect(estimates.map((e) => [e.operation, e.rows, e.lock])).toEqual([
      ['index build', 503, 'ACCESS EXCLUSIVE'],
      ['validation scan', 503, 'ACCESS EXCLUSIVE'],
    ]);
    expect(estimates[0]?.text).toMatch(
      /^builds an index on members: 503 rows, \d+ kB — .+ under ACCESS EXCLUSIVE$/,
    );

    const markdown = await reviewWith(urlOf(READER, VIOLATING), 'markdown');
    expect(markdown.body).toContain(
      '🔎 **Preflight database:** 1 value of email in members occurs more than once \\(3 rows\\)',
    );
    expect(markdown.body).toContain('⏱️ **At production size**');
    expect(markdown.body).not.toContain(DUPLICATE);
  });

  it('shows the values only when asked for', async () => {
    const run = await reviewWith(urlOf(READER, VIOLATING), 'markdown', ['--preflight-show-values']);
    expect(run.body).toContain(DUPLICATE);
  });

  it('turns them into notices when production has none', async () => {
    const run = await reviewWith(urlOf(READER, CLEAN), 'json');
    const report = JSON.parse(run.body) as Review;
    const found = report.findings.filter((f) => f.ruleId === 'fails-on-existing-data');
    expect(found.map((f) => [f.condition, f.severity, f.preflight?.result?.summary])).toEqual([
      ['duplicates', 'notice', 'no value of email in members occurs more than once'],
      ['nulls', 'notice', 'no row of members has NULL in name'],
    ]);
  });

  it('stops with exit code 2 and a clear message on a role that could write', async () => {
    const run = await reviewWith(urlOf(WRITER, VIOLATING), 'json');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/alembic-review: Refusing the preflight database .* can write/);
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});

it('uses the local server for the second database', () => {
  expect(LOCAL_URL).toContain('127.0.0.1:5432');
});
