// ADD UNIQUE (or ADD COLUMN ... UNIQUE) on a live table builds the unique
// index inside ALTER TABLE, under an ACCESS EXCLUSIVE lock: reads and writes
// wait until every row is indexed.
import { constraintUsingIndex } from '../alembic-code.ts';
import { identifierName } from '../names.ts';
import { actionsOf, columnName, constraintsOf, plainColumns } from '../syntax.ts';
import type { LintRule, ParsedStatement, TableRef } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'add-unique-constraint',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Adding a unique constraint builds an index while blocking writes.',
    docs: 'docs/rules/add-unique-constraint.md',
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
      // Postgres names an unnamed one <table>_<columns>_key.
      const name = given ?? `${table.name}_${columns.join('_')}_key`;
      context.report(statement, {
        message: `${what} builds a unique index on ${table.display} under an ACCESS EXCLUSIVE lock: reads and writes of ${table.display} wait until every row is indexed.`,
        table: table.display,
        ...(columns.length === 1 && columns[0] !== undefined ? { column: columns[0] } : {}),
        suggestion: {
          text: `${first}Build the unique index CONCURRENTLY, then attach it as the constraint: USING INDEX takes only a brief lock.`,
          code: constraintUsingIndex(table, name, columns, 'UNIQUE'),
        },
      });
    };
    return {
      needs: { alter_table_stmt: (s) => /\bUNIQUE\b/i.test(s.sql) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        for (const action of actionsOf(node)) {
          if (action.type === 'alter_action_add_constraint') {
            const constraint = action.constraint;
            if (constraint.type !== 'constraint_unique' || constraint.columns?.type !== 'paren_expr')
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
            if (!constraintsOf(action.column).some((c) => c.type === 'constraint_unique')) continue;
            const column = columnName(action.column);
            const first = `Add ${column} without unique=True (a new column is NULL everywhere, no index needed yet). `;
            report(
              statement,
              table,
              undefined,
              [column],
              `ALTER TABLE ${table.display} ${statement.text(action)}`,
              first,
            );
          }
        }
      },
    };
  },
};

export default rule;
