// DROP COLUMN on a live table deletes the column's data, and the code still
// running breaks: SQLAlchemy names every mapped column in its SELECTs and
// INSERTs, so each query on the table fails until the new code is deployed.
import { schemaArg } from '../alembic-code.ts';
import { identifierName } from '../names.ts';
import { py } from '../python.ts';
import { actionsOf } from '../syntax.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'drop-column',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Dropping a column loses its data and breaks code still reading it.',
    docs: 'docs/rules/drop-column.md',
  },
  create(context) {
    return {
      // DROP [COLUMN] x, not DROP NOT NULL / DEFAULT / CONSTRAINT / ...
      needs: {
        alter_table_stmt: (s) =>
          /\bDROP\s+(?!NOT\b|DEFAULT\b|CONSTRAINT\b|EXPRESSION\b|IDENTITY\b|PRIMARY\b)/i.test(s.sql) &&
          context.mayTargetBaseTable(s),
      },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        for (const action of actionsOf(node)) {
          if (action.type !== 'alter_action_drop_column') continue;
          const column = identifierName(action.column);
          if (column === undefined) continue;
          if (context.replayed && context.baseColumn(table, column) === undefined) continue; // added in this change
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
