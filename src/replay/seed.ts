// Synthetic rows in every table that exists at the base, because that is
// where migrations break: NOT NULL columns without defaults, casts that fail
// on real values, constraints that existing rows violate. Parents are seeded
// before children and foreign keys point at seeded parent rows; identity,
// serial and generated columns are left to the database.
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { UsageError } from '../errors.ts';
import { sqlIdent, sqlName } from '../schema/literals.ts';
import type { Column, EnumType, Schema, Table } from '../schema/types.ts';
import { displayName, tableKey } from '../schema/types.ts';
import { newClient } from '../database/client.ts';

export interface SeedFailure {
  table: string;
  message: string;
}

export interface SeedResult {
  /** "schema.table" → rows in the table after seeding (including rows the migrations inserted). */
  rows: Record<string, number>;
  failures: SeedFailure[];
  /** What removeSeededRows() needs to take the rows out again (asked with `undoable`, no seed SQL). */
  undo: SeedUndo | null;
}

/** The seeding as it can be undone: which transactions wrote, and what was there before. */
export interface SeedUndo {
  /** The seeding's transaction ids (its own and its savepoints') lie in [first, next). */
  firstXid: bigint;
  nextXid: bigint;
  /** Every table of the database → its rows before seeding (the rows the migrations inserted). */
  rowsBefore: Record<string, number>;
  /** Each sequence's state before seeding. */
  sequences: { name: string; lastValue: string | null; startValue: string }[];
  tables: Table[];
}

type Row = Record<string, unknown>;

/** Unqualified in public: with tenant-schema, the tenant schema (shown as public) is first on the search_path. */
function qualified(table: Table): string {
  return sqlName(table.schema, table.name);
}

