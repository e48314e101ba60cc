// An existing PostgreSQL server given by URL (--database-url). We only ever
// CREATE, COMMENT ON and DROP databases named alembic_review_* that this
// provider created itself, and the run's role alembic_review_r_* that owns
// them; the database named in the URL is used as the maintenance connection
// and never written to. We do not change the server's settings: when it lets
// a role in without a password (trust), the project's code could connect as
// any role, and the review says so.
import { UsageError, errorMessage } from '../errors.ts';
import { throwIfCancelled } from '../teardown.ts';
import { DEFAULT_ACCESS, RunAccess, type AccessOptions, type AccessSummary } from './access.ts';
import { Cleanup, seconds, type Log } from './lifecycle.ts';
import type { DatabaseProvider, ThrowawayDatabase } from './provider.ts';
import { OwnDatabases, dropThrowawayDatabase, serverVersion } from './server.ts';
import { formatPostgresUrl, parsePostgresUrl, redactUrl, type ServerAddress } from './url.ts';
import { newClient } from './client.ts';

export interface UrlProviderOptions {
  log?: Log;
  /** Connection timeout for the reachability check (default 10 s). */
  connectTimeoutMs?: number;
  /** The role the project's code gets (default: a restricted role of the run's own). */
  access?: AccessOptions;
}

