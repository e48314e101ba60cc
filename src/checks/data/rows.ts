// Changing seeded rows into breaking ones, and back. Every change goes
// through a savepoint, so that a value the table's other constraints reject
// (a CHECK, another unique key, a foreign key) is simply not used; the old
// values are kept, so that the breaking rows of a case can be taken out again
// once its failure is proven and the next cases must get past its statement.
import type pg from 'pg';
import { sqlIdent, sqlName, sqlString } from '../../schema/literals.ts';
import type { Table } from '../../schema/types.ts';
import type { ProbeQuery } from './types.ts';

export function qualified(table: Pick<Table, 'schema' | 'name'>): string {
  return sqlName(table.schema, table.name);
}

interface Edit {
  table: Table;
  /** The row's ctid now (an update moves the row). */
  ctid: string;
  columns: string[];
  /** The row's old values as jsonb, for jsonb_populate_record. */
  original: unknown;
}

/** What a set of edits can undo: the edits of one case. */
export class EditGroup {
  readonly edits: Edit[] = [];
}

export class RowEditor {
  readonly client: pg.Client;
  #group = new EditGroup();
  #savepoints = 0;
  /** Where an update moved a row: old ctid → new (per table), within one batch. */
  readonly #moved = new Map<string, string>();
  /** Each table's rows in physical order when the batch began (cases take their rows from it). */
  readonly #rows = new Map<string, string[]>();

  constructor(client: pg.Client) {
    this.client = client;
  }

  /** A new batch: rows are listed afresh. */
  startBatch(): void {
    this.#moved.clear();
    this.#rows.clear();
  }

  #current(table: Table, ctid: string): string {
    let current = ctid;
    for (let hops = 0; hops < 1000; hops++) {
      const next = this.#moved.get(`${qualified(table)}|${current}`);
      if (next === undefined) return current;
      current = next;
    }
    return current;
  }

  #move(table: Table, from: string, to: string): void {
    if (from !== to) this.#moved.set(`${qualified(table)}|${from}`, to);
  }

  /** Edits from now on belong to a new group (one case's). */
  startGroup(): EditGroup {
    this.#group = new EditGroup();
    return this.#group;
  }

  /** `count` rows of the table from `offset` on, in the order the batch began with. */
  async slots(table: Table, offset: number, count: number): Promise<string[]> {
    const key = qualified(table);
    let rows = this.#rows.get(key);
    if (rows === undefined) {
      const result = await this.client.query<{ ctid: string }>(
        `SELECT ctid::text AS ctid FROM ${key} ORDER BY ctid`,
      );
      rows = result.rows.map((r) => r.ctid);
      this.#rows.set(key, rows);
    }
    return rows.slice(offset, offset + count);
  }

  /**
   * Sets columns of one row (`assignments`: column → SQL expression, with
   * `params`); null when the database rejects it. Returns the row's new ctid.
   */
  async set(
    table: Table,
    ctid: string,
    assignments: readonly (readonly [string, string])[],
    params: readonly unknown[] = [],
  ): Promise<string | null> {
    const columns = assignments.map(([column]) => column);
    const row = this.#current(table, ctid);
    const savepoint = `alembic_review_edit_${++this.#savepoints}`;
    await this.client.query(`SAVEPOINT ${savepoint}`);
    try {
      const before = await this.client.query<{ original: unknown }>(
        `SELECT to_jsonb(t) AS original FROM ${qualified(table)} AS t WHERE ctid = $1::tid`,
        [row],
      );
      const n = params.length;
      const set = assignments.map(([column, expr]) => `${sqlIdent(column)} = ${expr}`);
      const result = await this.client.query<{ ctid: string }>(
        `UPDATE ${qualified(table)} SET ${set.join(', ')} WHERE ctid = $${n + 1}::tid RETURNING ctid::text AS ctid`,
        [...params, row],
      );
      const moved = result.rows[0]?.ctid;
      if (moved === undefined) throw new Error('row not found');
      await this.client.query(`RELEASE SAVEPOINT ${savepoint}`);
      this.#move(table, row, moved);
      this.#group.edits.push({ table, ctid: moved, columns, original: before.rows[0]?.original });
      return moved;
    } catch {
      await this.client.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
      return null;
    }
  }

  /** Runs `check` after an edit attempt; undoes the group's edits since `mark` when it says no. */
  async keepIf(mark: number, check: () => Promise<boolean>): Promise<boolean> {
    if (await check()) return true;
    await this.undo(this.#group, mark);
    return false;
  }

  /** Number of edits of the current group (a mark for keepIf). */
  get mark(): number {
    return this.#group.edits.length;
  }

  /** Puts back the old values of a group's edits (from `from` on), newest first. */
  async undo(group: EditGroup, from = 0): Promise<void> {
    for (const edit of group.edits.splice(from).reverse()) {
      const table = qualified(edit.table);
      const columns = edit.columns.map(sqlIdent).join(', ');
      const row = this.#current(edit.table, edit.ctid);
      const result = await this.client.query<{ ctid: string }>(
        `UPDATE ${table} SET (${columns}) = (SELECT ${columns} FROM jsonb_populate_record(NULL::${table}, $1::jsonb)) WHERE ctid = $2::tid RETURNING ctid::text AS ctid`,
        [JSON.stringify(edit.original), row],
      );
      const moved = result.rows[0]?.ctid;
      if (moved === undefined) throw new Error(`a changed row of ${table} was not found to put back`);
      this.#move(edit.table, row, moved);
    }
  }
}

/** A probe's query with its parameters written into the text, for people to run. */
export function displaySql(query: ProbeQuery): string {
  return query.sql.replace(/\$(\d+)/g, (match, n: string) => {
    const value = query.params[Number(n) - 1];
    if (value === undefined) return match;
    return literal(value);
  });
}

function literal(value: unknown): string {
  if (Array.isArray(value)) return `ARRAY[${value.map(literal).join(', ')}]`;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return sqlString(value);
  return sqlString(JSON.stringify(value));
}
