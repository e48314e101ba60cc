// ADD PRIMARY KEY (op.create_primary_key) on a live table builds the
// primary key's unique index inside ALTER TABLE, under an ACCESS EXCLUSIVE
// lock, and sets its columns NOT NULL with a scan of every row: reads and
// writes wait until the whole table is indexed. The index can be built
// CONCURRENTLY first and attached with USING INDEX under a brief lock.
import { constraintUsingIndex } from '../alembic-code.ts';
import { indexConstraints } from '../index-constraints.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'add-primary-key',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Adding a primary key to an existing table builds its index while blocking reads and writes.',
    docs: 'docs/rules/add-primary-key.md',
  },
  create(context) {
    return {
      needs: { alter_table_stmt: (s) => /\bPRIMARY\s+KEY\b/i.test(s.sql) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        for (const { table, given, columns, what, addedColumn } of indexConstraints(
          context,
          node,
          statement,
          'constraint_primary_key',
        )) {
          // Postgres names an unnamed one <table>_pkey.
          const name = given ?? `${table.name}_pkey`;
          const first =
            addedColumn === undefined
              ? ''
              : `Add ${addedColumn} without primary_key=True and fill it first. `;
          context.report(statement, {
            message: `${what} builds the primary key's unique index on ${table.display} under an ACCESS EXCLUSIVE lock (and checks every row for NULLs): reads and writes of ${table.display} wait until every row is indexed.`,
            table: table.display,
            ...(columns.length === 1 && columns[0] !== undefined ? { column: columns[0] } : {}),
            suggestion: {
              text: `${first}Build the unique index CONCURRENTLY in an autocommit block, then attach it as the primary key: ADD CONSTRAINT ... PRIMARY KEY USING INDEX takes only a brief lock (its columns must already be NOT NULL, or Postgres scans the table under the lock to set it).`,
              code: constraintUsingIndex(table, name, columns, 'PRIMARY KEY'),
            },
            details: { constraint: name, columns },
          });
        }
      },
    };
  },
};

export default rule;
