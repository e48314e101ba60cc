// The preflight database (preflight-url: a read replica or a staging copy of
// production). Only the tool's own fixed-shape queries run there — counts of
// the rows that would break a statement, table sizes — each in a READ ONLY
// transaction with a statement_timeout and a lock_timeout; never the
// project's code, never a write. A session that could write is refused
// before anything runs: a superuser, or a role that owns or may modify a
// table (a hot standby, which cannot write at all, is accepted for any
// other role). Row values stay there unless preflight-show-values asks for
// them: answers are counts, and error messages lose the values they quote.
import pg from 'pg';
import { UsageError, errorMessage } from '../../errors.ts';
import { parsePostgresUrl, redactUrl } from '../../database/url.ts';
import type { PreflightResult } from '../../model.ts';
import { countViolations } from './probe.ts';
import type { Probe, ProbeAnswer, ServerFacts } from './types.ts';
import { newClient } from '../../database/client.ts';

export interface PreflightLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  connectTimeoutMs: number;
}

export const DEFAULT_LIMITS: PreflightLimits = {
  statementTimeoutMs: 60_000,
  lockTimeoutMs: 2_000,
  connectTimeoutMs: 10_000,
};

/** What may write, found by the read-only check (at most a few names, for the message). */
const CAPABILITY_SQL = `
SELECT r.rolsuper AS superuser, current_user AS role, current_database() AS database,
       pg_is_in_recovery() AS standby, current_setting('server_version_num')::int AS version,
       ARRAY(
         SELECT format('%I.%I', n.nspname, c.relname)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'm', 'f', 'S')
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
            AND (pg_has_role(c.relowner, 'USAGE')
                 OR (c.relkind <> 'S' AND (has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER')
                                           OR has_any_column_privilege(c.oid, 'INSERT, UPDATE')))
                 OR (c.relkind = 'S' AND has_sequence_privilege(c.oid, 'UPDATE')))
          ORDER BY 1 LIMIT 4) AS writable
  FROM pg_roles r WHERE r.rolname = current_user`;

const SIZES_SQL = `
SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 AS rows,
       coalesce(sum(pg_total_relation_size(c.oid)), 0)::float8 AS bytes,
       bool_and(c.reltuples >= 0) AS analyzed
  FROM pg_class c
 WHERE c.relkind IN ('r', 'm', 'f')
   AND (c.oid = to_regclass($1) OR c.oid IN (SELECT relid FROM pg_partition_tree(to_regclass($1))))`;

/** A quoted value in a PostgreSQL message (`invalid input syntax for type integer: "abc"`). */
const QUOTED_VALUE = /: "(?:[^"]|"")*"/g;
const KEY_VALUE = /\)=\((?:[^)]|\)(?!\s))*\)/g;

/** An error message without the row values it quotes. */
export function withoutValues(message: string): string {
  return message.replace(QUOTED_VALUE, ': "…"').replace(KEY_VALUE, ')=(…)');
}

export interface TableSize {
  /** pg_class.reltuples (summed over partitions). */
  rows: number;
  bytes: number;
  /** reltuples is known (the table was analyzed or vacuumed). */
  analyzed: boolean;
}

export class PreflightDatabase {
  readonly #client: pg.Client;
  readonly #limits: PreflightLimits;
  readonly server: ServerFacts;
  /** "replica.example.com:5432/app" (no credentials). */
  readonly where: string;

  private constructor(client: pg.Client, limits: PreflightLimits, server: ServerFacts, where: string) {
    this.#client = client;
    this.#limits = limits;
    this.server = server;
    this.where = where;
  }

