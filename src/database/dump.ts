// A plain-SQL pg_dump of one of our databases, by a pg_dump of the server's
// own major version (an older pg_dump refuses a newer server, a newer one
// writes SQL an older server may not take): the server's own binaries
// (embedded), /usr/lib/postgresql/<major>/bin, pg_dump on PATH, or the one in
// the server's container (testcontainers). It connects as the role the
// database belongs to, the password in the environment, never on a command line.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { execa } from 'execa';
import type { DatabaseProvider, ThrowawayDatabase } from './provider.ts';
import { parsePostgresUrl } from './url.ts';

const execFileAsync = promisify(execFile);

/** What pg_dump writes: schema, then the rows as INSERTs (restored without psql, as plain statements). */
const DUMP_ARGS = ['--format=plain', '--no-owner', '--no-privileges', '--rows-per-insert=1000'];

export interface Dumped {
  sql: string;
  /** Which pg_dump wrote it, for the progress output. */
  by: string;
}

export interface NotDumped {
  skipped: string;
}

/** The major version in "15.10 (Debian 15.10-1)" or "pg_dump (PostgreSQL) 16.4". */
export function majorVersion(version: string): number | null {
  const match = /(\d+)(?:\.\d+)?/.exec(version);
  return match?.[1] === undefined ? null : Number(match[1]);
}

const versions = new Map<string, Promise<number | null>>();

async function binaryMajor(binary: string): Promise<number | null> {
  let known = versions.get(binary);
  if (known === undefined) {
    known = execFileAsync(binary, ['--version'], { timeout: 5000 })
      .then(({ stdout }) => majorVersion(stdout.replace(/^pg_dump \(PostgreSQL\)\s*/, '')))
      .catch(() => null);
    versions.set(binary, known);
  }
  return known;
}

/** Local pg_dump binaries to try, most specific first. */
function candidates(provider: DatabaseProvider, major: number): string[] {
  const found = [
    ...(provider.clientBinDir === undefined ? [] : [path.join(provider.clientBinDir, 'pg_dump')]),
    `/usr/lib/postgresql/${major}/bin/pg_dump`,
  ].filter((file) => existsSync(file));
  return [...found, 'pg_dump'];
}

/** A pg_dump of the server's major version on this machine, if there is one. */
export async function localPgDump(provider: DatabaseProvider, major: number): Promise<string | null> {
  for (const binary of candidates(provider, major)) {
    if ((await binaryMajor(binary)) === major) return binary;
  }
  return null;
}

export async function dumpDatabase(
  provider: DatabaseProvider,
  database: ThrowawayDatabase,
  serverMajor: number,
): Promise<Dumped | NotDumped> {
  const address = parsePostgresUrl(database.url);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PGPASSWORD: address.password,
    PGCONNECT_TIMEOUT: '10',
  };
  const local = await localPgDump(provider, serverMajor);
  if (local !== null) {
    const result = await execa(
      local,
      [
        ...DUMP_ARGS,
        '--host',
        address.host,
        '--port',
        String(address.port),
        '--username',
        address.user,
        '--dbname',
        address.database,
      ],
      { env, extendEnv: false, reject: false, maxBuffer: 1024 * 1024 * 1024, stripFinalNewline: false },
    );
    if (result.exitCode !== 0) return { skipped: `${local} failed: ${result.stderr.trim()}` };
    return { sql: result.stdout, by: local };
  }
  const container = provider.containerId;
  if (container !== undefined) {
    // `-e PGPASSWORD` without a value hands docker exec the variable from its own environment.
    const result = await execa(
      'docker',
      [
        'exec',
        '-e',
        'PGPASSWORD',
        container,
        'pg_dump',
        ...DUMP_ARGS,
        '--host',
        '127.0.0.1',
        '--port',
        '5432',
        '--username',
        address.user,
        '--dbname',
        address.database,
      ],
      { env, reject: false, maxBuffer: 1024 * 1024 * 1024, stripFinalNewline: false },
    );
    if (result.exitCode === 0)
      return { sql: result.stdout, by: `pg_dump in container ${container.slice(0, 12)}` };
    return { skipped: `pg_dump in the container failed: ${result.stderr.trim()}` };
  }
  return { skipped: `no pg_dump ${serverMajor} on this machine (the server is PostgreSQL ${serverMajor})` };
}
