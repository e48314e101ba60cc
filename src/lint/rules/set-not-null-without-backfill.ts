// ALTER COLUMN ... SET NOT NULL with no backfill first: it fails if a row
// still holds NULL, and it scans the table under an ACCESS EXCLUSIVE lock.
// A backfill is an UPDATE (or a DELETE) of the table earlier in the revision
// or in an earlier revision of the same change (the two-revision pattern).
import type { Node } from 'sql-parser-cst';
import { schemaArg, sqlIdentifier, sqlTable } from '../alembic-code.ts';
import { identifierName, tableOf } from '../names.ts';
import { py } from '../python.ts';
import { actionsOf, columnName, fillsExistingRows } from '../syntax.ts';
import type { CapturedStatement, LintRule, ParsedStatement, TableRef } from '../types.ts';

const SET_NOT_NULL = /\bSET\s+NOT\s+NULL\b/i;
/** An added column that Postgres fills: a default, a generated value, a serial. */
const FILLS = /\bDEFAULT\b|\bGENERATED\b|SERIAL/i;

const writtenBy = new WeakMap<ParsedStatement, Set<string>>();

/** Keys of the tables an UPDATE or DELETE writes, computed once per statement. */
function writtenKeys(statement: ParsedStatement): Set<string> {
  let keys = writtenBy.get(statement);
  if (keys === undefined) {
    keys = new Set(written(statement).map((t) => t.key));
    writtenBy.set(statement, keys);
  }
  return keys;
}

/** The tables an UPDATE or DELETE writes (`users`, `users AS u`, `ONLY users`). */
function written(statement: ParsedStatement): TableRef[] {
  const items: Node[] = [];
  const node = statement.node;
  if (node.type === 'update_stmt') {
    for (const clause of node.clauses)
      if (clause.type === 'update_clause') items.push(...clause.tables.items);
  } else if (node.type === 'delete_stmt') {
    for (const clause of node.clauses)
      if (clause.type === 'delete_clause') items.push(...clause.tables.items);
  }
  const tables: TableRef[] = [];
  for (const item of items) {
    const table = tableOf(item.type === 'alias' ? item.expr : item);
    if (table !== undefined) tables.push(table);
  }
  return tables;
}

const rule: LintRule = {
  meta: {
    id: 'set-not-null-without-backfill',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'SET NOT NULL with no earlier backfill of the column in the revision.',
    docs: 'docs/rules/set-not-null-without-backfill.md',
  },
  create(context) {
    // An UPDATE or DELETE of the table names it: only those are parsed and looked at.
    const backfilled = (table: TableRef): boolean => {
      const name = new RegExp(table.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      const names = (c: CapturedStatement): boolean => name.test(c.statement.sql);
      return (
        context.earlier('update_stmt', names).some((s) => writtenKeys(s).has(table.key)) ||
        context.earlier('delete_stmt', names).some((s) => writtenKeys(s).has(table.key))
      );
    };
    // Columns added in this revision with a default: Postgres filled their rows.
    const filled = new Set<string>();
    const setsNotNull = context.revision.statements.some((s) => SET_NOT_NULL.test(s.sql));
    return {
      needs: {
        alter_table_stmt: (s) =>
          setsNotNull && (SET_NOT_NULL.test(s.sql) || FILLS.test(s.sql)) && context.mayTargetBaseTable(s),
      },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        for (const action of actionsOf(node)) {
          if (action.type === 'alter_action_add_column') {
            const typeText =
              action.column.dataType === undefined ? '' : statement.text(action.column.dataType);
            if (fillsExistingRows(action.column, typeText))
              filled.add(`${table.key}.${columnName(action.column)}`);
            continue;
          }
          if (
            action.type !== 'alter_action_alter_column' ||
            action.action.type !== 'alter_action_set_not_null'
          )
            continue;
          const column = identifierName(action.column);
          if (column === undefined || !context.existedAtBase(table)) continue;
          if (filled.has(`${table.key}.${column}`) || context.baseColumn(table, column)?.nullable === false)
            continue;
          if (backfilled(table)) continue;
          context.report(statement, {
            message: `ALTER TABLE ${table.display} ALTER COLUMN ${column} SET NOT NULL with no backfill of ${table.display} before it: it fails if any row holds NULL in ${column}, and it scans all of ${table.display} under an ACCESS EXCLUSIVE lock.`,
            table: table.display,
            column,
            suggestion: {
              text: `Backfill ${column} first (in this revision or an earlier one), then set NOT NULL.`,
              code: [
                `op.execute(${py(`UPDATE ${sqlTable(table)} SET ${sqlIdentifier(column)} = ... WHERE ${sqlIdentifier(column)} IS NULL`)})  # the value for existing rows`,
                `op.alter_column(${py(table.name)}, ${py(column)}, nullable=False${schemaArg(table)})`,
              ].join('\n'),
            },
          });
        }
      },
    };
  },
};

export default rule;
