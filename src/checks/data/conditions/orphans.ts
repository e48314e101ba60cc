// Orphans: ADD FOREIGN KEY (without NOT VALID) fails when a row's key has no
// row in the referenced table. The breaking row: one seeded row whose first
// key column takes a value the referenced table does not hold.
import { parseColumnType } from '../../../lint/sql-types.ts';
import { py, pyList } from '../../../lint/python.ts';
import { sqlIdent } from '../../../schema/literals.ts';
import { qualified } from '../rows.ts';
import type { ConditionModule, DataCase } from '../types.ts';
import { specOf } from './spec.ts';
import { count } from '../words.ts';

const spec = (dataCase: DataCase) => specOf(dataCase, 'orphans');

function columnsText(dataCase: DataCase): string {
  const names = dataCase.columns.map((c) => c.name);
  return names.length === 1 ? (names[0] ?? '') : `(${names.join(', ')})`;
}

/** FROM … LEFT JOIN … WHERE …: the rows of the table whose key has no row in the parent. */
function orphanRows(dataCase: DataCase): string {
  const s = spec(dataCase);
  const on = dataCase.columns
    .map((c, i) => `parent.${sqlIdent(s.parentColumns[i] ?? '')} = child.${sqlIdent(c.name)}`)
    .join(' AND ');
  const present = dataCase.columns.map((c) => `child.${sqlIdent(c.name)} IS NOT NULL`).join(' AND ');
  return `FROM ${qualified(dataCase.table)} AS child LEFT JOIN ${qualified(s.parent)} AS parent ON ${on} WHERE ${present} AND parent.${sqlIdent(s.parentColumns[0] ?? '')} IS NULL`;
}

const INTEGERS = new Set(['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision']);
const TEXTS = new Set(['text', 'character varying', 'character', 'citext']);

const orphans: ConditionModule<'orphans'> = {
  condition: 'orphans',
  rowsNeeded: () => 1,
  probe(dataCase) {
    const rows = orphanRows(dataCase);
    const key = dataCase.columns.map((c) => `child.${sqlIdent(c.name)}`);
    const countQuery = { sql: `SELECT count(*) AS violations ${rows}`, params: [] };
    const sample = {
      sql: `SELECT concat_ws(', ', ${key.map((k) => `${k}::text`).join(', ')}) AS value, count(*) AS rows ${rows} GROUP BY ${key.join(', ')} ORDER BY count(*) DESC LIMIT 10`,
      params: [],
    };
    return { count: countQuery, sample, display: countQuery.sql };
  },
  async breakRows(editor, dataCase, slots) {
    const s = spec(dataCase);
    const [row] = slots.ctids;
    const column = dataCase.columns[0];
    const referred = s.parentColumns[0];
    if (row === undefined || column === undefined || referred === undefined) return null;
    const type = parseColumnType(column.type).name;
    const value = INTEGERS.has(type)
      ? `(SELECT coalesce(max(${sqlIdent(referred)}), 0) + 1000 FROM ${qualified(s.parent)})`
      : TEXTS.has(type)
        ? `'no such ${s.parentRef.name}'`
        : type === 'uuid'
          ? `'00000000-0000-4000-8000-0000000f0f0f'`
          : undefined;
    if (value === undefined) return null;
    const moved = await editor.set(dataCase.table, row, [[column.name, value]]);
    return moved === null
      ? null
      : `a row whose ${columnsText(dataCase)} has no row in ${s.parentRef.display}`;
  },
  expected(dataCase) {
    return {
      sqlstates: ['23503'],
      ...(dataCase.constraint === undefined ? {} : { constraint: dataCase.constraint }),
    };
  },
  describe(dataCase, answer) {
    const parent = spec(dataCase).parentRef.display;
    if (answer.violations === 0)
      return `every row of ${dataCase.tableRef.display} has its ${columnsText(dataCase)} in ${parent}`;
    return `${count(answer.violations)} ${answer.violations === 1 ? 'row' : 'rows'} of ${dataCase.tableRef.display} ${answer.violations === 1 ? 'has a' : 'have a'} ${columnsText(dataCase)} with no row in ${parent}`;
  },
  fix(dataCase) {
    const s = spec(dataCase);
    const table = dataCase.tableRef;
    const names = dataCase.columns.map((c) => c.name);
    const name = dataCase.constraint ?? `fk_${table.name}_${names.join('_')}_${s.parentRef.name}`;
    return {
      text: `Add the foreign key NOT VALID (new and updated rows are checked at once, the existing ones are not), fix or delete the rows whose ${columnsText(dataCase)} points nowhere, then VALIDATE the constraint in a later revision.`,
      code: [
        `op.create_foreign_key(${py(name)}, ${py(table.name)}, ${py(s.parentRef.name)}, ${pyList(names)}, ${pyList(s.parentColumns)}, postgresql_not_valid=True)`,
        `# The rows to fix first: SELECT ... ${orphanRows(dataCase)}`,
        '# In a later revision, once they are fixed:',
        `op.execute(${py(`ALTER TABLE ${qualified(dataCase.table)} VALIDATE CONSTRAINT ${sqlIdent(name)}`)})`,
      ].join('\n'),
    };
  },
};

export default orphans;
