// Who the project's code connects as. Each run creates a role of its own on
// the provider's server (LOGIN with a random password; no SUPERUSER,
// CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS; member of nothing) that
// owns the run's databases and nothing else; only its URL reaches the
// project's code. Admin work (creating, copying and dropping databases,
// extensions PostgreSQL does not let a database owner create) keeps the
// provider's own connection. The role is dropped after its databases.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { errorMessage } from '../errors.ts';
import { sqlIdent } from '../schema/literals.ts';
import type { ServerAddress } from './url.ts';
import { newClient } from './client.ts';

export const ROLE_PREFIX = 'alembic_review_r_';

/** `restricted` (default): a role of the run's own; `superuser`: the provider's admin connection. */
export type DatabaseRole = 'restricted' | 'superuser';

export interface AccessOptions {
  databaseRole: DatabaseRole;
  /**
   * Extensions the revisions create (found in their source) — pre-created when
   * untrusted. A promise while the project is still being opened: the server
   * starts and creates databases meanwhile, and only their extensions wait.
   */
  revisionExtensions: readonly string[] | PromiseLike<readonly string[]>;
  /** Extensions to pre-create whatever PostgreSQL thinks of them (the extensions option). */
  extraExtensions: readonly string[];
  /** The tenant-schema option: a schema of this name in every database of the run; null: none. */
  tenantSchema?: string | null;
}

export const DEFAULT_ACCESS: AccessOptions = {
  databaseRole: 'restricted',
  revisionExtensions: [],
  extraExtensions: [],
};

/** What the report says about the database side of the isolation. */
export interface AccessSummary {
  /** restricted: a role of the run's own; superuser: as asked; server-role: the URL's role (it may not create roles). */
  role: 'restricted' | 'superuser' | 'server-role';
  roleName: string;
  /** Extensions created by the tool, as superuser, in every database of the run. */
  extensions: string[];
  /** What this server does not contain (shown as notices). */
  warnings: string[];
}

interface AdminRights {
  superuser: boolean;
  createRole: boolean;
  versionNum: number;
}

function connect(address: ServerAddress): Promise<pg.Client> {
  const client = newClient({ ...address, connectionTimeoutMillis: 10_000 });
  return client.connect().then(
    () => client,
    async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw error;
    },
  );
}

async function withClient<T>(address: ServerAddress, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(address);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password: CREATE ROLE
 * gets this, so the password itself never reaches the server or its logs.
 * (Our passwords are ASCII, for which SASLprep changes nothing.)
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** CREATE EXTENSION names in source text (Python strings, SQL files): `CREATE EXTENSION [IF NOT EXISTS] "name"`. */
export function extensionsIn(source: string): string[] {
  const names = new Set<string>();
  const pattern = /create\s+extension\s+(?:if\s+not\s+exists\s+)?(?:"([^"]+)"|([a-z_][\w-]*))/gi;
  for (const match of source.matchAll(pattern)) {
    const name = match[1] ?? match[2]?.toLowerCase();
    if (name !== undefined) names.add(name);
  }
  return [...names].sort();
}

/** The extensions the revision files create (read as bytes: the names are ASCII whatever the encoding). */
export function revisionExtensions(paths: readonly string[]): string[] {
  const names = new Set<string>();
  for (const file of paths) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const name of extensionsIn(text)) names.add(name);
  }
  return [...names].sort();
}

/** A role of our own, or the admin itself, and what the run's databases get. */
export class RunAccess {
  readonly #options: AccessOptions;
  #role: { name: string; password: string } | undefined;
  #summary: AccessSummary | undefined;
  #rights: AdminRights | undefined;
  #extensions: Promise<string[]> = Promise.resolve([]);

  constructor(options: AccessOptions = DEFAULT_ACCESS) {
    this.#options = options;
  }

  get summary(): AccessSummary | undefined {
    return this.#summary;
  }

  /** The role's name while it exists (for the teardown). */
  get roleName(): string | undefined {
    return this.#role?.name;
  }