  /** Connects and checks that the session cannot write; a UsageError says why it is refused. */
  static async open(url: string, limits: PreflightLimits = DEFAULT_LIMITS): Promise<PreflightDatabase> {
    const shown = redactUrl(url);
    const client = newClient({
      connectionString: url,
      connectionTimeoutMillis: limits.connectTimeoutMs,
      application_name: 'alembic-review preflight',
      // Every transaction of this session is read-only unless it says otherwise (ours never do).
      options: '-c default_transaction_read_only=on',
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new UsageError(
        'database',
        `Cannot connect to the preflight database (preflight-url ${shown}): ${errorMessage(error) || String(error)}. Check the URL and that the runner can reach it, or leave preflight-url unset to review without one.`,
        { cause: error },
      );
    }
    try {
      const facts = await readOnlyFacts(client, limits);
      const where = `${facts.database} on ${serverOf(url)}`;
      if (facts.superuser) {
        throw refusal(
          shown,
          `the role "${facts.role}" is a superuser, which can write anything (and read files on the server)`,
        );
      }
      if (!facts.standby && facts.writable.length > 0) {
        throw refusal(
          shown,
          `the role "${facts.role}" can write: it owns or may change ${facts.writable.join(', ')}${facts.writable.length === 4 ? ', …' : ''}`,
        );
      }
      return new PreflightDatabase(client, limits, { version: facts.version }, where);
    } catch (error) {
      await client.end().catch(() => undefined);
      if (error instanceof UsageError) throw error;
      throw new UsageError(
        'database',
        `The preflight database (preflight-url ${shown}) could not be checked: ${errorMessage(error)}.`,
        { cause: error },
      );
    }
  }

  /** Runs fn in a READ ONLY transaction with the limits; always rolled back. */
  async #readOnly<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    return inReadOnlyTransaction(this.#client, this.#limits, fn);
  }

  /** The probe's count; with showValues, up to ten offending values too. */
  async answer(
    probe: Probe,
    showValues: boolean,
    describe: (answer: ProbeAnswer) => string,
  ): Promise<PreflightResult> {
    let answer: ProbeAnswer;
    try {
      answer = await this.#readOnly((client) => countViolations(client, probe));
    } catch (error) {
      const message = errorMessage(error);
      return {
        violations: null,
        summary: `the preflight query gave no answer: ${showValues ? message : withoutValues(message)}`,
        error: showValues ? message : withoutValues(message),
      };
    }
    const result: PreflightResult = { violations: answer.violations, summary: describe(answer) };
    if (showValues && (answer.violations === null || answer.violations > 0)) {
      try {
        const sample = await this.#readOnly((client) =>
          client.query<{ value: string | null }>(probe.sample.sql, probe.sample.params),
        );
        result.values = sample.rows.map((r) => (r.value ?? 'NULL').slice(0, 200));
      } catch {
        // The count stands without the sample.
      }
    }
    return result;
  }

  /** Rows (pg_class.reltuples) and bytes (pg_total_relation_size) of a table; null when it is missing. */
  async tableSize(qualifiedName: string): Promise<TableSize | null> {
    try {
      const result = await this.#readOnly((client) =>
        client.query<{ rows: number; bytes: number; analyzed: boolean | null }>(SIZES_SQL, [qualifiedName]),
      );
      const row = result.rows[0];
      if (row === undefined || row.analyzed === null) return null;
      return { rows: row.rows, bytes: row.bytes, analyzed: row.analyzed };
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}

function serverOf(url: string): string {
  try {
    const address = parsePostgresUrl(url);
    return `${address.host}:${address.port}`;
  } catch {
    return 'the preflight server';
  }
}

function refusal(shown: string, why: string): UsageError {
  return new UsageError(
    'database',
    `Refusing the preflight database (preflight-url ${shown}): ${why}. alembic-review runs only read-only queries there and accepts only a session that cannot write, so that nothing can change your data through it: connect as a role that may only SELECT (see docs/preflight.md for the CREATE ROLE … GRANT SELECT statements), or point preflight-url at a read replica.`,
  );
}

async function readOnlyFacts(client: pg.Client, limits: PreflightLimits) {
  const result = await inReadOnlyTransaction(client, limits, (c) =>
    c.query<{
      superuser: boolean;
      role: string;
      database: string;
      standby: boolean;
      version: number;
      writable: string[];
    }>(CAPABILITY_SQL),
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('the current role is not in pg_roles');
  return row;
}

async function inReadOnlyTransaction<T>(
  client: pg.Client,
  limits: PreflightLimits,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  await client.query('BEGIN TRANSACTION READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.round(limits.statementTimeoutMs)}`);
    await client.query(`SET LOCAL lock_timeout = ${Math.round(limits.lockTimeoutMs)}`);
    return await fn(client);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}
