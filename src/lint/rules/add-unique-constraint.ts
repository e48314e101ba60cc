// ADD UNIQUE (or ADD COLUMN ... UNIQUE) on a live table builds the unique
// index inside ALTER TABLE, under an ACCESS EXCLUSIVE lock: reads and writes
// wait until every row is indexed.
import { constraintUsingIndex } from '../alembic-code.ts';
import { indexConstraints } from '../index-constraints.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'add-unique-constraint',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Adding a unique constraint builds an index while blocking writes.',
    docs: 'docs/rules/add-unique-constraint.md',
  },
  create(context) {
    return {
      needs: { alter_table_stmt: (s) => /\bUNIQUE\b/i.test(s.sql) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        for (const { table, given, columns, what, addedColumn } of indexConstraints(
          context,
          node,
          statement,
          'constraint_unique',
        )) {
          // Postgres names an unnamed one <table>_<columns>_key.
          const name = given ?? `${table.name}_${columns.join('_')}_key`;
          const first =
            addedColumn === undefined
              ? ''
              : `Add ${addedColumn} without unique=True (a new column is NULL everywhere, no index needed yet). `;
          context.report(statement, {
            message: `${what} builds a unique index on ${table.display} under an ACCESS EXCLUSIVE lock: reads and writes of ${table.display} wait until every row is indexed.`,
            table: table.display,
            ...(columns.length === 1 && columns[0] !== undefined ? { column: columns[0] } : {}),
            suggestion: {
              text: `${first}Build the unique index CONCURRENTLY, then attach it as the constraint: USING INDEX takes only a brief lock.`,
              code: constraintUsingIndex(table, name, columns, 'UNIQUE'),
            },
          });
        }
      },
    };
  },
};

export default rule;