/** Tables ordered parents first; self-references and cycles do not block. */
export function seedOrder(tables: readonly Table[]): Table[] {
  const byKey = new Map(tables.map((t) => [tableKey(t.schema, t.name), t]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: Table[] = [];
  const visit = (table: Table): void => {
    const key = tableKey(table.schema, table.name);
    if (done.has(key) || visiting.has(key)) return;
    visiting.add(key);
    for (const fk of table.foreignKeys) {
      const parent = byKey.get(fk.referredTable);
      if (parent !== undefined && fk.referredTable !== key) visit(parent);
    }
    visiting.delete(key);
    done.add(key);
    order.push(table);
  };
  for (const table of tables) visit(table);
  return order;
}

function baseType(type: string): { base: string; array: boolean } {
  const array = type.endsWith('[]');
  return { base: (array ? type.slice(0, -2) : type).toLowerCase(), array };
}

function findEnum(type: string, enums: Record<string, EnumType>): EnumType | undefined {
  const name = type.replaceAll('"', '');
  return enums[name] ?? enums[`public.${name}`] ?? Object.values(enums).find((e) => e.name === name);
}

/** A literal (as text, cast by the INSERT) for row i (1-based), or undefined if we cannot make one. */
export function syntheticValue(
  column: Column,
  i: number,
  enums: Record<string, EnumType>,
): string | undefined {
  const { base, array } = baseType(column.type);
  const scalar = scalarValue(column.name, base, i, enums);
  if (scalar === undefined) return undefined;
  if (!array) return scalar;
  return `{${JSON.stringify(scalar)}}`;
}

function scalarValue(
  name: string,
  type: string,
  i: number,
  enums: Record<string, EnumType>,
): string | undefined {
  const length = /\((\d+)(?:,\s*(\d+))?\)/.exec(type);
  const n = length === null ? undefined : Number(length[1]);
  const pad = (day: number): string => String(((day - 1) % 28) + 1).padStart(2, '0');
  if (/^(smallint|integer|bigint|int[248]?)$/.test(type)) return String(i);
  if (/^(numeric|decimal)/.test(type)) {
    const scale = length?.[2] === undefined ? 0 : Number(length[2]);
    const precision = n ?? 10;
    return precision - scale >= String(i).length ? String(i) : '0';
  }
  if (/^(real|double precision|float[48]?)$/.test(type)) return `${i}.5`;
  if (type === 'money') return `${i}.00`;
  if (type === 'boolean') return i % 2 === 1 ? 'true' : 'false';
  if (/^(character varying|varchar|text|character|char|bpchar|citext|name)/.test(type)) {
    const text = textByName(name, i);
    return n === undefined ? text : text.length <= n ? text : `${i}`.slice(0, n);
  }
  if (type === 'date') return `2024-01-${pad(i)}`;
  if (type.startsWith('timestamp'))
    return `2024-01-${pad(i)} 12:00:00${type.includes('with time zone') ? '+00' : ''}`;
  if (type.startsWith('time')) return '12:00:00';
  if (type === 'interval') return `${i} days`;
  if (type === 'uuid') return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  if (type === 'json' || type === 'jsonb') return JSON.stringify({ seed: i });
  if (type === 'bytea') return `\\x${i.toString(16).padStart(2, '0')}`;
  if (type === 'inet' || type === 'cidr') return `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  if (type === 'macaddr') return `08:00:2b:00:00:${(i % 256).toString(16).padStart(2, '0')}`;
  if (type === 'xml') return `<seed>${i}</seed>`;
  if (type === 'tsvector') return `seed${i}`;
  const enumType = findEnum(type, enums);
  if (enumType !== undefined && enumType.labels.length > 0) {
    return enumType.labels[(i - 1) % enumType.labels.length];
  }
  return undefined;
}

/**
 * Text for row i that looks like what such a column holds, so that a
 * migration converting it (created_at::timestamptz, id::uuid, …) meets
 * plausible values, not placeholder text.
 */
function textByName(column: string, i: number): string {
  const name = column.toLowerCase();
  const pad = String(((i - 1) % 28) + 1).padStart(2, '0');
  if (
    /(^|_)(at|date|time|timestamp|day)$|^(created|updated|modified|deleted)|_(on|until|since)$/.test(name)
  ) {
    return `2024-01-${pad}T12:00:00+00:00`;
  }
  if (/uuid|guid/.test(name)) return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  if (name.includes('email')) return `seed${i}@example.com`;
  if (/(^|_)(url|uri|link|href)$/.test(name)) return `https://example.com/${i}`;
  if (/(^|_)(ip|ip_address|host)$/.test(name)) return `10.0.0.${(i % 250) + 1}`;
  if (/(^|_)(id|count|number|num|qty|quantity|amount|year|port|size)$/.test(name)) return String(i);
  if (/(^|_)(json|data|payload|meta|metadata|settings|config|options)$/.test(name))
    return JSON.stringify({ seed: i });
  return `${column} ${i}`;
}

/** A value read back from a parent row, as text for the child's INSERT. */
function literal(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return value.toString();
  return JSON.stringify(value);
}

/** Columns the database fills itself (identity, serial, generated, any default). */
function leftToDatabase(column: Column): boolean {
  return column.identity !== null || column.generated !== null || column.default !== null;
}

function planRows(
  table: Table,
  count: number,
  parents: ReadonlyMap<string, Row[]>,
  enums: Record<string, EnumType>,
  minimal: boolean,
): { columns: Column[]; rows: (string | null)[][] } | string {
  const fkValue = new Map<string, (i: number) => string | null>();
  for (const fk of table.foreignKeys) {
    const parentRows = parents.get(fk.referredTable);
    fk.columns.forEach((column, index) => {
      const referred = fk.referredColumns[index] ?? column;
      fkValue.set(column, (i) => {
        if (parentRows === undefined || parentRows.length === 0) return null;
        const value = parentRows[(i - 1) % parentRows.length]?.[referred];
        return literal(value);
      });
    });
  }
  const columns = table.columns.filter((c) => {
    if (fkValue.has(c.name)) return true;
    if (leftToDatabase(c)) return false;
    return !minimal || !c.nullable;
  });
  const rows: (string | null)[][] = [];
  for (let i = 1; i <= count; i++) {
    const row: (string | null)[] = [];
    for (const column of columns) {
      const fk = fkValue.get(column.name);
      const value = fk === undefined ? syntheticValue(column, i, enums) : fk(i);
      if (value === undefined || value === null) {
        if (!column.nullable) {
          return fk === undefined
            ? `no synthetic value for ${column.name} (${column.type})`
            : `no parent row for ${column.name}`;
        }
        row.push(null);
      } else row.push(value);
    }
    rows.push(row);
  }
  return { columns, rows };
}

/**
 * The INSERTs of a table's planned rows, values as literals: sent with the
 * savepoint around them in one round trip (a long history has hundreds of
 * tables, each waiting for the one before it for its foreign keys).
 */
function insertStatements(table: Table, plan: { columns: Column[]; rows: (string | null)[][] }): string[] {
  const { columns, rows } = plan;
  if (columns.length === 0)
    return rows.map(() => `INSERT INTO ${qualified(table)} DEFAULT VALUES RETURNING *`);
  const tuples = rows.map(
    (row) =>
      `(${row
        .map(
          (value, index) =>
            `${value === null ? 'NULL' : pg.escapeLiteral(value)}::${columns[index]?.type ?? 'text'}`,
        )
        .join(', ')})`,
  );
  return [
    `INSERT INTO ${qualified(table)} (${columns.map((c) => sqlIdent(c.name)).join(', ')}) VALUES ${tuples.join(', ')} RETURNING *`,
  ];
}

/** The rows inserted, between a savepoint and its release (on an error the caller rolls back to it). */
async function insertRows(
  client: pg.Client,
  table: Table,
  plan: { columns: Column[]; rows: (string | null)[][] },
): Promise<Row[]> {
  const statements = insertStatements(table, plan);
  const results = (await client.query<Row>(
    ['SAVEPOINT seed', ...statements, 'RELEASE SAVEPOINT seed'].join(';\n'),
  )) as unknown as pg.QueryResult<Row>[];
  return results.slice(1, -1).flatMap((result) => result.rows);
}

/** Inserts `count` synthetic rows into every base table (but Alembic's version table), then the user's seed SQL. */
export async function seedDatabase(
  url: string,
  schema: Schema,
  count: number,
  options: { seedSql?: string | undefined; versionTable: string; undoable?: boolean },
): Promise<SeedResult> {
  const { seedSql, versionTable } = options;
  const client = newClient({ connectionString: url });
  await client.connect();
  const failures: SeedFailure[] = [];
  try {
    const tables = Object.values(schema.tables).filter(
      (t) =>
        (t.kind === 'table' || t.kind === 'partitioned table') && tableKey(t.schema, t.name) !== versionTable,
    );
    const seeded = new Map<string, Row[]>();
    const undoable = options.undoable === true && seedSql === undefined;
    const before = undoable ? await stateBefore(client) : null;
    await client.query('BEGIN');
    const firstXid = undoable ? await currentXid(client) : null;
    if (count > 0) {
      for (const table of seedOrder(tables)) {
        const key = tableKey(table.schema, table.name);
        let lastError = '';
        // First with every column filled; if that is rejected, only the required ones.
        for (const minimal of [false, true]) {
          const plan = planRows(table, count, seeded, schema.enums, minimal);
          if (typeof plan === 'string') {
            lastError = plan;
            continue;
          }
          try {
            seeded.set(key, await insertRows(client, table, plan));
            lastError = '';
            break;
          } catch (error) {
            await client.query('ROLLBACK TO SAVEPOINT seed');
            lastError = (error as Error).message;
          }
        }
        if (lastError !== '')
          failures.push({ table: displayName(table.schema, table.name), message: lastError });
      }
    }
    await client.query('COMMIT');
    // Any transaction after the seeding's has a later id.
    const undo =
      before === null || firstXid === null
        ? null
        : { ...before, firstXid, nextXid: await currentXid(client), tables };
    if (seedSql !== undefined) {
      let sql: string;
      try {
        sql = await readFile(seedSql, 'utf8');
      } catch (error) {
        throw new UsageError('usage', `seed-sql: cannot read ${seedSql}: ${(error as Error).message}`);
      }
      try {
        await client.query(sql);
      } catch (error) {
        throw new UsageError(
          'usage',
          `seed-sql ${seedSql} failed on the base schema: ${(error as Error).message}`,
        );
      }
    }
    return { rows: await countRows(client, tables), failures, undo };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function currentXid(client: pg.Client): Promise<bigint> {
  const result = await client.query<{ xid: string }>('SELECT txid_current()::text AS xid');
  return BigInt(result.rows[0]?.xid ?? '0');
}

async function stateBefore(client: pg.Client): Promise<Pick<SeedUndo, 'rowsBefore' | 'sequences'>> {
  const sequences = await client.query<{ name: string; last_value: string | null; start_value: string }>(
    `SELECT format('%I.%I', schemaname, sequencename) AS name, last_value::text, start_value::text
       FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
  );
  return {
    rowsBefore: await countEveryTable(client),
    sequences: sequences.rows.map((r) => ({
      name: r.name,
      lastValue: r.last_value,
      startValue: r.start_value,
    })),
  };
}

/** Every table of the database (each partition on its own) → its rows: what a trigger may also have written. */
async function countEveryTable(client: pg.Client): Promise<Record<string, number>> {
  const names = await client.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`,
  );
  const tables = names.rows.map((r) => r.name);
  const counts = await countEach(
    client,
    tables.map((name) => `ONLY ${name}`),
  );
  return Object.fromEntries(tables.map((name, i) => [name, counts[i] ?? 0]));
}

/**
 * Takes the seeded rows out again, leaving the base as it was before
 * seeding (sequences included): the base without rows, without a database
 * of its own. A row is the seeding's when the transaction that wrote it is
 * (what triggers wrote while it inserted included); when afterwards any
 * table holds other than the rows it held before (a trigger changed one of
 * those, or writes when rows are deleted), or the transaction ids wrapped
 * around between, nothing is changed. Whether it did.
 */
export async function removeSeededRows(url: string, undo: SeedUndo): Promise<boolean> {
  const low = undo.firstXid % 2n ** 32n;
  const high = undo.nextXid % 2n ** 32n;
  if (high <= low) return false;
  const client = newClient({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    const seeded = seedOrder(undo.tables)
      .reverse()
      .map((table) => qualified(table));
    // Children first, then every table (what triggers wrote; those emptied already find nothing),
    // in one round trip: a long history has hundreds of tables.
    await client.query(
      [...seeded, ...Object.keys(undo.rowsBefore)]
        .map(
          (table) =>
            `DELETE FROM ${table} WHERE xmin::text::bigint >= ${low} AND xmin::text::bigint < ${high}`,
        )
        .join(';\n'),
    );
    if (!isDeepStrictEqual(await countEveryTable(client), undo.rowsBefore)) {
      await client.query('ROLLBACK');
      return false;
    }
    // Last: setval() is not undone by a rollback. All in one round trip (a long history has hundreds).
    if (undo.sequences.length > 0) {
      await client.query(
        `SELECT setval(s.name::regclass, s.value, s.called)
           FROM unnest($1::text[], $2::bigint[], $3::boolean[]) AS s(name, value, called)`,
        [
          undo.sequences.map((sequence) => sequence.name),
          undo.sequences.map((sequence) => sequence.lastValue ?? sequence.startValue),
          undo.sequences.map((sequence) => sequence.lastValue !== null),
        ],
      );
    }
    await client.query('COMMIT');
    return true;
  } catch {
    await client.query('ROLLBACK').catch(() => undefined);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Exact row counts of the given tables, in one query. */
export async function countRows(
  client: pg.Client,
  tables: readonly Table[],
): Promise<Record<string, number>> {
  const counts = await countEach(client, tables.map(qualified));
  return Object.fromEntries(tables.map((t, i) => [tableKey(t.schema, t.name), counts[i] ?? 0]));
}

/** count(*) of each FROM item, in one query, in their order. */
async function countEach(client: pg.Client, fromItems: readonly string[]): Promise<number[]> {
  if (fromItems.length === 0) return [];
  const parts = fromItems.map((item, index) => `SELECT ${index} AS i, count(*)::bigint AS n FROM ${item}`);
  const result = await client.query<{ i: number; n: string }>(parts.join(' UNION ALL '));
  const counts: number[] = [];
  for (const row of result.rows) counts[row.i] = Number(row.n);
  return counts;
}
