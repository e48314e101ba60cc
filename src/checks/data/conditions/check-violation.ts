// Check violation: ADD CHECK (without NOT VALID) fails when a row violates
// the condition. The breaking row: one seeded row where one column the
// condition reads takes a value that makes it false — found by trying the
// values such conditions usually exclude (0, negative, empty, far dates, …).
import { py } from '../../../lint/python.ts';
import { parseColumnType } from '../../../lint/sql-types.ts';
import { sqlIdent } from '../../../schema/literals.ts';
import type { Column } from '../../../schema/types.ts';
import { qualified, type RowEditor } from '../rows.ts';
import type { ConditionModule, DataCase } from '../types.ts';
import { specOf } from './spec.ts';
import { count } from '../words.ts';

const spec = (dataCase: DataCase) => specOf(dataCase, 'check-violation');

const NUMBERS = ['0', '-1', '1', '-0.01', '0.01', '-1000000', '1000000'];
const INTEGERS = ['0', '-1', '1', '-1000000', '1000000'];
const TEXTS = ['', ' ', 'x', 'X', 'not allowed', 'x'.repeat(300)];
const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);
const NUMBER_TYPES = new Set(['numeric', 'real', 'double precision', 'money']);
const TEXT_TYPES = new Set(['text', 'character varying', 'character', 'citext']);

/** Values to try in a column, as text cast to its type; NULL last (a CHECK passes on NULL unless it says otherwise). */
async function valuesFor(editor: RowEditor, column: Column): Promise<(string | null)[]> {
  const type = parseColumnType(column.type);
  let values: string[] = [];
  if (INTEGER_TYPES.has(type.name)) values = INTEGERS;
  else if (NUMBER_TYPES.has(type.name)) values = NUMBERS;
  else if (TEXT_TYPES.has(type.name)) {
    const length = type.args[0];
    values = [...new Set(TEXTS.map((v) => (length === undefined ? v : v.slice(0, length))))];
  } else if (type.name === 'boolean') values = ['false', 'true'];
  else if (type.name === 'date') values = ['1900-01-01', '2999-12-31'];
  else if (type.name.startsWith('timestamp')) values = ['1900-01-01 00:00:00', '2999-12-31 23:59:59'];
  else if (column.enumType != null) {
    const labels = await editor.client.query<{ label: string }>(
      `SELECT unnest(enum_range(NULL::${column.type}))::text AS label`,
    );
    values = labels.rows.map((r) => r.label);
  }
  return [...values, null];
}

const checkViolation: ConditionModule<'check-violation'> = {
  condition: 'check-violation',
  rowsNeeded: () => 1,
  probe(dataCase, _server, where) {
    const s = spec(dataCase);
    if (where === 'preflight' && !s.plain)
      return {
        unavailable:
          'the condition calls functions or casts the preflight does not run (it runs only its own queries)',
      };
    const table = qualified(dataCase.table);
    const columns = dataCase.columns.map((c) => `${sqlIdent(c.name)}::text`).join(', ');
    const countQuery = {
      sql: `SELECT count(*) AS violations FROM ${table} WHERE NOT (${s.expression})`,
      params: [],
    };
    const sample = {
      sql: `SELECT concat_ws(', ', ${columns}) AS value FROM ${table} WHERE NOT (${s.expression}) LIMIT 10`,
      params: [],
    };
    return { count: countQuery, sample, display: countQuery.sql };
  },
  async breakRows(editor, dataCase, slots, broken) {
    const [row] = slots.ctids;
    if (row === undefined) return null;
    for (const column of dataCase.columns.filter((c) => c.generated === null && c.identity !== 'always')) {
      for (const value of await valuesFor(editor, column)) {
        const mark = editor.mark;
        const set =
          value === null
            ? await editor.set(dataCase.table, row, [[column.name, 'NULL']])
            : await editor.set(dataCase.table, row, [[column.name, `$1::${column.type}`]], [value]);
        if (set === null) continue;
        if (await editor.keepIf(mark, broken)) {
          const shown =
            value === null ? 'NULL' : value.length > 20 ? `'${value.slice(0, 20)}…'` : `'${value}'`;
          return `a row with ${column.name} = ${shown}, which violates CHECK (${spec(dataCase).expression})`;
        }
      }
    }
    return null;
  },
  expected(dataCase) {
    return {
      sqlstates: ['23514'],
      ...(dataCase.constraint === undefined ? {} : { constraint: dataCase.constraint }),
    };
  },
  describe(dataCase, answer) {
    const check = `CHECK (${spec(dataCase).expression})`;
    if (answer.violations === 0) return `every row of ${dataCase.tableRef.display} satisfies ${check}`;
    return `${count(answer.violations)} ${answer.violations === 1 ? 'row' : 'rows'} of ${dataCase.tableRef.display} ${answer.violations === 1 ? 'violates' : 'violate'} ${check}`;
  },
  fix(dataCase) {
    const s = spec(dataCase);
    const table = dataCase.tableRef;
    const name = dataCase.constraint ?? `ck_${table.name}`;
    return {
      text: 'Add the constraint NOT VALID (new and updated rows are checked at once, the existing ones are not), fix the rows that violate it, then VALIDATE it in a later revision.',
      code: [
        `op.create_check_constraint(${py(name)}, ${py(table.name)}, ${py(s.expression)}, postgresql_not_valid=True)`,
        `# The rows to fix first: SELECT * FROM ${qualified(dataCase.table)} WHERE NOT (${s.expression})`,
        '# In a later revision, once they are fixed:',
        `op.execute(${py(`ALTER TABLE ${qualified(dataCase.table)} VALIDATE CONSTRAINT ${sqlIdent(name)}`)})`,
      ].join('\n'),
    };
  },
};

export default checkViolation;
