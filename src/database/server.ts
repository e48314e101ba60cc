// Creating and dropping the throwaway databases on a server we can reach as
// an admin. Shared by all providers: only the way the server comes to exist
// differs.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sqlIdent } from '../schema/literals.ts';
import type { ThrowawayDatabase } from './provider.ts';
import { formatPostgresUrl, type ServerAddress } from './url.ts';

export const DATABASE_PREFIX = 'alembic_review_';
export const TOKEN_PREFIX = 'alembic-review:';

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
  const client = new pg.Client({ ...address, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates a uniquely named database (a copy of `template`, one of ours, if given) marked with a random token. */
export async function createThrowawayDatabase(
  admin: ServerAddress,
  purpose: string,
  template?: string,
): Promise<ThrowawayDatabase> {
  if (template !== undefined && !template.startsWith(DATABASE_PREFIX)) {
    throw new Error(`refusing to copy ${template}: not created by alembic-review`);
  }
  const name = newDatabaseName(purpose);
  const token = randomBytes(16).toString('hex');
  await withClient(admin, async (client) => {
    await client.query(
      `CREATE DATABASE ${sqlIdent(name)}${template === undefined ? '' : ` TEMPLATE ${sqlIdent(template)}`}`,
    );
    await client.query(`COMMENT ON DATABASE ${sqlIdent(name)} IS '${TOKEN_PREFIX}${token}'`);
  });
  return { name, token, url: formatPostgresUrl({ ...admin, database: name }) };
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

/** The databases one provider created on its server: it drops those and no others. */
export class OwnDatabases {
  readonly #databases = new Map<string, ThrowawayDatabase>();

  async create(
    admin: ServerAddress,
    purpose: string,
    template?: ThrowawayDatabase,
  ): Promise<ThrowawayDatabase> {
    const database = await createThrowawayDatabase(admin, purpose, template?.name);
    this.#databases.set(database.name, database);
    return database;
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

  clear(): void {
    this.#databases.clear();
  }
}

/**
 * What a provider does once its server runs, whatever started it: create,
 * copy and drop its own databases through an admin connection.
 */
export abstract class ServerProvider {
  protected admin: ServerAddress | undefined;
  protected readonly databases = new OwnDatabases();
  protected abstract readonly label: string;

  protected requireAdmin(): ServerAddress {
    if (this.admin === undefined) throw new Error(`${this.label} provider not started`);
    return this.admin;
  }

  createDatabase(purpose: string, template?: ThrowawayDatabase): Promise<ThrowawayDatabase> {
    return this.databases.create(this.requireAdmin(), purpose, template);
  }

  dropDatabase(database: ThrowawayDatabase): Promise<void> {
    return this.databases.drop(this.requireAdmin(), database);
  }

  serverVersion(): Promise<string> {
    return serverVersion(this.requireAdmin());
  }
}
