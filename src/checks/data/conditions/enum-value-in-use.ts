// Enum value in use: changing a column to an enum type that lacks some of
// the old type's labels (the rename-and-recreate way of removing or renaming
// a label) fails when a row still uses one. The breaking rows: seeded rows
// holding the removed labels.
import { py } from '../../../lint/python.ts';
import { sqlIdent } from '../../../schema/literals.ts';
import { qualified } from '../rows.ts';
import type { ConditionModule, DataCase } from '../types.ts';
import { columnOf, specOf } from './spec.ts';
import { count } from '../words.ts';

const spec = (dataCase: DataCase) => specOf(dataCase, 'enum-value-in-use');

function labelsText(labels: readonly string[]): string {
  return labels.map((l) => `'${l}'`).join(', ');
}

const enumValueInUse: ConditionModule<'enum-value-in-use'> = {
  condition: 'enum-value-in-use',
  rowsNeeded: (dataCase) => Math.min(spec(dataCase).removed.length, 3),
  probe(dataCase) {
    const table = qualified(dataCase.table);
    const column = sqlIdent(columnOf(dataCase));
    const removed = spec(dataCase).removed;
    const countQuery = {
      sql: `SELECT count(*) AS violations FROM ${table} WHERE ${column}::text = ANY($1::text[])`,
      params: [removed],
    };
    const sample = {
      sql: `SELECT ${column}::text || ' (' || count(*) || ' rows)' AS value FROM ${table} WHERE ${column}::text = ANY($1::text[]) GROUP BY ${column} ORDER BY count(*) DESC`,
      params: [removed],
    };
    return {
      count: countQuery,
      sample,
      display: `SELECT ${column}, count(*) FROM ${table} WHERE ${column}::text IN (${removed.map((l) => `'${l.replaceAll("'", "''")}'`).join(', ')}) GROUP BY ${column}`,
    };
  },
  async breakRows(editor, dataCase, slots) {
    const column = dataCase.columns[0];
    if (column === undefined) return null;
    const removed = spec(dataCase).removed;
    const used: string[] = [];
    for (const [i, row] of slots.ctids.entries()) {
      const label = removed[i];
      if (label === undefined) break;
      if ((await editor.set(dataCase.table, row, [[column.name, `$1::${column.type}`]], [label])) !== null)
        used.push(label);
    }
    return used.length === 0
      ? null
      : `${used.length === 1 ? 'a row' : 'rows'} with ${column.name} ${labelsText(used)}, which ${spec(dataCase).to} does not have`;
  },
  expected() {
    return { sqlstates: ['22'] };
  },
  describe(dataCase, answer) {
    const s = spec(dataCase);
    const where = `${dataCase.tableRef.display}.${columnOf(dataCase)}`;
    if (answer.violations === 0) return `no row uses ${labelsText(s.removed)} in ${where}`;
    return `${count(answer.violations)} ${answer.violations === 1 ? 'row uses' : 'rows use'} ${labelsText(s.removed)} in ${where}, which ${s.to} does not have`;
  },
  fix(dataCase) {
    const s = spec(dataCase);
    const column = sqlIdent(columnOf(dataCase));
    const table = qualified(dataCase.table);
    return {
      text: `Move the rows off the labels the new type drops (${labelsText(s.removed)}) before the column changes type, or map them in the USING expression.`,
      code: [
        ...s.removed.map(
          (label) =>
            `op.execute(${py(`UPDATE ${table} SET ${column} = '...' WHERE ${column} = '${label.replaceAll("'", "''")}'`)})  # the label it becomes`,
        ),
        `# then, as before: ALTER TABLE ${table} ALTER COLUMN ${column} TYPE ${s.to} USING ${column}::text::${s.to}`,
      ].join('\n'),
    };
  },
};

export default enumValueInUse;
