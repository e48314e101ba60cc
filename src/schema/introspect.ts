// Reads a database's schema from pg_catalog into a typed Schema. A fixed set
// of catalog queries whatever the number of tables (seven; one more per 500
// tables with countRows), so a 1,000-table schema costs the same round trips
// as a small one.
// Every definition is rendered by PostgreSQL itself (format_type, pg_get_expr,
// pg_get_indexdef, pg_get_constraintdef): two databases built from the same
// DDL produce equal strings, which is what the drift diff compares.
// With tenant-schema the tenant schema, first on the database's search_path,
// is shown as public (default-schema.ts).
import pg from 'pg';
import type {
  CheckConstraint,
  Column,
  EnumType,
  ForeignKey,
  Index,
  PrimaryKey,
  Schema,
  Sequence,
  Table,
  UniqueConstraint,
} from './types.ts';
import { tenantAsPublic } from './default-schema.ts';
import { sqlName } from './literals.ts';
import { tableKey } from './types.ts';
import { newClient } from '../database/client.ts';

export interface IntrospectOptions {
  /** Fill Table.rows with exact counts (one UNION ALL query per 500 tables). */
  countRows?: boolean;
}

// Objects that belong to an extension (postgis tables, citext's types, ...)
// are the extension's business, not the migrations'.
const notExtensionMember = (catalog: string, oid: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

const SCHEMAS_SQL = `
SELECT n.oid, n.nspname AS name, current_setting('server_version_num')::int AS server_version,
       current_schema() AS current_schema
FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND ${notExtensionMember('pg_namespace', 'n.oid')}
ORDER BY n.nspname`;

const RELKINDS: Record<string, Table['kind']> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
};

const TABLES_SQL = `
SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, d.description AS comment,
       pn.nspname AS parent_schema, pc.relname AS parent_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits inh ON inh.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_class pc ON pc.oid = inh.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE c.relnamespace = ANY($1::oid[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND ${notExtensionMember('pg_class', 'c.oid')}`;

// Collation only when it differs from the type's default, as SQLAlchemy's
// String(collation=...) would set it. Defaults never refer to columns, so they
// are deparsed without the relation (pg_get_expr(..., 0) does not open it:
// a third faster on a large schema); generation expressions do refer to them.
const COLUMNS_SQL = `
SELECT a.attrelid AS table_oid, a.attnum, a.attname AS name, a.atttypid AS type_oid,
       format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE ad.adrelid END) AS expr,
       a.attidentity::text AS identity, a.attgenerated::text AS generated,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation,
       d.description AS comment
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_description d ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
WHERE c.relnamespace = ANY($1::oid[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

const CONSTRAINTS_SQL = `
SELECT con.conrelid AS table_oid, con.conname AS name, con.contype::text AS type,
       CASE WHEN con.contype <> 'p' THEN pg_get_constraintdef(con.oid) END AS definition, con.conkey AS columns,
       con.condeferrable AS deferrable, con.condeferred AS deferred, con.convalidated AS validated,
       fn.nspname AS ref_schema, fc.relname AS ref_table,
       CASE WHEN con.contype = 'f' THEN ARRAY(
         SELECT fa.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, i)
         JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.attnum ORDER BY k.i) END AS ref_columns,
       con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE c.relnamespace = ANY($1::oid[]) AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY con.conrelid, con.conname`;

// Key columns by attribute number (resolved against the columns already
// read); expression parts (attnum 0) rendered by pg_get_indexdef.
const indexesSql = (serverVersion: number): string => `
SELECT i.indrelid AS table_oid, ic.relname AS name, i.indisunique AS unique, i.indnkeyatts AS key_count,
       i.indkey::int2[] AS attnums, am.amname AS method, pg_get_indexdef(i.indexrelid) AS definition,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k, false) END
             FROM generate_series(1, i.indnatts) k ORDER BY k) AS expressions,
       con.conname AS constraint_name,
       ${serverVersion >= 150000 ? 'i.indnullsnotdistinct' : 'false'} AS nulls_not_distinct
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
WHERE ic.relnamespace = ANY($1::oid[]) AND ${notExtensionMember('pg_class', 'i.indrelid')}
ORDER BY i.indrelid, ic.relname`;

const ENUMS_SQL = `
SELECT t.oid, t.typarray AS array_oid, n.nspname AS schema, t.typname AS name,
       array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.typnamespace = ANY($1::oid[]) AND ${notExtensionMember('pg_type', 't.oid')}
