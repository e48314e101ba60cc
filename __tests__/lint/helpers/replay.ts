// A real replay of SQL statements for the lint tests: a scratch database on
// the local PostgreSQL, the base tables created and seeded, then the
// statements run in one transaction (an Alembic revision) while the same
// facts the Python bridge captures are read from pg_locks and pg_class: the
// relation locks each statement acquired, the tables it rewrote, its error.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { LintInput, LintRevision } from '../../../src/lint/types.ts';
import type { Lock, Statement } from '../../../src/model.ts';
import { introspect } from '../../../src/schema/introspect.ts';

export const SERVER_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The blog of examples/blog at its base, with three rows per table. */
export const BLOG_BASE = `
CREATE TABLE users (
  id serial PRIMARY KEY,
  email varchar(255) NOT NULL UNIQUE,
  name varchar(100) NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL
);
CREATE TABLE posts (
  id serial PRIMARY KEY,
  title varchar(200) NOT NULL,
  body text,
  author_id integer NOT NULL REFERENCES users (id),
  price numeric(10, 2),
  created_at timestamptz DEFAULT now() NOT NULL
);
CREATE INDEX ix_posts_author_id ON posts (author_id);
CREATE SCHEMA audit;
CREATE TABLE audit.log (id serial PRIMARY KEY, message text);
INSERT INTO users (email, name) SELECT 'user' || i || '@example.com', 'User ' || i FROM generate_series(1, 3) i;
INSERT INTO posts (title, body, author_id, price) SELECT 'Post ' || i, 'Body ' || i, 1 + i % 3, i FROM generate_series(1, 3) i;
INSERT INTO audit.log (message) SELECT 'entry ' || i FROM generate_series(1, 3) i;
`;

/**
 * A statement of a test revision; `autocommit` runs it the way
 * op.get_context().autocommit_block() does; `line` is the op.* line it
 * reports (default: 21, 22, ... in order).
 */
export type StatementSpec = string | { sql: string; autocommit?: true; line?: number };

export interface RevisionSpec {
  id?: string;
  statements: StatementSpec[];
}

export interface ReplaySpec {
  /** SQL that builds the base (default: BLOG_BASE). */
  base?: string;
  revisions: RevisionSpec[];
  /** lock_timeout of the session when the revisions run (env.py's SET); default '5s'. */
  lockTimeout?: string;
}

const LOCKS_SQL = `
SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, l.mode
FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`;

const FILENODES_SQL = `
SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, c.relfilenode::text AS filenode
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`;

const DEFAULT_LOCK_TIMEOUT = '5s';

const defaultFile = (id: string): string => `migrations/versions/${id}_test.py`;

/** env.py's SET lock_timeout, as the replay captures it outside the revisions. */
function environmentStatement(lockTimeout: string): Statement {
  return statement(`SET lock_timeout = '${lockTimeout}'`, 'migrations/env.py', 77);
}

const relationName = (schema: string, name: string): string =>
  schema === 'public' ? name : `${schema}.${name}`;

export class ScratchDatabase {
  readonly name: string;
  readonly url: string;

  private constructor(name: string) {
    this.name = name;
    this.url = SERVER_URL.replace(/\/postgres$/, `/${name}`);
  }

  static async create(label: string): Promise<ScratchDatabase> {
    const database = new ScratchDatabase(`alembic_review_test_${label}_${randomBytes(4).toString('hex')}`);
    await admin((client) => client.query(`CREATE DATABASE ${database.name}`));
    return database;
  }

  async drop(): Promise<void> {
    await admin((client) => client.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }

  /**
   * Builds the base, introspects it, then runs each revision in its own
   * transaction capturing what the bridge captures. The next call rebuilds
   * the base from scratch.
   */
  async replay(spec: ReplaySpec, file = defaultFile): Promise<LintInput> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      await client.query(
        'DROP SCHEMA IF EXISTS public CASCADE; DROP SCHEMA IF EXISTS audit CASCADE; CREATE SCHEMA public',
      );
      await client.query(spec.base ?? BLOG_BASE);
      const baseSchema = await introspect(client, { countRows: true });
      const baseRows = Object.fromEntries(
        Object.entries(baseSchema.tables).map(([key, t]) => [key, t.rows ?? 0]),
      );
      const environmentStatements: Statement[] = [];
      const setting = environmentStatement(spec.lockTimeout ?? DEFAULT_LOCK_TIMEOUT);
      await client.query(setting.sql);
      environmentStatements.push(setting);
      const revisions: LintRevision[] = [];
      spec.revisions.forEach((revision, index) => {
        revisions.push({ id: revision.id ?? `rev${index + 1}`, path: '', statements: [], lockTimeout: null });
      });
      for (const [index, revision] of spec.revisions.entries()) {
        const target = revisions[index];
        if (target === undefined) continue;
        target.path = file(target.id);
        // Like `alembic upgrade`: the first failing revision ends the run.
        if (!(await runRevision(client, revision, target))) break;
      }
      return { revisions, baseSchema, baseRows, environmentStatements };
    } finally {
      await client.end();
    }
  }
}

