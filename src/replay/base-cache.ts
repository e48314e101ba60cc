// The warm base: the database at the base frontier (schema, rows the
// migrations inserted, alembic_version), kept between runs as a plain pg_dump
// under a key of everything that decides it. A hit restores the dump into the
// fresh database instead of replaying the history; anything wrong with an
// entry (another key, a checksum that does not match, a version table that
// is not at the frontier) is a miss, and the replay runs as without a cache.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { BridgeRevision, ConfigureSummary, KnownRevision, LoadResult } from '../alembic/protocol.ts';
import { dumpDatabase, majorVersion } from '../database/dump.ts';
import type { DatabaseProvider, ThrowawayDatabase } from '../database/provider.ts';
import { errorMessage } from '../errors.ts';
import type { Options } from '../options.ts';
import { formatMs } from '../progress.ts';
import { sqlName } from '../schema/literals.ts';
import { schemaDumpSql } from './base.ts';
import { ancestorsOf, sameRevisions } from './plan.ts';
import { newClient } from '../database/client.ts';

/** Bumped whenever what an entry holds, or how it is restored, changes. */
export const CACHE_FORMAT = 2;

/** Everything the base frontier depends on, as named strings (file contents hashed). */
export interface KeyInputs {
  /** The revision files the frontier is made of: path relative to the project → content. */
  revisions: Record<string, string>;
  /** env.py, the other Python files beside it, the Alembic config file(s). */
  files: Record<string, string>;
  /** Settings and versions: frontier heads, ini section, -x, versions, server major, seed settings. */
  settings: Record<string, string>;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The key: a sha256 over the format version and every input, in a fixed order. */
export function baseCacheKey(inputs: KeyInputs): string {
  const sorted = (record: Record<string, string>): [string, string][] =>
    Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return sha256(
    JSON.stringify({
      format: CACHE_FORMAT,
      revisions: sorted(inputs.revisions).map(([name, text]) => [name, sha256(text)]),
      files: sorted(inputs.files).map(([name, text]) => [name, sha256(text)]),
      settings: sorted(inputs.settings),
    }),
  );
}

export interface KeyContext {
  options: Options;
  load: LoadResult;
  hello: { python: string; alembic: string; sqlalchemy: string };
  /** Where the replayed base stops (plan.frontier). */
  frontier: string[];
  serverVersion: string;
}

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/** Each file's text (empty when unreadable) by its project-relative path. */
async function readAll(
  files: readonly string[],
  relative: (file: string) => string,
): Promise<Record<string, string>> {
  const texts = await Promise.all(files.map(readOrEmpty));
  return Object.fromEntries(files.map((file, i) => [relative(file), texts[i] ?? '']));
}

/** Reads the inputs of the key: the frontier's revision files, env.py and its neighbours, the config. */
export async function keyInputs(context: KeyContext): Promise<KeyInputs> {
  const { options, load } = context;
  const relative = (file: string): string => path.relative(options.projectDir, file);
  const below = ancestorsOf(load.revisions, context.frontier);
  // Read all at once: a long history has hundreds of revision files.
  const revisions = await readAll(
    load.revisions.filter((r) => below.has(r.id)).map((r) => r.path),
    relative,
  );
  // env.py and the helpers beside it that revisions and env.py import.
  const scriptDir = path.dirname(load.envPy);
  const helpers = (await readdir(scriptDir, { withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.py'))
    .map((entry) => path.join(scriptDir, entry.name));
  const configs = [options.configFile, options.tomlFile].filter((file) => file !== null);
  const files: Record<string, string> = {
    ...(await readAll(helpers, relative)),
    ...(await readAll([load.envPy, ...configs], relative)),
  };
  const major = majorVersion(context.serverVersion);
  return {
    revisions,
    files,
    settings: {
      ...optionSettings(options),
      frontier: [...context.frontier].sort().join(' '),
      iniSection: options.iniSection,
      driver: options.driver ?? load.driver,
      python: context.hello.python,
      alembic: context.hello.alembic,
      sqlalchemy: context.hello.sqlalchemy,
      postgresMajor: major === null ? context.serverVersion : String(major),
    },
  };
}

/** The settings of the key that the options alone decide (known before the project is loaded). */
function optionSettings(options: Options): Record<string, string> {
  return {
    baseFrom: options.baseFrom.kind,
    configFactory: options.configFactory ?? '',
    xArgs: options.xArgs.join('\n'),
    urlEnv: options.urlEnv.join(' '),
    databaseRole: options.databaseRole,
    extensions: [...options.extensions].sort().join(' '),
    tenantSchema: options.tenantSchema ?? '',
    // multidb: each database has a base of its own.
    engine: options.engine ?? '',
    seedRows: String(options.seedRows),
    seedSql: options.seedSql ?? '',
  };
}

/** A cache entry as read: its metadata and the dump. */
export interface Entry {
  meta: EntryMeta;
  sql: string;
}

/** What is stored beside the dump. */
interface EntryMeta {
  format: number;
  key: string;
  /** sha256 of the dump file. */
  sha256: string;
  /** The version table's rows at the frontier. */
  versions: string[];
  configure: ConfigureSummary | null;
  postgresMajor: number;
  /** Each file the key read (project-relative path → sha256 of its text): checked on disk by findEarlyEntry. */
  files: Record<string, string>;
  /** The key's settings, the options' among them (findEarlyEntry compares those). */
  settings: Record<string, string>;
  /** The extensions the run created in the database before the replay (an early restore needs none). */
  extensions: string[];
  /** The graph of the revision files replayed (project-relative path → what load read of it): see knownRevisions. */
  revisions?: Record<string, Omit<KnownRevision, 'sha256'>>;
  createdAt: string;
  dumpedBy: string;
}

export interface Restored {
  configure: ConfigureSummary | null;
}

function versionTable(configure: ConfigureSummary | null): string {
  return sqlName(configure?.versionTableSchema ?? 'public', configure?.versionTable ?? 'alembic_version');
}

/** The version table's rows, sorted. */
export async function versionRows(client: pg.Client, configure: ConfigureSummary | null): Promise<string[]> {
  const rows = await client.query<{ version_num: string }>(
    `SELECT version_num FROM ${versionTable(configure)}`,
  );
  return rows.rows.map((r) => r.version_num).sort();
}

/**
 * The dump as statements for our connection. pg_dump empties search_path and
 * qualifies every name it writes, but not the names inside function bodies: a
 * CHECK constraint or default that calls a function reading an unqualified
 * table fails on the restored rows. The migrations ran with the database's
 * own path (a tenant schema's, with tenant-schema), so the restore does too.
 */
export function restorableSql(dump: string): string {
  return schemaDumpSql(dump).replace(
    /^SELECT pg_catalog\.set_config\('search_path', '', false\);$/gm,
    'RESET search_path;',
  );
}

const sqlFile = (dir: string, key: string): string => path.join(dir, `base-${key}.sql`);
const metaFile = (dir: string, key: string): string => path.join(dir, `base-${key}.json`);

/** The files the key read, each by its sha256. */
function hashedFiles(inputs: KeyInputs): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ ...inputs.revisions, ...inputs.files }).map(([name, text]) => [name, sha256(text)]),
  );
}