GROUP BY t.oid, t.typarray, n.nspname, t.typname
ORDER BY 3, 4`;

// 'a' = serial (auto), 'i' = identity: the column that owns the sequence.
const SEQUENCES_SQL = `
SELECT n.nspname AS schema, c.relname AS name, tn.nspname AS owner_schema, tc.relname AS owner_table, ta.attname AS owner_column
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class tc ON tc.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
LEFT JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
WHERE c.relnamespace = ANY($1::oid[]) AND c.relkind = 'S' AND ${notExtensionMember('pg_class', 'c.oid')}
ORDER BY 1, 2`;

interface SchemaRow {
  oid: number;
  name: string;
  server_version: number;
  current_schema: string | null;
}
interface TableRow {
  oid: number;
  schema: string;
  name: string;
  relkind: string;
  comment: string | null;
  parent_schema: string | null;
  parent_name: string | null;
}
interface ColumnRow {
  table_oid: number;
  attnum: number;
  name: string;
  type_oid: number;
  type: string;
  not_null: boolean;
  expr: string | null;
  identity: string;
  generated: string;
  collation: string | null;
  comment: string | null;
}
interface ConstraintRow {
  table_oid: number;
  name: string;
  type: 'p' | 'u' | 'f' | 'c';
  /** Null for primary keys: their columns say it all. */
  definition: string | null;
  columns: number[] | null;
  deferrable: boolean;
  deferred: boolean;
  validated: boolean;
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[] | null;
  on_update: string;
  on_delete: string;
}
interface IndexRow {
  table_oid: number;
  name: string;
  unique: boolean;
  key_count: number;
  attnums: number[];
  method: string;
  definition: string;
  predicate: string | null;
  expressions: (string | null)[];
  constraint_name: string | null;
  nulls_not_distinct: boolean;
}
interface EnumRow {
  oid: number;
  array_oid: number;
  schema: string;
  name: string;
  labels: string[];
}
interface SequenceRow {
  schema: string;
  name: string;
  owner_schema: string | null;
  owner_table: string | null;
  owner_column: string | null;
}

// pg_constraint.confdeltype / confupdtype letters, as DDL spells them.
const FK_ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** Reads the schema of the database at `target` (a postgresql:// URL or a connected client). */
export async function introspect(
  target: string | pg.Client,
  options: IntrospectOptions = {},
): Promise<Schema> {
  if (typeof target !== 'string') return readSchema([target], options);
  // Two connections share the catalog queries: PostgreSQL runs them in
  // parallel (a client runs one query at a time).
  const clients = [newClient({ connectionString: target }), newClient({ connectionString: target })];
  const connected = await Promise.allSettled(clients.map((c) => c.connect()));
  try {
    const failure = connected.find((c) => c.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    return await readSchema(clients, options);
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

async function readSchema(clients: pg.Client[], options: IntrospectOptions): Promise<Schema> {
  const schema = await readCatalog(clients);
  if (options.countRows === true) {
    const counts = await introspectRowCounts(clients[0] as pg.Client, schema);
    for (const [key, rows] of Object.entries(counts)) {
      const table = schema.tables[key];
      if (table !== undefined) table.rows = rows;
    }
  }
  return schema;
}

async function readCatalog(clients: pg.Client[]): Promise<Schema> {
  const [first, second = first] = clients as [pg.Client, pg.Client?];
  const rows = async <R extends pg.QueryResultRow>(
    client: pg.Client,
    sql: string,
    params: unknown[],
  ): Promise<R[]> => (await client.query<R>(sql, params)).rows;
  const namespaces = await rows<SchemaRow>(first, SCHEMAS_SQL, []);
  const oids = namespaces.map((n) => n.oid);
  const serverVersion = namespaces[0]?.server_version ?? 0;
  // About half of the work on each connection (the index and constraint
  // definitions cost the most); one query at a time per connection.
  const onFirst = async () => {
    const tableRows = await rows<TableRow>(first, TABLES_SQL, [oids]);
    const columnRows = await rows<ColumnRow>(first, COLUMNS_SQL, [oids]);
    const enumRows = await rows<EnumRow>(first, ENUMS_SQL, [oids]);
    return { tableRows, columnRows, enumRows };
  };
  const onSecond = async () => {
    const constraintRows = await rows<ConstraintRow>(second, CONSTRAINTS_SQL, [oids]);
    const indexRows = await rows<IndexRow>(second, indexesSql(serverVersion), [oids]);
    const sequenceRows = await rows<SequenceRow>(second, SEQUENCES_SQL, [oids]);
    return { constraintRows, indexRows, sequenceRows };
  };
  const [{ tableRows, columnRows, enumRows }, { constraintRows, indexRows, sequenceRows }] =
    first === second ? [await onFirst(), await onSecond()] : await Promise.all([onFirst(), onSecond()]);

  const tablesByOid = new Map<number, Table>();
  const tables: Record<string, Table> = {};
  for (const row of tableRows) {
    const table: Table = {
      schema: row.schema,
      name: row.name,
      kind: RELKINDS[row.relkind] ?? 'table',
      columns: [],
      primaryKey: null,
      uniqueConstraints: [],
      indexes: [],
      foreignKeys: [],
      checkConstraints: [],
      comment: row.comment,
      partitionOf:
        row.parent_schema !== null && row.parent_name !== null
          ? tableKey(row.parent_schema, row.parent_name)
          : null,
    };
    tablesByOid.set(row.oid, table);
    tables[tableKey(row.schema, row.name)] = table;
  }

  // Enum types (and their array types) by oid -> "schema.name", for the columns that use them.
  const enums: Record<string, EnumType> = {};
  const enumKeys = new Map<number, string>();
  for (const row of enumRows) {
    const key = tableKey(row.schema, row.name);
    enums[key] = { schema: row.schema, name: row.name, labels: row.labels };
    enumKeys.set(row.oid, key).set(row.array_oid, key);
  }

  // "oid:attnum" -> column name, to resolve constraint and index keys.
  const attributeNames = new Map<string, string>();
  for (const row of columnRows) {
    const table = tablesByOid.get(row.table_oid);
    if (table === undefined) continue;
    attributeNames.set(`${row.table_oid}:${row.attnum}`, row.name);
    table.columns.push(toColumn(row, table.columns.length + 1, enumKeys.get(row.type_oid) ?? null));
  }
  const columnNames = (tableOid: number, attnums: readonly number[]): string[] =>
    attnums.map((n) => attributeNames.get(`${tableOid}:${n}`) ?? `#${n}`);

  const nullsNotDistinctByConstraint = new Map<string, boolean>();
  for (const row of indexRows) {
    const table = tablesByOid.get(row.table_oid);
    if (table === undefined) continue;
    if (row.constraint_name !== null) {
      nullsNotDistinctByConstraint.set(`${row.table_oid}:${row.constraint_name}`, row.nulls_not_distinct);
    }
    table.indexes.push(toIndex(row, columnNames));
  }

  for (const row of constraintRows) {
    const table = tablesByOid.get(row.table_oid);
    if (table === undefined) continue;
    const columns = columnNames(row.table_oid, row.columns ?? []);
    switch (row.type) {
      case 'p':
        table.primaryKey = { name: row.name, columns } satisfies PrimaryKey;
        break;
      case 'u':
        table.uniqueConstraints.push({
          name: row.name,
          columns,
          deferrable: row.deferrable,
          initiallyDeferred: row.deferred,
          nullsNotDistinct: nullsNotDistinctByConstraint.get(`${row.table_oid}:${row.name}`) ?? false,
          definition: row.definition ?? '',
        } satisfies UniqueConstraint);
        break;
      case 'f':
        table.foreignKeys.push({
          name: row.name,
          columns,
          referredTable: tableKey(row.ref_schema ?? '', row.ref_table ?? ''),
          referredColumns: row.ref_columns ?? [],
          onDelete: FK_ACTIONS[row.on_delete] ?? 'NO ACTION',
          onUpdate: FK_ACTIONS[row.on_update] ?? 'NO ACTION',
          deferrable: row.deferrable,
          initiallyDeferred: row.deferred,
          validated: row.validated,
          definition: row.definition ?? '',
        } satisfies ForeignKey);
        break;
      case 'c':
        table.checkConstraints.push({
          name: row.name,
          definition: row.definition ?? '',
          validated: row.validated,
        } satisfies CheckConstraint);
        break;
    }
  }

  const sequences: Record<string, Sequence> = {};
  for (const row of sequenceRows) {
    const ownedBy =
      row.owner_schema !== null && row.owner_table !== null && row.owner_column !== null
        ? `${row.owner_schema}.${row.owner_table}.${row.owner_column}`
        : null;
    sequences[tableKey(row.schema, row.name)] = { schema: row.schema, name: row.name, ownedBy };
  }

  const read = { schemas: namespaces.map((n) => n.name), tables, enums, sequences };
  // A tenant schema first on the database's search_path (tenant-schema) is where unqualified names go.
  const current = namespaces[0]?.current_schema ?? 'public';
  return current === 'public' ? read : tenantAsPublic(read, current);
}

