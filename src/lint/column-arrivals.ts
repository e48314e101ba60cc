// Where a revision's columns come from: added (ADD COLUMN) or renamed into
// place (RENAME COLUMN x TO y), in statement order. A type change done by
// hand — add the new column, copy, drop the old one, rename the new one to
// the old name — drops a column that comes back under the same name: no data
// is lost and the name the running code uses still exists.
import type { AlterTableStmt } from 'sql-parser-cst';
import { identifierName } from './names.ts';
import { actionsOf, columnName } from './syntax.ts';
import type { ParsedStatement, TableRef } from './types.ts';

/** Cheap test before parsing: DROP [COLUMN] x, not DROP NOT NULL / DEFAULT / CONSTRAINT / ... */
export const DROPS_COLUMN = /\bDROP\s+(?!NOT\b|DEFAULT\b|CONSTRAINT\b|EXPRESSION\b|IDENTITY\b|PRIMARY\b)/i;

/** Cheap test before parsing: ALTER TABLE ... RENAME [COLUMN] a TO b, or ADD [COLUMN] x. */
export const BRINGS_COLUMN =
  /\bRENAME\s+(?!TO\b|CONSTRAINT\b)|\bADD\s+(?!CONSTRAINT\b|CHECK\b|UNIQUE\b|PRIMARY\b|FOREIGN\b|EXCLUDE\b|GENERATED\b|VALUE\b)/i;

interface Arrival {
  key: string;
  /** Position of the statement in the revision. */
  index: number;
  /** The column it was renamed from (undefined when it was added). */
  from: string | undefined;
}

export class ColumnArrivals {
  readonly #arrivals: Arrival[] = [];

  /** Records the columns an ALTER TABLE adds or renames into place. */
  record(table: TableRef, node: AlterTableStmt, statement: ParsedStatement): void {
    const index = statement.captured.index;
    for (const action of actionsOf(node)) {
      if (action.type === 'alter_action_add_column') {
        this.#arrivals.push({ key: `${table.key}.${columnName(action.column)}`, index, from: undefined });
      } else if (action.type === 'alter_action_rename_column') {
        const to = identifierName(action.newName);
        const from = identifierName(action.oldName);
        if (to !== undefined) this.#arrivals.push({ key: `${table.key}.${to}`, index, from });
      }
    }
  }

  /** Does a column of this name come back after the statement at `index`? */
  comesBack(table: TableRef, column: string, index: number): boolean {
    const key = `${table.key}.${column}`;
    return this.#arrivals.some((a) => a.key === key && a.index > index);
  }

  /** Was the column added by this revision before the statement at `index`? */
  addedBefore(table: TableRef, column: string, index: number): boolean {
    const key = `${table.key}.${column}`;
    return this.#arrivals.some((a) => a.key === key && a.index < index && a.from === undefined);
  }
}
