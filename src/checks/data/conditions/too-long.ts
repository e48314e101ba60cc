// Too long: ALTER COLUMN … TYPE varchar(n) fails when a value is longer than
// n. The breaking row: one value of the old maximum length (n + 1 when the
// old type had none).
import { py } from '../../../lint/python.ts';
import { parseColumnType, sqlalchemyType } from '../../../lint/sql-types.ts';
import { sqlIdent } from '../../../schema/literals.ts';
import { qualified } from '../rows.ts';
import type { ConditionModule, DataCase } from '../types.ts';
import { columnOf, specOf } from './spec.ts';
import { count } from '../words.ts';

const spec = (dataCase: DataCase) => specOf(dataCase, 'too-long');

const tooLong: ConditionModule<'too-long'> = {
  condition: 'too-long',
  rowsNeeded: () => 1,
  probe(dataCase) {
    const s = spec(dataCase);
    const table = qualified(dataCase.table);
    const column = sqlIdent(columnOf(dataCase));
    const countQuery = {
      sql: `SELECT count(*) FILTER (WHERE length(${column}) > $1) AS violations, max(length(${column})) AS longest FROM ${table}`,
      params: [s.maxLength],
    };
    const sample = {
      sql: `SELECT ${column}::text AS value FROM ${table} WHERE length(${column}) > $1 ORDER BY length(${column}) DESC LIMIT 10`,
      params: [s.maxLength],
    };
    return {
      count: countQuery,
      sample,
      display: `SELECT count(*) FILTER (WHERE length(${column}) > ${s.maxLength}) AS violations, max(length(${column})) AS longest FROM ${table}`,
    };
  },
  async breakRows(editor, dataCase, slots) {
    const s = spec(dataCase);
    const [row] = slots.ctids;
    if (row === undefined) return null;
    const column = columnOf(dataCase);
    // The row's own value made longer first (it keeps whatever shape a CHECK wants), else plain x's.
    for (const value of [`rpad(coalesce(${sqlIdent(column)}::text, ''), $1, 'x')`, `repeat('x', $1)`]) {
      if ((await editor.set(dataCase.table, row, [[column, value]], [s.breakLength])) !== null)
        return `a ${column} of ${s.breakLength} characters (${s.from} allows it)`;
    }
    return null;
  },
  expected() {
    return { sqlstates: ['22001'] };
  },
  describe(dataCase, answer) {
    const s = spec(dataCase);
    const where = `${dataCase.tableRef.display}.${columnOf(dataCase)}`;
    const longest = answer.extra.longest;
    if (answer.violations === 0)
      return `every value of ${where} fits in ${s.maxLength} characters${longest === null || longest === undefined ? '' : ` (the longest has ${longest})`}`;
    return `${count(answer.violations)} ${answer.violations === 1 ? 'value' : 'values'} of ${where} ${answer.violations === 1 ? 'is' : 'are'} longer than ${s.maxLength} characters${longest === null || longest === undefined ? '' : ` (the longest has ${count(longest)})`}`;
  },
  fix(dataCase) {
    const s = spec(dataCase);
    const table = dataCase.tableRef;
    const column = columnOf(dataCase);
    const type = sqlalchemyType(parseColumnType(s.to)) ?? 'TYPE';
    return {
      text: `Decide what happens to the values longer than ${s.maxLength} characters before narrowing the column: shorten them explicitly (USING left(...) cuts them, so be sure that is acceptable), fail loudly while any exists, or keep the wider type.`,
      code: [
        'conn = op.get_bind()',
        `too_long = conn.execute(sa.text(${py(`SELECT count(*) FROM ${qualified(dataCase.table)} WHERE length(${sqlIdent(column)}) > ${s.maxLength}`)})).scalar()`,
        'if too_long:',
        `    raise RuntimeError(f${py(`{too_long} values of ${table.display}.${column} are longer than ${s.maxLength} characters`)})`,
        '# or cut them explicitly:',
        `op.alter_column(${py(table.name)}, ${py(column)}, type_=${type}, postgresql_using=${py(`left(${sqlIdent(column)}, ${s.maxLength})`)})`,
      ].join('\n'),
    };
  },
};

export default tooLong;
