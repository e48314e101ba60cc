// RENAME COLUMN on a live table: the application code that is still running
// (every instance until the deploy finishes) keeps using the old name, and
// each of its queries on the table fails from the moment the rename commits.
import { columnCode, schemaArg, sqlIdentifier, sqlTable } from '../alembic-code.ts';
import { BRINGS_COLUMN, ColumnArrivals } from '../column-arrivals.ts';
import { identifierName } from '../names.ts';
import { py } from '../python.ts';
import { actionsOf } from '../syntax.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'rename-column',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Renaming a column breaks the application code that is still running.',
    docs: 'docs/rules/rename-column.md',
  },
  create(context) {
    // Offline, a column this revision added is known only from its ADD COLUMN.
    const arrivals = new ColumnArrivals();
    const wanted = context.replayed ? /\bRENAME\b/i : BRINGS_COLUMN;
    return {
      needs: { alter_table_stmt: (s) => wanted.test(s.sql) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        arrivals.record(table, node, statement);
        for (const action of actionsOf(node)) {
          if (action.type !== 'alter_action_rename_column') continue;
          const from = identifierName(action.oldName);
          const to = identifierName(action.newName);
          if (from === undefined || to === undefined) continue;
          const base = context.baseColumn(table, from);
          if (context.replayed && base === undefined) continue;
          if (arrivals.addedBefore(table, from, statement.captured.index)) continue; // new in this revision
          const added = columnCode(to, base?.type, 'nullable=True');
          context.report(statement, {
            message: `ALTER TABLE ${table.display} RENAME COLUMN ${from} TO ${to}: the application code still running reads and writes ${table.display}.${from}, and its queries on ${table.display} fail as soon as the rename commits.`,
            table: table.display,
            column: from,
            suggestion: {
              text: `Expand and contract: add ${to} next to ${from} and keep both in step while old and new code run; drop ${from} in a later release.`,
              code: [
                `# This release (expand): the new column, filled from the old one`,
                `op.add_column(${py(table.name)}, ${added.code}${schemaArg(table)})${added.note}`,
                `op.execute(${py(`UPDATE ${sqlTable(table)} SET ${sqlIdentifier(to)} = ${sqlIdentifier(from)}`)})`,
                `# ...deploy code that writes both columns and reads ${to}...`,
                `# A later release (contract), once no running code uses ${from}:`,
                `op.drop_column(${py(table.name)}, ${py(from)}${schemaArg(table)})`,
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
