// In one revision a table loses a column and gains one of a compatible type:
// autogenerate's drop_column + add_column for what was meant as a rename. The
// data of the old column is deleted and the new one starts out empty.
import { schemaArg } from '../alembic-code.ts';
import { classify } from '../classify.ts';
import { BRINGS_COLUMN, ColumnArrivals, DROPS_COLUMN } from '../column-arrivals.ts';
import { identifierName } from '../names.ts';
import { py } from '../python.ts';
import { compatibleTypes, parseColumnType, sameType, sqlalchemyType } from '../sql-types.ts';
import { actionsOf, columnName } from '../syntax.ts';
import type { LintRule, ParsedStatement, TableRef } from '../types.ts';

interface ColumnChange {
  table: TableRef;
  column: string;
  /** SQL type of an added column; format_type() of a dropped one, when the base schema knows it. */
  type: string | undefined;
  statement: ParsedStatement;
}

const rule: LintRule = {
  meta: {
    id: 'drop-and-add-column',
    category: 'lint',
    defaultSeverity: 'error',
    summary: 'A column is dropped and another added to the same table: a rename that loses data.',
    docs: 'docs/rules/drop-and-add-column.md',
    supersedes: ['drop-column'],
  },
  create(context) {
    const dropped: ColumnChange[] = [];
    const added: ColumnChange[] = [];
    const arrivals = new ColumnArrivals();
    const dropsColumn = context.revision.statements.some(
      (s) => DROPS_COLUMN.test(s.sql) && (classify(s.sql) ?? 'alter_table_stmt') === 'alter_table_stmt',
    );
    return {
      needs: {
        alter_table_stmt: (s) =>
          dropsColumn &&
          (BRINGS_COLUMN.test(s.sql) || DROPS_COLUMN.test(s.sql)) &&
          context.mayTargetBaseTable(s),
      },
      alter_table_stmt(node, statement) {
        const table = context.table(statement, node.table);
        if (!context.existedAtBase(table)) return;
        arrivals.record(table, node, statement);
        for (const action of actionsOf(node)) {
          if (action.type === 'alter_action_add_column') {
            const type =
              action.column.dataType === undefined ? undefined : statement.text(action.column.dataType);
            added.push({ table, column: columnName(action.column), type, statement });
          } else if (action.type === 'alter_action_drop_column') {
            const column = identifierName(action.column);
            if (column === undefined) continue;
            // Online, only a column that held data at the base counts.
            const base = context.baseColumn(table, column);
            if (context.replayed && base === undefined) continue;
            dropped.push({ table, column, type: base?.type, statement });
          }
        }
      },
      'revision:exit'() {
        const paired = new Set<ColumnChange>();
        for (const drop of dropped) {
          // A type change done by hand: the dropped column comes back under its name.
          if (arrivals.comesBack(drop.table, drop.column, drop.statement.captured.index)) continue;
          const add = added.find(
            (a) =>
              !paired.has(a) &&
              a.table.key === drop.table.key &&
              a.column !== drop.column &&
              (drop.type === undefined ||
                a.type === undefined ||
                compatibleTypes(parseColumnType(drop.type), parseColumnType(a.type))),
          );
          if (add === undefined) continue;
          paired.add(add);
          const { table } = drop;
          const addedAt = add.statement.captured.line;
          const droppedAt = drop.statement.captured.line;
          const retype =
            drop.type !== undefined &&
            add.type !== undefined &&
            !sameType(parseColumnType(drop.type), parseColumnType(add.type))
              ? sqlalchemyType(parseColumnType(add.type))
              : undefined;
          const typeArg = retype === undefined ? '' : `, type_=${retype}`;
          context.report(drop.statement, {
            message: `${table.display} loses column ${drop.column}${droppedAt === undefined ? '' : ` (line ${droppedAt})`} and gains ${add.column}${add.type === undefined ? '' : ` ${add.type}`}${addedAt === undefined ? '' : ` (line ${addedAt})`} in the same revision: if this is a rename, every value of ${table.display}.${drop.column} is deleted and ${table.display}.${add.column} starts out NULL.`,
            table: table.display,
            column: drop.column,
            suggestion: {
              text: `Rename the column so that its data stays: replace the add_column/drop_column pair with op.alter_column, and the reverse in downgrade().`,
              code: [
                `# upgrade()`,
                `op.alter_column(${py(table.name)}, ${py(drop.column)}, new_column_name=${py(add.column)}${typeArg}${schemaArg(table)})`,
                `# downgrade()`,
                `op.alter_column(${py(table.name)}, ${py(add.column)}, new_column_name=${py(drop.column)}${schemaArg(table)})`,
              ].join('\n'),
            },
            details: {
              addedColumn: add.column,
              ...(addedAt === undefined ? {} : { addedLine: addedAt }),
              ...(droppedAt === undefined ? {} : { droppedLine: droppedAt }),
            },
          });
        }
      },
    };
  },
};

export default rule;
