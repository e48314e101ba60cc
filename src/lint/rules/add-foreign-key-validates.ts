// ADD FOREIGN KEY without NOT VALID on a live table: Postgres checks every
// existing row while holding SHARE ROW EXCLUSIVE locks on both tables, so
// writes to the table and to the referenced table wait for the whole scan.
import { sqlIdentifier, sqlTable } from '../alembic-code.ts';
import { identifierName, tableOf } from '../names.ts';
import { py, pyList } from '../python.ts';
import { actionsOf, isNotValid, plainColumns } from '../syntax.ts';
import type { LintRule } from '../types.ts';

const rule: LintRule = {
  meta: {
    id: 'add-foreign-key-validates',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'Adding a foreign key validates every row while blocking writes.',
    docs: 'docs/rules/add-foreign-key-validates.md',
  },
  create(context) {
    return {
      needs: { alter_table_stmt: (s) => /\bREFERENCES\b/i.test(s.sql) && context.mayTargetBaseTable(s) },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        for (const action of actionsOf(node)) {
          if (action.type !== 'alter_action_add_constraint') continue;
          const constraint = action.constraint;
          if (constraint.type !== 'constraint_foreign_key' || isNotValid(action)) continue;
          const referred = tableOf(constraint.references.table);
          if (referred === undefined) continue;
          const columns = plainColumns(constraint.columns.expr.items) ?? [];
          const referredColumns = (constraint.references.columns === undefined
            ? undefined
            : plainColumns(constraint.references.columns.expr.items)) ??
            context.baseTable(referred)?.primaryKey?.columns ?? ['id'];
          const name =
            (action.name === undefined ? undefined : identifierName(action.name.name)) ??
            `fk_${table.name}_${columns.join('_')}_${referred.name}`;
          const options = constraint.references.options
            .filter((o) => o.type === 'referential_action')
            .map((o) => {
              const verb = Array.isArray(o.actionKw)
                ? o.actionKw.map((k) => k.name).join(' ')
                : o.actionKw.name;
              return `${o.eventKw.name === 'DELETE' ? 'ondelete' : 'onupdate'}=${py(verb)}`;
            });
          const schemas = [
            table.schema === 'public' ? '' : `source_schema=${py(table.schema)}`,
            referred.schema === 'public' ? '' : `referent_schema=${py(referred.schema)}`,
          ].filter((s) => s !== '');
          const kwargs = [...options, ...schemas, 'postgresql_not_valid=True'].join(', ');
          context.report(statement, {
            message: `ALTER TABLE ${table.display} ADD ${action.name === undefined ? '' : `CONSTRAINT ${name} `}FOREIGN KEY (${columns.join(', ')}) REFERENCES ${referred.display} checks every row of ${table.display} while holding SHARE ROW EXCLUSIVE locks on ${table.display} and ${referred.display}: writes to both tables wait for the whole scan.`,
            table: table.display,
            ...(columns.length === 1 && columns[0] !== undefined ? { column: columns[0] } : {}),
            suggestion: {
              text: 'Add the foreign key NOT VALID (new rows are checked at once, no scan), then VALIDATE it in a later revision: validation scans without blocking writes.',
              code: [
                `op.create_foreign_key(${py(name)}, ${py(table.name)}, ${py(referred.name)}, ${pyList(columns)}, ${pyList(referredColumns)}, ${kwargs})`,
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
