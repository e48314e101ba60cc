// ALTER TABLE ... RENAME TO on a live table: the application code that is
// still running queries the old name and fails until it is replaced.
import { schemaArg, sqlTable } from '../alembic-code.ts';
import { identifierName, tableRef } from '../names.ts';
import { py } from '../python.ts';
import { actionsOf } from '../syntax.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'rename-table',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Renaming a table breaks the application code that is still running.',
    docs: 'docs/rules/rename-table.md',
  },
  create(context) {
    return {
      needs: { alter_table_stmt: (s) => /\bRENAME\b/i.test(s.sql) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        for (const action of actionsOf(node)) {
          if (action.type !== 'alter_action_rename') continue;
          const to = identifierName(
            action.newName.type === 'member_expr' ? action.newName.property : action.newName,
          );
          if (to === undefined) continue;
          const renamed = tableRef(table.schema, to);
          context.report(statement, {
            message: `ALTER TABLE ${table.display} RENAME TO ${to}: the application code still running queries ${table.display}, and every one of those queries fails as soon as the rename commits.`,
            table: table.display,
            suggestion: {
              text: `Keep the old name working while old code runs: rename, then create an updatable view with the old name; drop the view in a later release.`,
              code: [
                `op.rename_table(${py(table.name)}, ${py(to)}${schemaArg(table)})`,
                `op.execute(${py(`CREATE VIEW ${sqlTable(table)} AS SELECT * FROM ${sqlTable(renamed)}`)})`,
                `# A later release, once no running code uses ${table.display}:`,
                `op.execute(${py(`DROP VIEW ${sqlTable(table)}`)})`,
              ].join('\n'),
            },
            details: { newName: to },
          });
        }
      },
    };
  },
};

export default rule;
