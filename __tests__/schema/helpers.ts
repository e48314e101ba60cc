// Scratch databases on the local server and the Python harness that builds
// drift cases with the real Alembic / SQLAlchemy (fixtures/drift/harness.py).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';

export const SERVER_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const PYTHON = path.join(ROOT, '.venv/bin/python');
export const DRIFT_FIXTURES = path.join(ROOT, '__tests__/fixtures/drift');
const HARNESS = path.join(DRIFT_FIXTURES, 'harness.py');

export interface ScratchDatabase {
  name: string;
  url: string;
}

// DROP DATABASE waits for a checkpoint; concurrent drops share one. A few
// connections at a time, to leave room for the other test files.
const CONCURRENT = 8;

async function onServer(sqls: string[]): Promise<void> {
  const queue = [...sqls];
  const worker = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: SERVER_URL });
    await client.connect();
    try {
      for (let sql = queue.shift(); sql !== undefined; sql = queue.shift()) await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT, queue.length) }, worker));
}

/** Creates alembic_review_test_<label>_<random> (label: [a-z0-9_], short). */
export async function createScratchDatabases(labels: string[]): Promise<ScratchDatabase[]> {
  const databases = labels.map((label) => {
    const name = `alembic_review_test_${label}_${randomBytes(4).toString('hex')}`.slice(0, 63);
    return { name, url: SERVER_URL.replace(/\/postgres$/, `/${name}`) };
  });
  await onServer(databases.map((db) => `CREATE DATABASE ${pg.escapeIdentifier(db.name)}`));
  return databases;
}

export async function dropScratchDatabases(databases: readonly ScratchDatabase[]): Promise<void> {
  await onServer(
    databases.map((db) => `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(db.name)} WITH (FORCE)`),
  );
}

export type HarnessJob =
  | { action: 'migrate'; url: string; case: string }
  | { action: 'exec'; url: string; code: string }
  | { action: 'create_all'; url: string; case: string }
  | { action: 'create_all'; url: string; project: string; metadata: string }
  | { action: 'compare'; url: string; case: string; compareServerDefault?: boolean }
  | { action: 'compare'; url: string; project: string; metadata: string; compareServerDefault?: boolean }
  | { action: 'alembic_upgrade'; url: string; project: string }
  | { action: 'model_classes'; project: string; package: string; metadata: string };

/** One harness.py process: jobs run one at a time, in the order they were sent. */
export class Harness {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: {
    resolve: (value: unknown) => void;
    reject: (error: Error) => void;
    what: string;
  }[] = [];
  private stderr = '';

  constructor(python = PYTHON) {
    this.child = spawn(python, [HARNESS], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const next = this.waiting.shift();
      if (next === undefined) return;
      const reply = JSON.parse(line) as { ok: true; result: unknown } | { ok: false; error: string };
      if (reply.ok) next.resolve(reply.result);
      else next.reject(new Error(`${next.what}: ${reply.error}`));
    });
    this.child.on('exit', (code) => {
      for (const next of this.waiting.splice(0)) {
        next.reject(new Error(`harness exited (${code ?? '?'}) during ${next.what}: ${this.stderr}`));
      }
    });
  }

  run(job: HarnessJob): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, what: `${job.action} ${'case' in job ? job.case : ''}` });
      this.child.stdin.write(`${JSON.stringify(job)}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

/** Drops every schema (and so every table and type in it), leaving an empty public schema. */
export async function resetDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace
       WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'`,
    );
    const drops = rows.map((r) => `DROP SCHEMA ${pg.escapeIdentifier(r.name)} CASCADE;`).join(' ');
    await client.query(`${drops} CREATE SCHEMA public;`);
  } finally {
    await client.end();
  }
}

export interface DriftCase {
  name: string;
  dir: string;
  spec: CaseSpec;
}

export interface CaseSpec {
  title: string;
  /** Our findings, as "ruleId table[.column]" (+ " notice"/" warning" when not an error). */
  expect: string[];
  /** compare_metadata's differences in the same notation (rule ids mapped from its diff kinds). */
  alembic: string[];
  /** compare_metadata with compare_server_default=True, when it differs from `alembic`. */
  alembicWithServerDefault?: string[];
  /** What compare_metadata still reports once our fixes are applied (default: nothing). */
  alembicAfterFix?: string[];
  /** Why the two differ, when they do: an Alembic blind spot or a deliberate choice. */
  verdict?: string;
  /** Why the models cannot be built with SQLAlchemy 1.4, when they cannot. */
  sqlalchemy2Only?: string;
}

export function driftCases(): DriftCase[] {
  return readdirSync(DRIFT_FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_') && !entry.name.startsWith('.'))
    .map((entry) => {
      const dir = path.join(DRIFT_FIXTURES, entry.name);
      const spec = JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as CaseSpec;
      return { name: entry.name, dir, spec };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