  /**
   * Creates the run's role (unless superuser mode or the admin may not),
   * decides which extensions to pre-create and, on a server of our own,
   * closes the maintenance databases to everyone but the admin. `ownServer`
   * false: the URL provider, which must not change the server's settings.
   */
  async prepare(admin: ServerAddress, ownServer: boolean): Promise<AccessSummary> {
    return withClient(admin, async (client) => {
      const rights = await adminRights(client);
      this.#rights = rights;
      const warnings: string[] = [];
      if (ownServer) {
        // The role connects to its own databases only (nothing to write in postgres or template1).
        await client.query('REVOKE CONNECT ON DATABASE postgres FROM PUBLIC');
        await client.query('REVOKE CONNECT ON DATABASE template1 FROM PUBLIC');
      }
      let role: AccessSummary['role'] = this.#options.databaseRole;
      if (role === 'restricted' && !rights.superuser && !rights.createRole) {
        role = 'server-role';
        warnings.push(
          `The role "${admin.user}" of the database URL may not create roles (it has no CREATEROLE), so the project's code ran as "${admin.user}" itself instead of a role that owns only this run's databases: it could create databases and reach every database that role can. Grant CREATEROLE to that role (ALTER ROLE "${admin.user}" CREATEROLE) or use a superuser URL such as a service container's.`,
        );
      } else if (role === 'restricted') {
        const name = `${ROLE_PREFIX}${randomBytes(5).toString('hex')}`;
        const password = randomBytes(24).toString('base64url');
        // A role left behind by a killed run cannot log in after a day.
        const validUntil = new Date(Date.now() + 24 * 3600_000).toISOString();
        this.#role = { name, password };
        await client.query(
          `CREATE ROLE ${sqlIdent(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
            `PASSWORD '${scramVerifier(password)}' VALID UNTIL '${validUntil}'`,
        );
        // CREATE DATABASE … OWNER needs the admin to be a member of the owner (unless superuser).
        if (!rights.superuser) await client.query(`GRANT ${sqlIdent(name)} TO CURRENT_USER`);
      }
      const summary: AccessSummary = {
        role,
        roleName: this.#role?.name ?? admin.user,
        extensions: [],
        warnings,
      };
      this.#summary = summary;
      if (role !== 'superuser') {
        // What the server offers is read now, while it is idle; what to create is decided once the
        // revisions are known (until then the role and the databases need not wait).
        const available = await availableExtensions(client, rights).catch(
          (error: unknown) => new Error(errorMessage(error)),
        );
        this.#extensions = this.#extensionsToCreate(available, warnings).then(
          (names) => {
            summary.extensions = names;
            return names;
          },
          (error: unknown) => {
            warnings.push(`Could not tell which extensions to create beforehand: ${errorMessage(error)}.`);
            return [];
          },
        );
      }
      return summary;
    });
  }

  /** The extensions every database of the run gets, once the revisions that need them are known. */
  extensionsDecided(): Promise<string[]> {
    return this.#extensions;
  }

  /** Untrusted extensions the revisions create, and every available one the option names. */
  async #extensionsToCreate(available: AvailableExtensions | Error, warnings: string[]): Promise<string[]> {
    const fromRevisions = await this.#options.revisionExtensions;
    const named = [...new Set([...fromRevisions, ...this.#options.extraExtensions])];
    if (named.length === 0) return [];
    if (available instanceof Error) throw available;
    const { rights } = available;
    const create: string[] = [];
    for (const name of named) {
      const row = available.byName.get(name);
      const asked = this.#options.extraExtensions.includes(name);
      if (row === undefined) {
        if (asked)
          warnings.push(`The extension "${name}" (extensions option) is not available on this server.`);
        continue;
      }
      if (asked || (row.superuser && !row.trusted)) create.push(name);
    }
    if (create.length > 0 && !rights.superuser) {
      warnings.push(
        `The extensions ${create.join(', ')} need a superuser to be created, and the database URL's role is not one: the revisions that create them may fail.`,
      );
      return [];
    }
    return create.sort();
  }

  /** The URL the project's code (and our own seeding and introspection) uses for a database. */
  urlAddress(admin: ServerAddress, database: string): ServerAddress {
    const role = this.#role;
    return role === undefined
      ? { ...admin, database }
      : { ...admin, user: role.name, password: role.password, database };
  }

  /** OWNER clause for CREATE DATABASE. */
  get owner(): string | undefined {
    return this.#role?.name;
  }

  /** The extensions decided so far (see extensionsDecided). */
  get extensions(): string[] {
    return this.#summary?.extensions ?? [];
  }

  get tenantSchema(): string | null {
    return this.#options.tenantSchema ?? null;
  }

  /**
   * Whether the server lets the run's role in without its password (trust
   * authentication): then the project's code can connect as any role.
   */
  async trustsWithoutPassword(admin: ServerAddress): Promise<boolean> {
    const user = this.#role?.name ?? admin.user;
    // Called only when the server asks for a password; failing it ends the attempt.
    const noPassword = (): string => {
      throw new Error('no password given');
    };
    const client = newClient({ ...admin, user, password: noPassword, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Drops the role (after the databases it owns are gone). Idempotent. */
  async dropRole(admin: ServerAddress): Promise<void> {
    const role = this.#role;
    if (role === undefined) return;
    await dropRunRole(admin, role.name);
    this.#role = undefined;
  }

  /** The server went away with the role in it (embedded, testcontainers). */
  forgetRole(): void {
    this.#role = undefined;
  }

  get adminIsSuperuser(): boolean {
    return this.#rights?.superuser ?? false;
  }
}

async function adminRights(client: pg.Client): Promise<AdminRights> {
  const result = await client.query<{ rolsuper: boolean; rolcreaterole: boolean; version: string }>(
    `SELECT rolsuper, rolcreaterole, current_setting('server_version_num') AS version
       FROM pg_roles WHERE rolname = current_user`,
  );
  const row = result.rows[0];
  return {
    superuser: row?.rolsuper ?? false,
    createRole: row?.rolcreaterole ?? false,
    versionNum: Number(row?.version ?? 0),
  };
}

/**
 * Drops one of our roles: no more logins, its sessions ended, whatever it
 * managed to own in other databases of a shared server dropped with it.
 */
export async function dropRunRole(admin: ServerAddress, name: string): Promise<void> {
  if (!name.startsWith(ROLE_PREFIX))
    throw new Error(`refusing to drop role ${name}: not created by alembic-review`);
  await withClient(admin, async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    if (exists.rowCount === 0) return;
    await client.query(`ALTER ROLE ${sqlIdent(name)} NOLOGIN`);
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [name]);
    try {
      await client.query(`DROP ROLE ${sqlIdent(name)}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '2BP01') throw error;
    }
    // It owns objects (or holds privileges) in databases that are not ours.
    const where = await client.query<{ datname: string }>(
      `SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
        WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
      [name],
    );
    for (const { datname } of where.rows) {
      await withClient({ ...admin, database: datname }, (other) =>
        other.query(`DROP OWNED BY ${sqlIdent(name)}`),
      ).catch((error: unknown) => {
        throw new Error(
          `could not drop what role ${name} owns in database ${datname}: ${errorMessage(error)}`,
        );
      });
    }
    await client.query(`DROP ROLE ${sqlIdent(name)}`);
  });
}

/** The extensions the server has (pg_available_extension_versions), read once per run. */
class AvailableExtensions {
  readonly byName: ReadonlyMap<string, { superuser: boolean; trusted: boolean }>;
  readonly rights: AdminRights;

  constructor(byName: ReadonlyMap<string, { superuser: boolean; trusted: boolean }>, rights: AdminRights) {
    this.byName = byName;
    this.rights = rights;
  }
}

async function availableExtensions(client: pg.Client, rights: AdminRights): Promise<AvailableExtensions> {
  const trusted = rights.versionNum >= 130000 ? 'bool_or(trusted)' : 'false';
  const result = await client.query<{ name: string; superuser: boolean; trusted: boolean }>(
    `SELECT name, bool_and(superuser) AS superuser, ${trusted} AS trusted
       FROM pg_available_extension_versions GROUP BY name`,
  );
  return new AvailableExtensions(new Map(result.rows.map((r) => [r.name, r])), rights);
}
