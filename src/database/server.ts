// Creating and dropping the throwaway databases on a server we can reach as
// an admin. Shared by all providers: only the way the server comes to exist
// differs.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sqlIdent } from '../schema/literals.ts';
import { DEFAULT_ACCESS, RunAccess, type AccessOptions, type AccessSummary } from './access.ts';
import type { ThrowawayDatabase } from './provider.ts';
import { formatPostgresUrl, type ServerAddress } from './url.ts';
import { newClient } from './client.ts';

export const DATABASE_PREFIX = 'alembic_review_';
export const TOKEN_PREFIX = 'alembic-review:';

/** The superuser password of a server a provider starts (initdb's, the container's). */
export function newSuperuserPassword(): string {
  return randomBytes(18).toString('base64url');
}

export function newDatabaseName(purpose: string): string {
  const safe = purpose
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 20);
  return `${DATABASE_PREFIX}${safe}_${randomBytes(5).toString('hex')}`;
}

export async function withClient<T>(
  address: ServerAddress,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = newClient({ ...address, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface DatabaseSetup {
  /** The role that owns it (default: the admin). */
  owner?: string | undefined;
  /** The address the project's code uses for it (default: the admin's). */
  url?: (name: string) => ServerAddress;
  /** The tenant schema (tenant-schema option), owned by `owner`; null: none. */
  tenantSchema?: string | null;
}

/** Creates a uniquely named database (a copy of `template`, one of ours, if given) marked with a random token. */
export async function createThrowawayDatabase(
  admin: ServerAddress,
  purpose: string,
  template?: string,
  setup: DatabaseSetup = {},
): Promise<ThrowawayDatabase> {
  if (template !== undefined && !template.startsWith(DATABASE_PREFIX)) {
    throw new Error(`refusing to copy ${template}: not created by alembic-review`);
  }
  const name = newDatabaseName(purpose);
  const token = randomBytes(16).toString('hex');
  const clauses = [
    ...(template === undefined ? [] : [`TEMPLATE ${sqlIdent(template)}`]),
    ...(setup.owner === undefined ? [] : [`OWNER ${sqlIdent(setup.owner)}`]),
  ];
  await withClient(admin, async (client) => {
    await client.query(`CREATE DATABASE ${sqlIdent(name)}${clauses.map((c) => ` ${c}`).join('')}`);
    await client.query(`COMMENT ON DATABASE ${sqlIdent(name)} IS '${TOKEN_PREFIX}${token}'`);
  });
  if (setup.tenantSchema !== undefined && setup.tenantSchema !== null)
    await prepareTenantSchema(
      { ...admin, database: name },
      setup.tenantSchema,
      setup.owner,
      template === undefined,
    );
  const url = setup.url?.(name) ?? { ...admin, database: name };
  return { name, token, url: formatPostgresUrl(url) };
}

/** Creates extensions in one of our databases, as the admin (those its owner may not create). */
export async function createExtensions(
  admin: ServerAddress,
  name: string,
  extensions: readonly string[],
): Promise<void> {
  if (extensions.length === 0) return;
  await withClient({ ...admin, database: name }, async (client) => {
    // In public, as before any tenant schema's search_path applies (an extension's objects are shared).
    await client.query('SET search_path TO public');
    for (const extension of extensions)
      await client.query(`CREATE EXTENSION IF NOT EXISTS ${sqlIdent(extension)} CASCADE`);
  });
}

/**
 * Schema per tenant: the tenant schema, empty, before env.py looks for tenant
 * schemas (copies have it already), and every connection's search_path
 * starting with it, as env.py sets it for its migrations: unqualified names
 * of the tool's own SQL (seeding, the version table, checks) and of the
 * models mean the tenant's tables. A database's settings are not copied with
 * it, so every database gets the search_path.
 */
async function prepareTenantSchema(
  database: ServerAddress,
  tenantSchema: string,
  owner: string | undefined,
  create: boolean,
): Promise<void> {
  await withClient(database, async (client) => {
    if (create) {
      const authorization = owner === undefined ? '' : ` AUTHORIZATION ${sqlIdent(owner)}`;
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${sqlIdent(tenantSchema)}${authorization}`);
    }
    await client.query(
      `ALTER DATABASE ${sqlIdent(database.database)} SET search_path TO ${sqlIdent(tenantSchema)}, public`,
    );
  });
}

/** Drops one of our databases, disconnecting whatever is still connected to it. */
export async function dropThrowawayDatabase(admin: ServerAddress, name: string): Promise<void> {
  if (!name.startsWith(DATABASE_PREFIX))
    throw new Error(`refusing to drop ${name}: not created by alembic-review`);
  await withClient(admin, async (client) => {
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    await client.query(`DROP DATABASE IF EXISTS ${sqlIdent(name)}`);
  });
}

export async function serverVersion(admin: ServerAddress): Promise<string> {
  return withClient(admin, async (client) => {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  });
}

/**
 * The databases one provider created on its server, and the role they
 * belong to: it drops those and no others.
 */
export class OwnDatabases {
  readonly #databases = new Map<string, ThrowawayDatabase>();
  readonly access: RunAccess;

  constructor(access: RunAccess = new RunAccess()) {
    this.access = access;
  }

  async create(
    admin: ServerAddress,
    purpose: string,
    template?: ThrowawayDatabase,
  ): Promise<ThrowawayDatabase> {
    const database = await createThrowawayDatabase(admin, purpose, template?.name, {
      owner: this.access.owner,
      url: (name) => this.access.urlAddress(admin, name),
      tenantSchema: this.access.tenantSchema,
    });
    this.#databases.set(database.name, database);
    return database;
  }

  /**
   * The run's extensions in a new empty database (copies have them already),
   * once they are decided: a database made before the revisions were known
   * waits here, outside the creation a teardown waits for.
   */
  async addExtensions(
    admin: ServerAddress,
    database: ThrowawayDatabase,
    template: ThrowawayDatabase | undefined,
  ): Promise<void> {
    if (template === undefined)
      await createExtensions(admin, database.name, await this.access.extensionsDecided());
  }

  async drop(admin: ServerAddress, database: ThrowawayDatabase): Promise<void> {
    if (!this.#databases.has(database.name))
      throw new Error(`${database.name} was not created by this provider`);
    await dropThrowawayDatabase(admin, database.name);
    this.#databases.delete(database.name);
  }

  get names(): string[] {
    return [...this.#databases.keys()];
  }

  forget(name: string): void {
    this.#databases.delete(name);
  }

  /** The server is gone, and everything in it. */
  clear(): void {
    this.#databases.clear();
    this.access.forgetRole();
  }
}

/**
 * What a provider does once its server runs, whatever started it: create,
 * copy and drop its own databases through an admin connection, owned by the
 * run's role.
 */
export abstract class ServerProvider {
  protected admin: ServerAddress | undefined;
  protected readonly databases: OwnDatabases;
  protected abstract readonly label: string;

  constructor(access: AccessOptions = DEFAULT_ACCESS) {
    this.databases = new OwnDatabases(new RunAccess(access));
  }

  get access(): AccessSummary | undefined {
    return this.databases.access.summary;
  }

  extensionsDecided(): Promise<readonly string[]> {
    return this.databases.access.extensionsDecided();
  }

  /** Once the server answers: the run's role, and the server closed to it but for its databases. */
  protected async lockDown(admin: ServerAddress): Promise<void> {
    await this.databases.access.prepare(admin, true);
  }

  protected requireAdmin(): ServerAddress {
    if (this.admin === undefined) throw new Error(`${this.label} provider not started`);
    return this.admin;
  }

  async createDatabase(purpose: string, template?: ThrowawayDatabase): Promise<ThrowawayDatabase> {
    const database = await this.databases.create(this.requireAdmin(), purpose, template);
    await this.databases.addExtensions(this.requireAdmin(), database, template);
    return database;
  }

  createEarlyDatabase(purpose: string): Promise<ThrowawayDatabase> {
    return this.databases.create(this.requireAdmin(), purpose);
  }

  addExtensions(database: ThrowawayDatabase): Promise<void> {
    return this.databases.addExtensions(this.requireAdmin(), database, undefined);
  }

  async dropDatabase(database: ThrowawayDatabase): Promise<void> {
    return this.databases.drop(this.requireAdmin(), database);
  }

  serverVersion(): Promise<string> {
    return serverVersion(this.requireAdmin());
  }
}