async function admin<T>(action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

function statement(sql: string, file: string, line: number): Statement {
  return { sql, file, line, durationMs: 0, locks: [], rewrote: [] };
}

interface LockRow {
  oid: string;
  schema: string;
  name: string;
  mode: string;
}

/** Runs one revision in its own transaction; false when a statement failed (the revision is rolled back). */
async function runRevision(
  client: pg.Client,
  revision: RevisionSpec,
  target: LintRevision,
): Promise<boolean> {
  await client.query('BEGIN');
  target.lockTimeout =
    (await client.query<{ value: string }>("SELECT current_setting('lock_timeout') AS value")).rows[0]
      ?.value ?? null;
  const held = new Set<string>();
  const filenodes = new Map<string, string>();
  for (const row of (await client.query<{ oid: string; filenode: string }>(FILENODES_SQL)).rows)
    filenodes.set(row.oid, row.filenode);
  let line = 20;
  let failed = false;
  for (const spec of revision.statements) {
    line += 1;
    if (failed) break; // Alembic stops at the first failing statement.
    const sql = typeof spec === 'string' ? spec : spec.sql;
    const captured = statement(sql, target.path, typeof spec === 'string' ? line : (spec.line ?? line));
    target.statements.push(captured);
    if (typeof spec !== 'string' && spec.autocommit === true) {
      // autocommit_block: commit, run outside a transaction, begin again.
      await client.query('COMMIT');
      try {
        await client.query(sql);
      } catch (error) {
        captured.error = databaseError(error);
        failed = true;
      }
      await client.query('BEGIN');
      continue;
    }
    await client.query('SAVEPOINT statement');
    try {
      await client.query(sql);
    } catch (error) {
      // The failed statement's locks go with its subtransaction, as with the bridge.
      captured.error = databaseError(error);
      failed = true;
      await client.query('ROLLBACK TO SAVEPOINT statement');
      continue;
    }
    const locks = (await client.query<LockRow>(LOCKS_SQL)).rows;
    captured.locks = newLocks(locks, held);
    for (const row of (
      await client.query<{ oid: string; schema: string; name: string; filenode: string }>(FILENODES_SQL)
    ).rows) {
      const before = filenodes.get(row.oid);
      if (before !== undefined && before !== row.filenode) {
        captured.rewrote.push(relationName(row.schema, row.name));
        filenodes.set(row.oid, row.filenode);
      }
    }
    await client.query('RELEASE SAVEPOINT statement');
  }
  await client.query(failed ? 'ROLLBACK' : 'COMMIT');
  return !failed;
}

function newLocks(rows: LockRow[], held: Set<string>): Lock[] {
  const acquired: Lock[] = [];
  for (const row of rows) {
    const key = `${row.oid}|${row.mode}`;
    if (held.has(key)) continue;
    held.add(key);
    acquired.push({ relation: relationName(row.schema, row.name), mode: row.mode });
  }
  return acquired;
}

function databaseError(error: unknown): { message: string; sqlstate?: string } {
  const { message, code } = error as { message?: string; code?: string };
  return { message: message ?? String(error), ...(code === undefined ? {} : { sqlstate: code }) };
}

/**
 * What offline mode (`alembic upgrade --sql`) gives the lint stage for the
 * same spec: every statement (nothing ran, so nothing failed), no base
 * schema, no locks or rewrites, lock_timeout unknown.
 */
export function offlineInput(spec: ReplaySpec, file = defaultFile): LintInput {
  return {
    revisions: spec.revisions.map((revision, index) => {
      const id = revision.id ?? `rev${index + 1}`;
      let line = 20;
      return {
        id,
        path: file(id),
        lockTimeout: null,
        statements: revision.statements.map((s) => {
          line += 1;
          return typeof s === 'string'
            ? statement(s, file(id), line)
            : statement(s.sql, file(id), s.line ?? line);
        }),
      };
    }),
    baseSchema: null,
    baseRows: {},
    environmentStatements: [environmentStatement(spec.lockTimeout ?? DEFAULT_LOCK_TIMEOUT)],
  };
}
