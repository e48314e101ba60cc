// Many rows in a table, fast, that the change's statements accept: one
// INSERT … SELECT that repeats the rows the ordinary seed put there (so the
// values are those the replay with rows passed on), except in the columns
// that must stay distinct — the table's keys and the keys the change adds —
// which get the row number appended. The estimates measure the change's
// statements on such a table to get their rate per row and per byte.
import type pg from 'pg';
import { parseColumnType } from '../../lint/sql-types.ts';
import { sqlIdent } from '../../schema/literals.ts';
import type { Column, Table } from '../../schema/types.ts';
import { qualified } from './rows.ts';

const INTEGERS = new Set(['smallint', 'integer', 'bigint', 'numeric']);
const TEXTS = new Set(['text', 'citext', 'character varying', 'character']);

/** A distinct value for row g from the repeated row's value, or undefined when the type has none. */
function distinctValue(column: Column, value: string, g: string, offset: string): string | undefined {
  const type = parseColumnType(column.type);
  if (type.array) return undefined;
  if (INTEGERS.has(type.name)) return `(${offset} + ${g})`;
  if (TEXTS.has(type.name)) {
    const length = type.args[0];
    return length === undefined
      ? `(${value} || ' ' || ${g})`
      : `(left(${value}, greatest(${length} - 8, 0)) || ' ' || ${g})`;
  }
  if (type.name === 'uuid') return `md5(${value}::text || ${g})::uuid`;
  return undefined;
}

/** The columns that must hold distinct values: the table's keys, and those the change makes unique. */
export function keyColumns(table: Table, alsoUnique: readonly string[]): Set<string> {
  return new Set([
    ...(table.primaryKey?.columns ?? []),
    ...table.uniqueConstraints.flatMap((u) => u.columns),
    ...table.indexes.filter((i) => i.unique).flatMap((i) => i.columns),
    ...alsoUnique,
  ]);
}

/** Adds `count` rows to the table; false when it has no rows to repeat or its constraints refuse them. */
export async function addRows(
  client: pg.Client,
  table: Table,
  count: number,
  distinct: ReadonlySet<string>,
): Promise<boolean> {
  const name = qualified(table);
  const names: string[] = [];
  const values: string[] = [];
  for (const column of table.columns) {
    if (column.identity !== null || column.generated !== null) continue;
    const ident = sqlIdent(column.name);
    if (!distinct.has(column.name)) {
      // Defaults (serial ids, timestamps) are the database's, as in the seed.
      if (column.default !== null) continue;
      names.push(ident);
      values.push(`seed.${ident}`);
      continue;
    }
    if (column.default !== null) continue;
    const offset = `(SELECT coalesce(max(${ident}), 0) FROM ${name})`;
    const value = distinctValue(column, `seed.${ident}`, 'g', offset);
    if (value === undefined) return false;
    names.push(ident);
    values.push(`${value}::${column.type}`);
  }
  if (names.length === 0) return false;
  const sql = `WITH seed AS (SELECT row_number() OVER (ORDER BY ctid) AS k, * FROM ${name}), n AS (SELECT count(*) AS n FROM seed)
INSERT INTO ${name} (${names.join(', ')})
SELECT ${values.join(', ')} FROM generate_series(1, $1::int) AS g, n, seed WHERE n.n > 0 AND seed.k = 1 + g % n.n`;
  try {
    await client.query('SAVEPOINT alembic_review_bulk');
    const result = await client.query(sql, [count]);
    await client.query('RELEASE SAVEPOINT alembic_review_bulk');
    return (result.rowCount ?? 0) > 0;
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT alembic_review_bulk');
    return false;
  }
}
