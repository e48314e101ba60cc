// ADD COLUMN with a volatile default (gen_random_uuid(), clock_timestamp(),
// a serial's nextval(), a STORED generated column): Postgres must compute a
// value per existing row, so it rewrites the table under an ACCESS EXCLUSIVE
// lock. A constant or stable default (now()) is stored once, no rewrite.
import { columnCode, schemaArg, sqlIdentifier, sqlTable } from '../alembic-code.ts';
import { py } from '../python.ts';
import { observed, rewrote } from '../replay-facts.ts';
import { actionsOf, calledFunctions, columnName, defaultOf, isGenerated, isSerial } from '../syntax.ts';
import type { LintRule } from '../types.ts';

/** Built-in and common extension functions that are VOLATILE. */
const VOLATILE = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'setseed',
]);

const rule: LintRule = {
  meta: {
    id: 'volatile-default-rewrite',
    category: 'lint',
    defaultSeverity: 'warning',
    summary: 'ADD COLUMN with a volatile default rewrites the whole table.',
    docs: 'docs/rules/volatile-default-rewrite.md',
  },
  create(context) {
    return {
      // With the replay, only a statement that rewrote a table (or failed) can be one.
      needs: {
        alter_table_stmt: (s) =>
          /\bDEFAULT\b|\bGENERATED\b|SERIAL/i.test(s.sql) &&
          (!context.replayed || s.error !== undefined || s.rewrote.length > 0) &&
          context.mayTargetBaseTable(s),
      },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        for (const action of actionsOf(node)) {
          if (action.type !== 'alter_action_add_column') continue;
          const definition = action.column;
          const typeText = definition.dataType === undefined ? '' : statement.text(definition.dataType);
          const expression = defaultOf(definition);
          const computed = isGenerated(definition) || isSerial(typeText);
          if (expression === undefined && !computed) continue;
          // The replay knows; without it, the SQL says.
          const known = observed(context, statement.captured);
          const volatileCall =
            expression === undefined ? undefined : calledFunctions(expression).find((f) => VOLATILE.has(f));
          if (known ? !rewrote(context, statement.captured, table) : volatileCall === undefined && !computed)
            continue;
          const column = columnName(definition);
          const what =
            expression === undefined ? 'a computed value' : `DEFAULT ${statement.text(expression)}`;
          const defaultSql = expression === undefined ? undefined : statement.text(expression);
          const added = columnCode(column, typeText === '' ? undefined : typeText, 'nullable=True');
          context.report(statement, {
            message: `ALTER TABLE ${table.display} ADD COLUMN ${column} with ${what} ${known ? 'rewrote' : 'rewrites'} ${table.display}${known ? ' on the replay' : ''}: Postgres computes a value for every existing row and copies the whole table under an ACCESS EXCLUSIVE lock.`,
            table: table.display,
            column,
            suggestion: {
              text: 'Add the column without the default, set the default for new rows, then backfill the existing rows in batches.',
              code:
                defaultSql === undefined
                  ? [
                      `op.add_column(${py(table.name)}, ${added.code}${schemaArg(table)})${added.note}`,
                      `op.execute(${py(`UPDATE ${sqlTable(table)} SET ${sqlIdentifier(column)} = ... WHERE ${sqlIdentifier(column)} IS NULL`)})  # in batches on a large table`,
                    ].join('\n')
                  : [
                      `op.add_column(${py(table.name)}, ${added.code}${schemaArg(table)})${added.note}`,
                      `op.alter_column(${py(table.name)}, ${py(column)}, server_default=sa.text(${py(defaultSql)})${schemaArg(table)})`,
                      `op.execute(${py(`UPDATE ${sqlTable(table)} SET ${sqlIdentifier(column)} = ${defaultSql} WHERE ${sqlIdentifier(column)} IS NULL`)})  # in batches on a large table`,
                    ].join('\n'),
            },
          });
        }
      },
    };
  },
};

export default rule;
