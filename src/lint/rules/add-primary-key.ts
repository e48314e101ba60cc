// ADD PRIMARY KEY (op.create_primary_key) on a live table builds the
// primary key's unique index inside ALTER TABLE, under an ACCESS EXCLUSIVE
// lock, and sets its columns NOT NULL with a scan of every row: reads and
// writes wait until the whole table is indexed. The index can be built
// CONCURRENTLY first and attached with USING INDEX under a brief lock.
import { constraintUsingIndex } from '../alembic-code.ts';
import { identifierName } from '../names.ts';
import { actionsOf, columnName, constraintsOf, plainColumns } from '../syntax.ts';
import type { LintRule, ParsedStatement, TableRef } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'add-primary-key',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Adding a primary key to an existing table builds its index while blocking reads and writes.',
    docs: 'docs/rules/add-primary-key.md',
  },
  create(context) {
    const report = (
      statement: ParsedStatement,
      table: TableRef,
      given: string | undefined,
      columns: string[],
      what: string,
      first = '',
    ): void => {
      // Postgres names an unnamed one <table>_pkey.
      const name = given ?? `${table.name}_pkey`;
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
    };
    return {
      needs: { alter_table_stmt: (s) => /\bPRIMARY\s+KEY\b/i.test(s.sql) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        for (const action of actionsOf(node)) {
          if (action.type === 'alter_action_add_constraint') {
            const constraint = action.constraint;
            // USING INDEX attaches an index that already exists: that is the fix.
            if (constraint.type !== 'constraint_primary_key' || constraint.columns?.type !== 'paren_expr')
              continue;
            const columns = plainColumns(constraint.columns.expr.items) ?? [];
            const given = action.name === undefined ? undefined : identifierName(action.name.name);
            report(
              statement,
              table,
              given,
              columns,
              `ALTER TABLE ${table.display} ${statement.text(action)}`,
            );
          } else if (action.type === 'alter_action_add_column') {
            if (!constraintsOf(action.column).some((c) => c.type === 'constraint_primary_key')) continue;
            const column = columnName(action.column);
            report(
              statement,
              table,
              undefined,
              [column],
              `ALTER TABLE ${table.display} ${statement.text(action)}`,
              `Add ${column} without primary_key=True and fill it first. `,
            );
          }
        }
      },
    };
  },
};

export default rule;
