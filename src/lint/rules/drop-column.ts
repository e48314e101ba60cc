// DROP COLUMN on a live table deletes the column's data, and the code still
// running breaks: SQLAlchemy names every mapped column in its SELECTs and
// INSERTs, so each query on the table fails until the new code is deployed.
import { schemaArg } from '../alembic-code.ts';
import { classify } from '../classify.ts';
import { BRINGS_COLUMN, ColumnArrivals, DROPS_COLUMN } from '../column-arrivals.ts';
import { identifierName } from '../names.ts';
import { py } from '../python.ts';
import { actionsOf } from '../syntax.ts';
import type { LintRule, ParsedStatement, TableRef } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'drop-column',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Dropping a column loses its data and breaks code still reading it.',
    docs: 'docs/rules/drop-column.md',
  },
  create(context) {
    const drops: { table: TableRef; column: string; statement: ParsedStatement }[] = [];
    const arrivals = new ColumnArrivals();
    // Columns that come back (a type change done by hand) are only seen when the revision drops one.
    const dropsColumn = context.revision.statements.some(
      (s) => DROPS_COLUMN.test(s.sql) && (classify(s.sql) ?? 'alter_table_stmt') === 'alter_table_stmt',
    );
    return {
      needs: {
        alter_table_stmt: (s) =>
          dropsColumn &&
          (DROPS_COLUMN.test(s.sql) || BRINGS_COLUMN.test(s.sql)) &&
          context.mayTargetBaseTable(s),
      },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        arrivals.record(table, node, statement);
        for (const action of actionsOf(node)) {
          if (action.type !== 'alter_action_drop_column') continue;
          const column = identifierName(action.column);
          if (column === undefined) continue;
          if (context.replayed && context.baseColumn(table, column) === undefined) continue; // added in this change
          if (!context.replayed && arrivals.addedBefore(table, column, statement.captured.index)) continue;
          drops.push({ table, column, statement });
        }
      },
      'revision:exit'() {
        for (const { table, column, statement } of drops) {
          if (arrivals.comesBack(table, column, statement.captured.index)) continue;
          context.report(statement, {
            message: `ALTER TABLE ${table.display} DROP COLUMN ${column} deletes every value of ${table.display}.${column}, and the application code still running selects it: SQLAlchemy names every mapped column, so its queries on ${table.display} fail until the new code is deployed.`,
            table: table.display,
            column,
            suggestion: {
              text: `Drop the column in a later release than the one that removes it from the models (or mark it deferred/unused first). Keep a copy if the data may be needed.`,
              code: [
                `# Only after a release whose models no longer map ${table.display}.${column}:`,
                `op.drop_column(${py(table.name)}, ${py(column)}${schemaArg(table)})`,
              ].join('\n'),
            },
          });
        }
      },
    };
  },
};

export default rule;