function hostPort(address: ServerAddress): string {
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

export class UrlProvider implements DatabaseProvider {
  readonly kind = 'url' as const;
  readonly #url: string;
  readonly #log: Log;
  readonly #connectTimeoutMs: number;
  readonly #databases: OwnDatabases;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #cleanup: Cleanup;
  #admin: ServerAddress | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;

  constructor(url: string, options: UrlProviderOptions = {}) {
    this.#url = url;
    this.#log = options.log ?? (() => undefined);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#databases = new OwnDatabases(new RunAccess(options.access ?? DEFAULT_ACCESS));
    this.#cleanup = new Cleanup(`databases on ${redactUrl(url)}`, () => this.#dropAll());
  }

  get description(): string {
    return `url (${redactUrl(this.#url)})`;
  }

  get access(): AccessSummary | undefined {
    return this.#databases.access.summary;
  }

  extensionsDecided(): Promise<readonly string[]> {
    return this.#databases.access.extensionsDecided();
  }

  /** The run's role while it exists. */
  get roleName(): string | undefined {
    return this.#databases.access.roleName;
  }

  /** Names of the databases this provider created and has not dropped yet. */
  get createdDatabases(): string[] {
    return this.#databases.names;
  }

  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#stopped) throw new Error('provider already stopped');
    const began = performance.now();
    let admin: ServerAddress;
    try {
      admin = parsePostgresUrl(this.#url);
    } catch (error) {
      throw new UsageError('usage', `--database-url: ${errorMessage(error)}`, { cause: error });
    }
    const where = `${hostPort(admin)} (--database-url ${redactUrl(this.#url)})`;
    const client = newClient({ ...admin, connectionTimeoutMillis: this.#connectTimeoutMs });
    let canCreate: boolean;
    let version: string;
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new UsageError(
        'database',
        `Cannot connect to the PostgreSQL server at ${where}: ${errorMessage(error) || String(error)}. ` +
          `Check that the server runs and accepts this user and password, or use --database testcontainers ` +
          `or --database embedded for a throwaway server.`,
        { cause: error },
      );
    }
    try {
      const result = await client.query<{ can_create: boolean; version: string }>(
        `SELECT (rolcreatedb OR rolsuper) AS can_create, current_setting('server_version') AS version
           FROM pg_roles WHERE rolname = current_user`,
      );
      canCreate = result.rows[0]?.can_create ?? false;
      version = result.rows[0]?.version ?? 'unknown';
    } finally {
      await client.end().catch(() => undefined);
    }
    if (!canCreate) {
      throw new UsageError(
        'database',
        `The role "${admin.user}" on ${where} may not create databases (it lacks CREATEDB). alembic-review ` +
          `creates and drops its own alembic_review_* databases there: grant it with ` +
          `ALTER ROLE "${admin.user}" CREATEDB, use another role, or use --database testcontainers or --database embedded.`,
      );
    }
    // The role exists from here on: the cleanup must know about it (unless the run was cancelled meanwhile).
    throwIfCancelled();
    this.#cleanup.arm();
    this.#admin = admin;
    const preparing = this.#prepareAccess(admin, where);
    this.#pending.add(preparing);
    try {
      await preparing;
    } finally {
      this.#pending.delete(preparing);
    }
    this.#log(`using PostgreSQL ${version} at ${hostPort(admin)} (${seconds(performance.now() - began)})`);
  }

  async #prepareAccess(admin: ServerAddress, where: string): Promise<void> {
    const access = this.#databases.access;
    let summary: AccessSummary;
    try {
      summary = await access.prepare(admin, false);
    } catch (error) {
      throw new UsageError(
        'database',
        `Could not create the review's own role on ${where}: ${errorMessage(error)}. The role of the URL needs CREATEROLE (or use database-role = "superuser").`,
        { cause: error },
      );
    }
    if (await access.trustsWithoutPassword(admin)) {
      summary.warnings.push(
        `The server at ${hostPort(admin)} lets roles connect without a password (trust authentication), so the project's code could connect as any role, a superuser included: the restricted role does not contain it there. Use a server that asks for passwords, such as a service container with POSTGRES_PASSWORD, or --database testcontainers or embedded.`,
      );
    }
  }

  #requireAdmin(): ServerAddress {
    if (this.#admin === undefined || this.#stopped) throw new Error('url provider not started');
    return this.#admin;
  }

  createDatabase(purpose: string, template?: ThrowawayDatabase): Promise<ThrowawayDatabase> {
    return this.#create(purpose, template, true);
  }

  createEarlyDatabase(purpose: string): Promise<ThrowawayDatabase> {
    return this.#create(purpose, undefined, false);
  }

  async addExtensions(database: ThrowawayDatabase): Promise<void> {
    const admin = this.#requireAdmin();
    try {
      await this.#databases.addExtensions(admin, database, undefined);
    } catch (error) {
      throw this.#notCreated(admin, error);
    }
  }

  async #create(
    purpose: string,
    template: ThrowawayDatabase | undefined,
    withExtensions: boolean,
  ): Promise<ThrowawayDatabase> {
    const admin = this.#requireAdmin();
    this.#cleanup.arm();
    // Tracked while in flight so that a teardown (SIGTERM) racing with it still
    // drops the database once it exists.
    const creating = this.#databases.create(admin, purpose, template);
    this.#pending.add(creating);
    let database: ThrowawayDatabase;
    try {
      database = await creating;
      if (withExtensions) await this.#databases.addExtensions(admin, database, template);
    } catch (error) {
      throw this.#notCreated(admin, error);
    } finally {
      this.#pending.delete(creating);
    }
    return database;
  }

  #notCreated(admin: ServerAddress, error: unknown): UsageError {
    return new UsageError(
      'database',
      `Could not create a database on ${hostPort(admin)} (--database-url ${redactUrl(this.#url)}): ${errorMessage(error)}`,
      { cause: error },
    );
  }

  async dropDatabase(database: ThrowawayDatabase): Promise<void> {
    return this.#databases.drop(this.#requireAdmin(), database);
  }

  async serverVersion(): Promise<string> {
    return serverVersion(this.#requireAdmin());
  }

  /** Drops every database this provider created. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (!this.#cleanup.armed && this.#databases.names.length === 0) return;
    await this.#cleanup.run();
  }

  async #dropAll(): Promise<void> {
    this.#stopped = true;
    const admin = this.#admin;
    if (admin === undefined) return;
    await Promise.allSettled([...this.#pending]);
    const failures: string[] = [];
    // All at once: each DROP DATABASE waits for a checkpoint, and concurrent ones share it.
    await Promise.all(
      this.#databases.names.map(async (name) => {
        try {
          await dropThrowawayDatabase(admin, name);
          this.#databases.forget(name);
        } catch (error) {
          failures.push(`${name}: ${errorMessage(error)}`);
        }
      }),
    );
    // After the databases it owns.
    try {
      await this.#databases.access.dropRole(admin);
    } catch (error) {
      failures.push(`role ${this.#databases.access.roleName ?? '?'}: ${errorMessage(error)}`);
    }
    if (failures.length > 0) {
      throw new Error(
        `could not drop ${failures.join('; ')} on ${formatPostgresUrl({ ...admin, password: '' })}`,
      );
    }
  }
}
