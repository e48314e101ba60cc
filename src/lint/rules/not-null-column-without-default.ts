// ADD COLUMN ... NOT NULL without a default on a table that existed at the
// base: Postgres has no value for the existing rows, so the statement fails
// as soon as the table has one (the article's nullable gotcha).
import { columnCode, schemaArg, sqlIdentifier, sqlTable } from '../alembic-code.ts';
import { py } from '../python.ts';
import { actionsOf, columnName, fillsExistingRows, hasNotNull } from '../syntax.ts';
import type { Statement } from '../../model.ts';
import type { LintRule } from '../types.ts';

/**
 * The cheap test before parsing: an ADD with NOT NULL (or PRIMARY KEY), unless
 * the statement adds one column only and gives it a default that is not NULL.
 */
function mayAddNotNullWithoutDefault(statement: Statement): boolean {
  const sql = statement.sql;
  if (!/\bADD\b/i.test(sql) || !/\bNOT\s+NULL\b|\bPRIMARY\s+KEY\b/i.test(sql)) return false;
  const oneColumn = (sql.match(/\bADD\b/gi) ?? []).length === 1;
  const realDefault = /\bDEFAULT\s+(?![(\s]*(?:NULL\b|CAST\s*\(\s*NULL\b))/i.test(sql);
  return !(oneColumn && realDefault);
}

const rule: LintRule = {
  meta: {
    id: 'not-null-column-without-default',
    category: 'lint',
    defaultSeverity: 'error',
    summary: 'ADD COLUMN ... NOT NULL without a default on a table that has rows.',
    docs: 'docs/rules/not-null-column-without-default.md',
  },
  create(context) {
    return {
      needs: { alter_table_stmt: (s) => mayAddNotNullWithoutDefault(s) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        for (const action of actionsOf(node)) {
          if (action.type !== 'alter_action_add_column') continue;
          const definition = action.column;
          const typeText =
            definition.dataType === undefined ? undefined : statement.text(definition.dataType);
          if (!hasNotNull(definition) || fillsExistingRows(definition, typeText ?? '')) continue;
          const column = columnName(definition);
          const rows = context.rows(table);
          const seen =
            rows !== undefined && rows > 0
              ? ` (${table.display} had ${rows} rows at the base of the replay)`
              : '';
          const nullable = columnCode(column, typeText, 'nullable=True');
          const name = `${py(table.name)}, ${py(column)}`;
          context.report(statement, {
            message: `ALTER TABLE ${table.display} ${statement.text(action)} fails when ${table.display} has rows: Postgres cannot fill the existing rows of a NOT NULL column that has no default${seen}.`,
            table: table.display,
            column,
            suggestion: {
              text: `Add ${column} as nullable, backfill the existing rows, then set NOT NULL (or give the column a server_default).`,
              code: [
                `op.add_column(${py(table.name)}, ${nullable.code}${schemaArg(table)})${nullable.note}`,
                `op.execute(${py(`UPDATE ${sqlTable(table)} SET ${sqlIdentifier(column)} = ... WHERE ${sqlIdentifier(column)} IS NULL`)})  # the value for existing rows`,
                `op.alter_column(${name}, nullable=False${schemaArg(table)})`,
              ].join('\n'),
            },
          });
        }
      },
    };
  },
};

export default rule;
