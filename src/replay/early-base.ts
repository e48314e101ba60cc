// The warm base restored while the project opens. The cache key needs the
// project loaded (its revisions, env.py, the Alembic version), which on a
// long history takes most of a second, and a restore of a large schema as
// long: the entry whose files all read the same on disk as when it was saved
// (findEarlyEntry) is restored meanwhile into a database of its own, and used
// only if the key, once known, is that entry's. Any other key, or a restore
// that failed, and the database is dropped: the usual path then runs (and
// says what it finds), so a wrong guess costs time, never a wrong base.
import type { ConfigureSummary } from '../alembic/protocol.ts';
import { majorVersion } from '../database/dump.ts';
import type { DatabaseProvider, ThrowawayDatabase } from '../database/provider.ts';
import { errorMessage } from '../errors.ts';
import { introspect } from '../schema/introspect.ts';
import type { Schema } from '../schema/types.ts';
import type { Options } from '../options.ts';
import { formatMs } from '../progress.ts';
import { findEarlyEntry, restoreEntry, type BaseCache, type Entry } from './base-cache.ts';

interface Restoring {
  entry: Entry;
  database: ThrowawayDatabase | null;
  /** Why the entry did not restore; null when it did. */
  failure: string | null;
  durationMs: number;
  /** The restored schema, introspected at once (null when that failed). */
  schema: Promise<Schema | null> | null;
}

export class EarlyBase {
  readonly #provider: DatabaseProvider;
  readonly #restoring: Promise<Restoring>;
  /** The entry's key: the run's, most likely (take() tells). */
  readonly key: string;
  #taken = false;

  private constructor(provider: DatabaseProvider, restoring: Promise<Restoring>, key: string) {
    this.#provider = provider;
    this.#restoring = restoring;
    this.key = key;
  }

  /**
   * The entry for this run, if one fits (looked up while the server starts),
   * restored into a database made at once; null when none fits.
   */
  static async start(options: Options, provider: Promise<DatabaseProvider>): Promise<EarlyBase | null> {
    if (options.cacheDir === null || options.baseFrom.kind !== 'replay') return null;
    const server = provider.then(async (p) => ({ provider: p, version: await p.serverVersion() }));
    const entry = await findEarlyEntry(
      options,
      server.then(({ version }) => majorVersion(version)),
    ).catch(() => null);
    if (entry === null) return null;
    const { provider: started } = await server;
    const restoring = (async (): Promise<Restoring> => {
      const start = performance.now();
      let database: ThrowawayDatabase | null = null;
      let failure: string | null;
      let schema: Promise<Schema | null> | null = null;
      try {
        database = await started.createEarlyDatabase('rows');
        failure = await restoreEntry(database, entry, entry.meta.versions);
        // While the project still opens: the replay needs the base's schema first thing.
        if (failure === null) schema = introspect(database.url).catch(() => null);
      } catch (error) {
        failure = errorMessage(error);
      }
      return { entry, database, failure, durationMs: performance.now() - start, schema };
    })();
    return new EarlyBase(started, restoring, entry.meta.key);
  }

  /**
   * The restored base if it is `cache`'s entry, with the run's extensions
   * added; null otherwise (its database dropped). Once: a second take is null.
   */
  async take(
    cache: BaseCache,
    log: (line: string) => void,
  ): Promise<{
    database: ThrowawayDatabase;
    configure: ConfigureSummary | null;
    /** Its schema as restored, when the run adds no extensions to it (null: introspect it). */
    schema: Schema | null;
  } | null> {
    if (this.#taken) return null;
    this.#taken = true;
    const restored = await this.#restoring;
    const { database } = restored;
    if (database === null) return null;
    if (restored.entry.meta.key !== cache.key || restored.failure !== null) {
      await this.#provider.dropDatabase(database).catch(() => undefined);
      return null;
    }
    // Extensions added now would change what the early introspection saw.
    const unchanged = (await this.#provider.extensionsDecided()).length === 0;
    await this.#provider.addExtensions(database);
    await cache.touch();
    log(
      `base restored from cache while the project opened (key ${cache.shortKey}, ${formatMs(restored.durationMs)})`,
    );
    const schema = unchanged ? ((await restored.schema) ?? null) : null;
    return { database, configure: restored.entry.meta.configure, schema };
  }

  /** The restore has ended (a database not taken is the provider's to drop, like any other). */
  async settled(): Promise<void> {
    await this.#restoring;
  }
}