/** The entry under `key`, if it is there and sound for this server and frontier; a reason otherwise. */
async function readEntry(
  dir: string,
  key: string,
  major: number,
  frontier: readonly string[],
): Promise<Entry | { miss: string }> {
  let meta: EntryMeta;
  let sql: string;
  try {
    meta = JSON.parse(await readFile(metaFile(dir, key), 'utf8')) as EntryMeta;
    sql = await readFile(sqlFile(dir, key), 'utf8');
  } catch {
    return { miss: 'no entry' };
  }
  if (meta.format !== CACHE_FORMAT || meta.key !== key) return { miss: 'the entry has another key' };
  if (meta.postgresMajor !== major) return { miss: 'the entry is for another PostgreSQL' };
  if (sha256(sql) !== meta.sha256) return { miss: 'the dump does not match its checksum' };
  if (!Array.isArray(meta.versions) || !sameRevisions(meta.versions, frontier))
    return { miss: 'the entry is not at the frontier' };
  return { meta, sql };
}

/**
 * Restores `entry` into `database` (fresh, empty); why it did not, null when
 * it did and the version table holds `frontier`.
 */
export async function restoreEntry(
  database: ThrowawayDatabase,
  entry: Entry,
  frontier: readonly string[],
): Promise<string | null> {
  // As the run's role, like the project's code: the entry gets no more rights than a migration.
  const client = newClient({ connectionString: database.url });
  try {
    await client.connect();
    await client.query(restorableSql(entry.sql));
    await client.query('RESET search_path');
    const versions = await versionRows(client, entry.meta.configure);
    if (!sameRevisions(versions, frontier))
      return `the restored version table holds ${versions.join(', ') || 'nothing'}, not the frontier`;
    return null;
  } catch (error) {
    return `the entry did not restore (${errorMessage(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The entries in `dir` saved under their own key, in this format, with the
 * options' settings and passing `fits` (unreadable files are none), each with
 * when it was last used.
 */
async function entriesFitting(
  dir: string,
  options: Options,
  fits: (meta: EntryMeta) => boolean,
): Promise<{ meta: EntryMeta; used: number }[]> {
  const wanted = optionSettings(options);
  const entries: { meta: EntryMeta; used: number }[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const key = /^base-([0-9a-f]{64})\.json$/.exec(name)?.[1];
    if (key === undefined) continue;
    try {
      const file = path.join(dir, name);
      const meta = JSON.parse(await readFile(file, 'utf8')) as EntryMeta;
      const fitting =
        meta.format === CACHE_FORMAT &&
        meta.key === key &&
        typeof meta.settings === 'object' &&
        Object.entries(wanted).every(([setting, value]) => meta.settings[setting] === value) &&
        fits(meta);
      if (fitting) entries.push({ meta, used: (await stat(file)).mtimeMs });
    } catch {
      // Unreadable or not an entry: not a candidate.
    }
  }
  return entries;
}

/**
 * The entry most likely to be this run's, found before the project is loaded
 * (see early-base.ts): saved with the options' settings, for the server's
 * major (awaited last: the files are read while the server starts), no
 * extension created beforehand, and every file its key read reading the same
 * on disk now; of several, the one that read the most files (the latest
 * frontier of a branch), then the most recently used. Only a guess: the key,
 * once known, decides. Null when none fits.
 */
export async function findEarlyEntry(
  options: Options,
  serverMajor: Promise<number | null>,
): Promise<Entry | null> {
  const dir = options.cacheDir;
  if (dir === null) return null;
  const candidates = await entriesFitting(
    dir,
    options,
    (meta) => Array.isArray(meta.extensions) && meta.extensions.length === 0,
  );
  const size = (meta: EntryMeta): number => Object.keys(meta.files).length;
  candidates.sort((a, b) => size(b.meta) - size(a.meta) || b.used - a.used);
  const onDisk: EntryMeta[] = [];
  for (const { meta } of candidates) if (await sameOnDisk(options.projectDir, meta.files)) onDisk.push(meta);
  const major = await serverMajor;
  for (const meta of onDisk.filter((m) => m.postgresMajor === major)) {
    const entry = await readEntry(dir, meta.key, meta.postgresMajor, meta.versions);
    if (!('miss' in entry)) return entry;
  }
  return null;
}

/** What load read of the revision files below the frontier, by project-relative path. */
function revisionGraph(
  projectDir: string,
  revisions: readonly BridgeRevision[],
  frontier: readonly string[],
): Record<string, Omit<KnownRevision, 'sha256'>> {
  const below = ancestorsOf(revisions, frontier);
  return Object.fromEntries(
    revisions
      .filter((r) => below.has(r.id))
      .map((r) => [
        path.relative(projectDir, r.path),
        {
          id: r.id,
          downRevisions: r.downRevisions,
          dependsOn: r.dependsOn,
          branchLabels: r.branchLabels,
          message: r.message,
        },
      ]),
  );
}

/**
 * The revision files an entry replayed, for load to leave unexecuted (see
 * the bridge's known.py, which checks each file's bytes against its hash):
 * from the entry saved with the options' settings and the same Python,
 * Alembic and SQLAlchemy (`versions`, awaited last: the entries are read
 * while the bridge starts) that recorded the most revisions, the most
 * recently used of those. By real path; empty when no entry fits.
 */
export async function knownRevisions(
  options: Options,
  versions: Promise<{ python: string; alembic: string; sqlalchemy: string }>,
): Promise<Record<string, KnownRevision>> {
  const dir = options.cacheDir;
  if (dir === null || options.baseFrom.kind !== 'replay') return {};
  const fitting = await entriesFitting(dir, options, (meta) => typeof meta.revisions === 'object');
  const candidates = await Promise.all(
    fitting.map(async (c) => ({ ...c, known: await byRealPath(options.projectDir, c.meta) })),
  );
  const { python, alembic, sqlalchemy } = await versions;
  const sameVersions = candidates.filter(
    ({ meta }) =>
      meta.settings.python === python &&
      meta.settings.alembic === alembic &&
      meta.settings.sqlalchemy === sqlalchemy,
  );
  const size = (c: (typeof sameVersions)[number]): number => Object.keys(c.known).length;
  sameVersions.sort((a, b) => size(b) - size(a) || b.used - a.used);
  return sameVersions[0]?.known ?? {};
}

/** An entry's recorded revisions with their hashes, by the real path of each file still there. */
async function byRealPath(projectDir: string, meta: EntryMeta): Promise<Record<string, KnownRevision>> {
  const entries = Object.entries(meta.revisions ?? {}).flatMap(([relative, graph]) => {
    const hash = meta.files[relative];
    return hash === undefined ? [] : [{ relative, known: { ...graph, sha256: hash } }];
  });
  const reals = await Promise.all(
    entries.map(({ relative }) => realpath(path.resolve(projectDir, relative)).catch(() => null)),
  );
  return Object.fromEntries(entries.flatMap(({ known }, i) => (reals[i] ? [[reals[i], known]] : [])));
}

/** Whether every file reads on disk as its hash says (an unreadable one as empty text, as keyInputs reads it). */
async function sameOnDisk(projectDir: string, files: Record<string, string>): Promise<boolean> {
  const entries = Object.entries(files);
  const texts = await Promise.all(entries.map(([name]) => readOrEmpty(path.resolve(projectDir, name))));
  return entries.every(([, hash], i) => sha256(texts[i] ?? '') === hash);
}

/** The cache directory for one run: one key, one entry. */
export class BaseCache {
  readonly dir: string;
  readonly key: string;
  readonly #frontier: string[];
  readonly #major: number;
  readonly #log: (line: string) => void;
  readonly #inputs: KeyInputs | null;
  readonly #graph: Record<string, Omit<KnownRevision, 'sha256'>>;
  /** The entry as read once (available() then restore()); null until read. */
  #entry: Promise<Entry | { miss: string }> | null = null;
  #missSaid = false;

  constructor(
    dir: string,
    key: string,
    frontier: string[],
    major: number,
    log: (line: string) => void,
    inputs: KeyInputs | null = null,
    graph: Record<string, Omit<KnownRevision, 'sha256'>> = {},
  ) {
    this.dir = dir;
    this.key = key;
    this.#frontier = [...frontier].sort();
    this.#major = major;
    this.#log = log;
    this.#inputs = inputs;
    this.#graph = graph;
  }

  static async open(context: KeyContext, log: (line: string) => void): Promise<BaseCache | null> {
    const dir = context.options.cacheDir;
    const major = majorVersion(context.serverVersion);
    if (dir === null || major === null) return null;
    const inputs = await keyInputs(context);
    const graph = revisionGraph(context.options.projectDir, context.load.revisions, context.frontier);
    return new BaseCache(dir, baseCacheKey(inputs), context.frontier, major, log, inputs, graph);
  }

  get shortKey(): string {
    return this.key.slice(0, 12);
  }

  get #sqlFile(): string {
    return sqlFile(this.dir, this.key);
  }

  get #metaFile(): string {
    return metaFile(this.dir, this.key);
  }

  /** The entry, if there is one and it is sound; a reason otherwise. */
  #read(): Promise<Entry | { miss: string }> {
    return readEntry(this.dir, this.key, this.#major, this.#frontier);
  }

  /** Marks the entry recently used: the action keeps the entries a run touched. */
  async touch(): Promise<void> {
    const now = new Date();
    await utimes(this.#metaFile, now, now).catch(() => undefined);
  }

  /**
   * Whether a sound entry is there, before any database is made for it; a
   * miss other than "no entry" is said, once.
   */
  async available(): Promise<boolean> {
    const entry = await this.#readOnce();
    if (!('miss' in entry)) return true;
    if (entry.miss !== 'no entry' && !this.#missSaid)
      this.#log(`base cache: ${entry.miss} (key ${this.shortKey}); replaying`);
    this.#missSaid = true;
    return false;
  }

  #readOnce(): Promise<Entry | { miss: string }> {
    this.#entry ??= this.#read();
    return this.#entry;
  }

  /**
   * Restores the entry into `database` (fresh, empty). Null on a miss or when
   * the restore fails or ends anywhere but at the frontier: the caller then
   * replays, on a fresh database (this one may be half restored).
   */
  async restore(database: ThrowawayDatabase): Promise<Restored | null> {
    const start = performance.now();
    const entry = await this.#readOnce();
    if ('miss' in entry) return null; // said by available()
    const failure = await this.#restoreInto(database, entry);
    if (failure !== null) {
      this.#log(`base cache: ${failure}; replaying`);
      return null;
    }
    await this.touch();
    this.#log(`base restored from cache (key ${this.shortKey}, ${formatMs(performance.now() - start)})`);
    return { configure: entry.meta.configure };
  }

  /** Restores the entry into one more database (fresh, empty), quietly: whether it did. */
  async restoreCopy(database: ThrowawayDatabase): Promise<boolean> {
    const entry = await this.#readOnce();
    return !('miss' in entry) && (await this.#restoreInto(database, entry)) === null;
  }

  /** The entry restored into one more database, being created; null (the database dropped) when it did not restore. */
  async copyInto(
    provider: DatabaseProvider,
    creating: Promise<ThrowawayDatabase | null>,
  ): Promise<ThrowawayDatabase | null> {
    const database = await creating.catch(() => null);
    if (database === null || (await this.restoreCopy(database))) return database;
    await provider.dropDatabase(database).catch(() => undefined);
    return null;
  }

  #restoreInto(database: ThrowawayDatabase, entry: Entry): Promise<string | null> {
    return restoreEntry(database, entry, this.#frontier);
  }

  /** Dumps `database` (at the frontier, no connection open) as the entry; never fails the review. */
  async save(
    provider: DatabaseProvider,
    database: ThrowawayDatabase,
    configure: ConfigureSummary | null,
  ): Promise<void> {
    const start = performance.now();
    try {
      const client = newClient({ connectionString: database.url });
      let versions: string[];
      try {
        await client.connect();
        versions = await versionRows(client, configure);
      } finally {
        await client.end().catch(() => undefined);
      }
      if (!sameRevisions(versions, this.#frontier)) {
        this.#log('base cache: the version table is not at the frontier; not cached');
        return;
      }
      const dumped = await dumpDatabase(provider, database, this.#major);
      if ('skipped' in dumped) {
        this.#log(`base cache: not cached: ${dumped.skipped}`);
        return;
      }
      const meta: EntryMeta = {
        format: CACHE_FORMAT,
        key: this.key,
        sha256: sha256(dumped.sql),
        versions,
        configure,
        postgresMajor: this.#major,
        files: this.#inputs === null ? {} : hashedFiles(this.#inputs),
        settings: this.#inputs?.settings ?? {},
        extensions: [...(await provider.extensionsDecided())],
        revisions: this.#graph,
        createdAt: new Date().toISOString(),
        dumpedBy: dumped.by,
      };
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // Written aside and renamed: a run that dies half way leaves no entry, a concurrent one a whole one.
      const suffix = `.tmp-${process.pid}`;
      await writeFile(this.#sqlFile + suffix, dumped.sql, { mode: 0o600 });
      await writeFile(this.#metaFile + suffix, JSON.stringify(meta, null, 2), { mode: 0o600 });
      await rename(this.#sqlFile + suffix, this.#sqlFile);
      await rename(this.#metaFile + suffix, this.#metaFile);
      this.#entry = null;
      this.#log(`base saved to the cache (key ${this.shortKey}, ${formatMs(performance.now() - start)})`);
    } catch (error) {
      this.#log(`base cache: not cached (${errorMessage(error)})`);
      await rm(this.#sqlFile, { force: true }).catch(() => undefined);
    }
  }
}