function toColumn(row: ColumnRow, position: number, enumType: string | null): Column {
  const generated = row.generated === 's' ? row.expr : null;
  return {
    name: row.name,
    type: row.type,
    nullable: !row.not_null,
    default: generated === null ? row.expr : null,
    identity: row.identity === 'a' ? 'always' : row.identity === 'd' ? 'by default' : null,
    generated,
    collation: row.collation,
    comment: row.comment,
    position,
    enumType,
  };
}

function toIndex(
  row: IndexRow,
  columnNames: (tableOid: number, attnums: readonly number[]) => string[],
): Index {
  const parts = row.attnums.map((attnum, i) =>
    attnum === 0 ? (row.expressions[i] ?? '') : (columnNames(row.table_oid, [attnum])[0] ?? `#${attnum}`),
  );
  return {
    name: row.name,
    columns: parts.slice(0, row.key_count),
    include: parts.slice(row.key_count),
    unique: row.unique,
    nullsNotDistinct: row.nulls_not_distinct,
    predicate: row.predicate,
    method: row.method,
    definition: row.definition,
    constraint: row.constraint_name,
  };
}

const ROW_COUNT_CHUNK = 500;

/**
 * Exact row counts of every table (not views), keyed by "schema.table": one
 * UNION ALL of count(*) per 500 tables. Exact rather than pg_class.reltuples,
 * which is -1 or stale until ANALYZE: the replay's seeded tables are small, and
 * "has rows" must be right for the lint rules that depend on it.
 */
export async function introspectRowCounts(
  client: pg.Client,
  schema: Schema,
): Promise<Record<string, number>> {
  const keys = Object.entries(schema.tables)
    .filter(([, t]) => t.kind === 'table' || t.kind === 'partitioned table')
    .map(([key]) => key);
  const counts: Record<string, number> = {};
  for (let start = 0; start < keys.length; start += ROW_COUNT_CHUNK) {
    const chunk = keys.slice(start, start + ROW_COUNT_CHUNK);
    const sql = chunk
      .map((key, i) => {
        const table = schema.tables[key];
        if (table === undefined) throw new Error(`no table ${key}`);
        // Unqualified in public: the tenant schema, shown as public, is first on the search_path.
        const name = sqlName(table.schema, table.name);
        return `SELECT ${start + i} AS i, count(*)::bigint AS n FROM ${name}`;
      })
      .join(' UNION ALL ');
    const rows = (await client.query<{ i: number; n: string }>(sql)).rows;
    for (const row of rows) {
      const key = keys[row.i];
      if (key !== undefined) counts[key] = Number(row.n);
    }
  }
  return counts;
}
