// A throwaway PostgreSQL: start it, ask it for fresh databases, stop it.
// Every provider hands out databases it created itself, named
// alembic_review_<purpose>_<random>, owned by the run's restricted role and
// marked with a per-run token that the Python bridge checks before it lets a
// migration statement run.
import type { AccessSummary } from './access.ts';

export type DatabaseKind = 'auto' | 'testcontainers' | 'embedded' | 'url' | 'none';
export type ProviderKind = Exclude<DatabaseKind, 'auto' | 'none'>;

export interface ThrowawayDatabase {
  /**
   * postgresql://user:password@host:port/name (no driver suffix), as the run's
   * role: what the project's code, the seeding and the introspection use.
   */
  url: string;
  name: string;
  /** Random token stored as the database's comment; the bridge verifies it. */
  token: string;
}

export interface DatabaseProvider {
  readonly kind: ProviderKind;
  /** One line for progress output, e.g. "testcontainers (local/postgres:15)". */
  readonly description: string;
  start(): Promise<void>;
  /**
   * A fresh database, empty or a copy of one of ours (`template`, which must
   * have no open connection); dropped again by dropDatabase() or stop().
   */
  createDatabase(purpose: string, template?: ThrowawayDatabase): Promise<ThrowawayDatabase>;
  /**
   * A fresh empty database made at once, before the run's extensions are
   * decided (the warm base restored while the project opens): the caller
   * adds them with addExtensions() before the project's code runs on it.
   */
  createEarlyDatabase(purpose: string): Promise<ThrowawayDatabase>;
  /** The run's extensions, once decided, in a database made by createEarlyDatabase(). */
  addExtensions(database: ThrowawayDatabase): Promise<void>;
  dropDatabase(database: ThrowawayDatabase): Promise<void>;
  /** Drops every database it created and releases the server (idempotent). */
  stop(): Promise<void>;
  /** Server version string, once started. */
  serverVersion(): Promise<string>;
  /** Who the project's code connects as, once started (its extensions: see extensionsDecided). */
  readonly access: AccessSummary | undefined;
  /** The extensions every database gets, once the revisions that need them are known. */
  extensionsDecided(): Promise<readonly string[]>;
  /** The server's own binaries (embedded), where a pg_dump of its version is. */
  readonly clientBinDir?: string | undefined;
  /** The container the server runs in (testcontainers): its pg_dump matches the server. */
  readonly containerId?: string | undefined;
}
