// The constraints an ALTER TABLE adds that Postgres enforces with a unique
// index it builds on the spot: ADD [CONSTRAINT x] UNIQUE / PRIMARY KEY (...)
// (not USING INDEX, which attaches an index built before) and ADD COLUMN ...
// UNIQUE / PRIMARY KEY. Shared by the rules about the lock that build takes.
import type { AlterTableStmt } from 'sql-parser-cst';
import { identifierName } from './names.ts';
import { actionsOf, columnName, constraintsOf, plainColumns } from './syntax.ts';
import type { ParsedStatement, RuleContext, TableRef } from './types.ts';

export interface IndexConstraint {
  table: TableRef;
  /** Its name, when the statement gives one. */
  given: string | undefined;
  columns: string[];
  /** The action as written: "ALTER TABLE users ADD CONSTRAINT ...". */
  what: string;
  /** The column an ADD COLUMN adds with the constraint. */
  addedColumn: string | undefined;
}

export function indexConstraints(
  context: RuleContext,
  node: AlterTableStmt,
  statement: ParsedStatement,
  kind: 'constraint_unique' | 'constraint_primary_key',
): IndexConstraint[] {
  const table = context.table(statement, node.table);
  if (!context.existedAtBase(table)) return [];
  const found: IndexConstraint[] = [];
  for (const action of actionsOf(node)) {
    const what = `ALTER TABLE ${table.display} ${statement.text(action)}`;
    if (action.type === 'alter_action_add_constraint') {
      const constraint = action.constraint;
      if (constraint.type !== kind || constraint.columns?.type !== 'paren_expr') continue;
      const columns = plainColumns(constraint.columns.expr.items) ?? [];
      const given = action.name === undefined ? undefined : identifierName(action.name.name);
      found.push({ table, given, columns, what, addedColumn: undefined });
    } else if (action.type === 'alter_action_add_column') {
      if (!constraintsOf(action.column).some((c) => c.type === kind)) continue;
      const column = columnName(action.column);
      found.push({ table, given: undefined, columns: [column], what, addedColumn: column });
    }
  }
  return found;
}
