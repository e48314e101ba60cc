// DROP TABLE on a table that existed at the base deletes it with its rows,
// and the code still running fails on every query that touches it.
import { schemaArg } from '../alembic-code.ts';
import { tableOf } from '../names.ts';
import { py } from '../python.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'drop-table',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Dropping a table loses its data and breaks code still using it.',
    docs: 'docs/rules/drop-table.md',
  },
  create(context) {
    return {
      drop_table_stmt(node, statement) {
        for (const name of node.tables.items) {
          const table = tableOf(name);
          if (table === undefined || !context.existedAtBase(table)) continue;
          const rows = context.rows(table);
          const kept = `${table.name}_deprecated`;
          context.report(statement, {
            message: `DROP TABLE ${table.display} deletes the table and all its rows${rows === undefined ? '' : ` (${rows} at the base of the replay)`}, and the application code still running fails on every query that uses ${table.display}.`,
            table: table.display,
            suggestion: {
              text: 'Drop the table in a later release than the one that stops using it; until then, rename it so that nothing uses it by accident and the data can still be recovered.',
              code: [
                `op.rename_table(${py(table.name)}, ${py(kept)}${schemaArg(table)})`,
                `# A later revision, once nothing needs the data:`,
                `op.drop_table(${py(kept)}${schemaArg(table)})`,
              ].join('\n'),
            },
          });
        }
      },
    };
  },
};

export default rule;
