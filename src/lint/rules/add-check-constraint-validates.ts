// ADD CHECK without NOT VALID on a live table: Postgres checks every existing
// row under an ACCESS EXCLUSIVE lock, so reads and writes wait for the scan.
import { schemaArg, sqlIdentifier, sqlTable } from '../alembic-code.ts';
import { identifierName } from '../names.ts';
import { py } from '../python.ts';
import { actionsOf, isNotValid } from '../syntax.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'add-check-constraint-validates',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Adding a CHECK constraint scans the table while blocking everything.',
    docs: 'docs/rules/add-check-constraint-validates.md',
  },
  create(context) {
    return {
      needs: { alter_table_stmt: (s) => /\bCHECK\b/i.test(s.sql) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        for (const action of actionsOf(node)) {
          if (action.type !== 'alter_action_add_constraint') continue;
          const constraint = action.constraint;
          if (constraint.type !== 'constraint_check' || isNotValid(action)) continue;
          const condition = statement.text(constraint.expr.expr);
          const name =
            (action.name === undefined ? undefined : identifierName(action.name.name)) ?? `ck_${table.name}`;
          context.report(statement, {
            message: `ALTER TABLE ${table.display} ADD ${action.name === undefined ? '' : `CONSTRAINT ${name} `}CHECK (${condition}) checks every row of ${table.display} under an ACCESS EXCLUSIVE lock: reads and writes of ${table.display} wait for the whole scan.`,
            table: table.display,
            suggestion: {
              text: 'Add the constraint NOT VALID (new rows are checked at once, no scan), then VALIDATE it in a later revision: validation scans without blocking reads or writes.',
              code: [
                `op.create_check_constraint(${py(name)}, ${py(table.name)}, ${py(condition)}${schemaArg(table)}, postgresql_not_valid=True)`,
                `# In the next revision (its own transaction):`,
                `op.execute(${py(`ALTER TABLE ${sqlTable(table)} VALIDATE CONSTRAINT ${sqlIdentifier(name)}`)})`,
              ].join('\n'),
            },
          });
        }
      },
    };
  },
};

export default rule;
