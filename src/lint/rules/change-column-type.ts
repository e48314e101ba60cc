// ALTER COLUMN ... TYPE on a live table: unless Postgres can relabel the
// column in place (varchar widening, varchar to text, ...), it rewrites the
// whole table and rebuilds its indexes under an ACCESS EXCLUSIVE lock. The
// replay's relfilenode comparison says whether it really did.
import { columnCode, schemaArg, sqlIdentifier, sqlTable } from '../alembic-code.ts';
import { identifierName } from '../names.ts';
import { py } from '../python.ts';
import { observed, rewrote } from '../replay-facts.ts';
import { formatColumnType, parseColumnType, safeTypeChange } from '../sql-types.ts';
import { actionsOf } from '../syntax.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'change-column-type',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Changing a column type can rewrite the table under an ACCESS EXCLUSIVE lock.',
    docs: 'docs/rules/change-column-type.md',
  },
  create(context) {
    return {
      needs: { alter_table_stmt: (s) => /\bTYPE\b/i.test(s.sql) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        for (const action of actionsOf(node)) {
          if (
            action.type !== 'alter_action_alter_column' ||
            action.action.type !== 'alter_action_set_data_type'
          )
            continue;
          const column = identifierName(action.column);
          if (column === undefined) continue;
          const base = context.baseColumn(table, column);
          if (context.replayed && base === undefined) continue; // added in this change: no rows yet
          const change = action.action;
          const newType = statement.text(change.dataType);
          const using = change.clauses.some((c) => c.type === 'set_data_type_using_clause');
          const didRewrite =
            observed(context, statement.captured) && rewrote(context, statement.captured, table);
          const safe =
            base !== undefined &&
            !using &&
            safeTypeChange(parseColumnType(base.type), parseColumnType(newType));
          if (safe && !didRewrite) continue;
          const from = base === undefined ? '' : ` (was ${formatColumnType(parseColumnType(base.type))})`;
          const effect = didRewrite
            ? `rewrote ${table.display} on the replay`
            : `can rewrite ${table.display}`;
          const replacement = columnCode(`${column}_new`, newType, 'nullable=True');
          context.report(statement, {
            message: `ALTER TABLE ${table.display} ALTER COLUMN ${column} TYPE ${newType}${from} ${effect}: the whole table is copied and its indexes rebuilt under an ACCESS EXCLUSIVE lock, and reads and writes wait until it is done.`,
            table: table.display,
            column,
            suggestion: {
              text: `Expand and contract: add a column of the new type, backfill it in batches and keep it in step, then swap the columns in a later release. Widening varchar, varchar to text and raising numeric precision need no rewrite.`,
              code: [
                `op.add_column(${py(table.name)}, ${replacement.code}${schemaArg(table)})${replacement.note}`,
                `op.execute(${py(`UPDATE ${sqlTable(table)} SET ${sqlIdentifier(`${column}_new`)} = ${sqlIdentifier(column)}`)})  # in batches on a large table`,
                `# A later release, once the code writes both columns:`,
                `op.drop_column(${py(table.name)}, ${py(column)}${schemaArg(table)})`,
                `op.alter_column(${py(table.name)}, ${py(`${column}_new`)}, new_column_name=${py(column)}${schemaArg(table)})`,
              ].join('\n'),
            },
            details: { from: base?.type ?? null, to: newType, rewrote: didRewrite },
          });
        }
      },
    };
  },
};

export default rule;
