// Shared checks for the provider tests: exercising a provider the way the
// pipeline does, running the SIGTERM child, and looking for leftovers with
// tools other than the provider itself (docker CLI, /proc, pg_database).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { expect } from 'vitest';
import type { DatabaseProvider, ThrowawayDatabase } from '../../src/database/provider.ts';
import { TOKEN_PREFIX } from '../../src/database/server.ts';

const execFileAsync = promisify(execFile);

export const LOCAL_SERVER_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const LOCAL_IMAGE = 'local/postgres:15';
const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const CHILD = path.join(import.meta.dirname, 'fixtures/provider-child.ts');

export async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * What every provider must do: two fresh, distinct, usable databases, each
 * marked with its token; dropDatabase removes one and leaves the other.
 */
export async function exerciseProvider(provider: DatabaseProvider): Promise<ThrowawayDatabase[]> {
  const first = await provider.createDatabase('first');
  const second = await provider.createDatabase('second');
  expect(first.name).not.toBe(second.name);
  expect(first.token).not.toBe(second.token);
  for (const database of [first, second]) {
    expect(database.name).toMatch(/^alembic_review_[a-z0-9_]+_[0-9a-f]{10}$/);
    const rows = await query<{ db: string; comment: string | null }>(
      database.url,
      `SELECT current_database() AS db,
              shobj_description((SELECT oid FROM pg_database WHERE datname = current_database()), 'pg_database') AS comment`,
    );
    expect(rows[0]).toEqual({ db: database.name, comment: `${TOKEN_PREFIX}${database.token}` });
  }
  // Both usable, and independent of each other.
  await query(first.url, 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)');
  await query(second.url, 'CREATE TABLE t (id int PRIMARY KEY, name text)');
  expect(await query(first.url, 'SELECT id FROM t')).toEqual([{ id: 1 }]);
  expect(await query(second.url, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
  expect(await provider.serverVersion()).toMatch(/^\d+(\.\d+)?/);

  // dropDatabase: the other one survives.
  const third = await provider.createDatabase('third');
  await provider.dropDatabase(third);
  await expect(query(third.url, 'SELECT 1')).rejects.toThrow(/does not exist/);
  expect(await query(second.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  return [first, second];
}

/** Our databases still present on the shared server at 127.0.0.1:5432. */
export async function leftoverDatabasesOnLocalServer(names: string[]): Promise<string[]> {
  const rows = await query<{ datname: string }>(
    LOCAL_SERVER_URL,
    'SELECT datname FROM pg_database WHERE datname = ANY($1::text[])',
    [names],
  );
  return rows.map((row) => row.datname);
}

/** Containers (running or not) carrying a provider's run label, per the docker CLI. */
/** The ids of the containers, running or not, with `label` (`key=value`, or `key` for any value). */
export async function containersLabelled(label: string): Promise<string[]> {
  const { stdout } = await execFileAsync('docker', ['ps', '-aq', '--filter', `label=${label}`]);
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

export function containersWithRunLabel(runId: string): Promise<string[]> {
  return containersLabelled(`alembic-review.run=${runId}`);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is not alive for our purposes.
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** Processes whose command line mentions the directory (e.g. postgres -D <dir>/data). */
export async function processesMentioning(dir: string): Promise<string[]> {
  const { stdout } = await execFileAsync('ps', ['-eo', 'pid=,args=']);
  return stdout.split('\n').filter((line) => line.includes(dir));
}

export async function assertEmbeddedGone(pid: number, tempDir: string): Promise<void> {
  expect(processAlive(pid)).toBe(false);
  expect(await processesMentioning(tempDir)).toEqual([]);
  expect(existsSync(tempDir)).toBe(false);
}

export interface ChildRun {
  child: ChildProcess;
  details: Record<string, unknown> & { database: ThrowawayDatabase };
  stderr: () => string;
}

/** Starts fixtures/provider-child.ts and waits for its JSON line of the given phase. */
export function startChild(
  kind: string,
  argument?: string,
  env: NodeJS.ProcessEnv = {},
  phase: 'starting' | 'ready' = 'ready',
): Promise<ChildRun> {
  const args = [CHILD, kind, ...(argument === undefined ? [] : [argument])];
  const child = spawn(NODE, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      for (let newline = stdout.indexOf('\n'); newline !== -1; newline = stdout.indexOf('\n')) {
        const line = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        try {
          const details = JSON.parse(line) as ChildRun['details'] & { phase?: string };
          if (details.phase === phase) resolve({ child, details, stderr: () => stderr });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
    });
    child.on('exit', (code, signal) => {
      reject(new Error(`child exited early (${signal ?? code ?? '?'}): ${stderr}`));
    });
  });
}

/** SIGTERM, then the exit code (or the signal name if it died of one). */
export function terminate(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode ?? child.signalCode ?? 'unknown');
  }
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
    child.kill('SIGTERM');
  });
}

/** The embedded cluster's temporary directory, as its progress line names it (initdb, or a copy of the cached template). */
export function clusterDirectory(stderr: string): string {
  const match =
    /(?:initialising a PostgreSQL cluster in|copying the cached template of a PostgreSQL cluster to) (\S+)/.exec(
      stderr,
    );
  if (match?.[1] === undefined) throw new Error(`no cluster directory in:\n${stderr}`);
  return match[1];
}
