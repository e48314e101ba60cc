// The server the benches measure on, unless BENCH_DATABASE_URL names one: a
// PostgreSQL cluster of the machine's binaries with its data directory on
// /dev/shm and the settings of the review's own throwaway servers (fsync off;
// see EmbeddedProvider and the Docker provider). Both sides of a comparison
// run on it. Why not the machine's server: its data directory's filesystem
// remembers every file deleted (ext4 without a journal skips recently freed
// inodes one by one), so after a few hundred throwaway databases each new
// file costs about a millisecond; the review makes more files than an
// `alembic upgrade` (its databases, their tables), and the ratio would
// measure the filesystem's history, not the review.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { findPostgresBinaries, freePort } from '../src/database/embedded.ts';
import { parsePostgresUrl, type ServerAddress } from '../src/database/url.ts';

export interface BenchServer {
  address: ServerAddress;
  /** What the results say about it. */
  description: string;
  stop(): Promise<void>;
}

const SETTINGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'autovacuum=off'];

/** BENCH_DATABASE_URL's server (left running), else a tmpfs cluster started now. */
export async function benchServer(): Promise<BenchServer> {
  const url = process.env.BENCH_DATABASE_URL;
  if (url !== undefined && url !== '') {
    const address = parsePostgresUrl(url);
    return {
      address,
      description: `${address.host}:${address.port} (BENCH_DATABASE_URL)`,
      stop: () => Promise.resolve(),
    };
  }
  return startTmpfsServer();
}

/** BENCH_PG_BIN, else the newest of Debian's (the major of the machine's server), else what the review would find. */
function binDir(): string | undefined {
  if (process.env.BENCH_PG_BIN !== undefined) return process.env.BENCH_PG_BIN;
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return undefined;
  const majors = readdirSync(debian)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : path.join(debian, majors[0], 'bin');
}

async function startTmpfsServer(): Promise<BenchServer> {
  const binaries = await findPostgresBinaries(binDir());
  if (binaries === undefined)
    throw new Error(
      'no PostgreSQL binaries (initdb, postgres): install postgresql or set BENCH_DATABASE_URL',
    );
  const root = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : '/tmp', 'ar-bench-pg-'));
  chmodSync(root, 0o755);
  const data = path.join(root, 'data');
  mkdirSync(data, { mode: 0o700 });
  // initdb and postgres refuse root: the cluster belongs to the postgres user then (run as it
  // directly, not through runuser, so that a signal reaches the server itself).
  const account: { uid: number; gid: number } | Record<string, never> =
    process.getuid?.() === 0
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
          gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
        }
      : {};
  if ('uid' in account) {
    chownSync(data, account.uid, account.gid);
    chownSync(root, account.uid, account.gid);
  }
  const init = ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'];
  execFileSync(binaries.initdb, init, { stdio: 'ignore', cwd: root, ...account });
  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1'];
  for (const setting of SETTINGS) args.push('-c', setting);
  const child: ChildProcess = spawn(binaries.postgres, args, { stdio: 'ignore', cwd: root, ...account });
  // A benchmark that throws leaves no server behind (postgres outlives its parent otherwise).
  const abandon = (): void => {
    child.kill('SIGQUIT');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', abandon);
  const address: ServerAddress = {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: '',
    database: 'postgres',
  };
  const isReady = path.join(path.dirname(binaries.initdb), 'pg_isready');
  for (let tries = 0; ; tries++) {
    try {
      execFileSync(isReady, ['-h', '127.0.0.1', '-p', String(port), '-q'], { stdio: 'ignore' });
      break;
    } catch {
      if (tries > 100 || child.exitCode !== null) throw new Error('the benchmark server did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const version = execFileSync(binaries.postgres, ['--version'], { encoding: 'utf8' }).trim();
  return {
    address,
    description: `a cluster of ${version} on a tmpfs (${SETTINGS.join(', ')}), as the review's own servers run`,
    stop: async () => {
      process.off('exit', abandon);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT'); // fast shutdown
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
