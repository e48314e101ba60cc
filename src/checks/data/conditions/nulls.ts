// NULLs: SET NOT NULL (or a primary key on a nullable column) fails when a
// row holds NULL there. The breaking row: one seeded row with NULL in it.
import { py, pyList } from '../../../lint/python.ts';
import { sqlIdent } from '../../../schema/literals.ts';
import { qualified } from '../rows.ts';
import type { ConditionModule, DataCase } from '../types.ts';
import { columnOf, specOf } from './spec.ts';
import { count } from '../words.ts';

const spec = (dataCase: DataCase) => specOf(dataCase, 'nulls');

const nulls: ConditionModule<'nulls'> = {
  condition: 'nulls',
  rowsNeeded: () => 1,
  probe(dataCase) {
    const table = qualified(dataCase.table);
    const column = sqlIdent(columnOf(dataCase));
    const key = dataCase.table.primaryKey?.columns.map(sqlIdent) ?? ['ctid'];
    const countQuery = {
      sql: `SELECT count(*) AS violations FROM ${table} WHERE ${column} IS NULL`,
      params: [],
    };
    const sample = {
      sql: `SELECT concat_ws(', ', ${key.map((k) => `${k}::text`).join(', ')}) AS value FROM ${table} WHERE ${column} IS NULL LIMIT 10`,
      params: [],
    };
    return { count: countQuery, sample, display: countQuery.sql };
  },
  async breakRows(editor, dataCase, slots) {
    const [row] = slots.ctids;
    if (row === undefined) return null;
    const moved = await editor.set(dataCase.table, row, [[columnOf(dataCase), 'NULL']]);
    return moved === null ? null : `a row whose ${columnOf(dataCase)} is NULL`;
  },
  expected(dataCase) {
    return { sqlstates: ['23502'], column: columnOf(dataCase) };
  },
  describe(dataCase, answer) {
    const where = `${dataCase.tableRef.display}.${columnOf(dataCase)}`;
    if (answer.violations === 0)
      return `no row of ${dataCase.tableRef.display} has NULL in ${columnOf(dataCase)}`;
    return `${count(answer.violations)} ${answer.violations === 1 ? 'row has' : 'rows have'} NULL in ${where}`;
  },
  fix(dataCase) {
    const table = dataCase.tableRef;
    const column = columnOf(dataCase);
    const backfill = `op.execute(${py(`UPDATE ${qualified(dataCase.table)} SET ${sqlIdent(column)} = ... WHERE ${sqlIdent(column)} IS NULL`)})  # the value for existing rows`;
    if (spec(dataCase).kind === 'primary key') {
      const columns = dataCase.table.primaryKey?.columns ?? dataCase.columns.map((c) => c.name);
      return {
        text: `Give every row a ${column} before the primary key is added (a primary key column cannot hold NULL).`,
        code: [
          backfill,
          `op.create_primary_key(${py(dataCase.constraint ?? `${table.name}_pkey`)}, ${py(table.name)}, ${pyList(columns)})`,
        ].join('\n'),
      };
    }
    const check = `ck_${table.name}_${column}_not_null`;
    return {
      text: `Backfill ${column} before setting NOT NULL, in this revision or an earlier one. On a large table, a NOT VALID check validated in a later revision lets SET NOT NULL skip its scan (PostgreSQL 12+).`,
      code: [
        backfill,
        `op.alter_column(${py(table.name)}, ${py(column)}, nullable=False)`,
        '# On a large table, instead: backfill in batches, then',
        `# op.create_check_constraint(${py(check)}, ${py(table.name)}, ${py(`${sqlIdent(column)} IS NOT NULL`)}, postgresql_not_valid=True)`,
        `# and in a later revision: VALIDATE CONSTRAINT ${check}, alter_column(nullable=False), drop the check.`,
      ].join('\n'),
    };
  },
};

export default nulls;
