// Not castable: ALTER COLUMN … TYPE (with or without USING) fails when a
// value does not convert to the new type. The breaking row: one value of the
// old type that the plain cast rejects — text that is no number, date or
// label; the largest value of a wider number type.
import { py } from '../../../lint/python.ts';
import { formatColumnType, parseColumnType, sqlalchemyType } from '../../../lint/sql-types.ts';
import { sqlIdent, sqlString } from '../../../schema/literals.ts';
import { qualified } from '../rows.ts';
import type { ConditionModule, DataCase, Probe, Unavailable } from '../types.ts';
import { columnOf, specOf } from './spec.ts';
import { count } from '../words.ts';

const spec = (dataCase: DataCase) => specOf(dataCase, 'not-castable');

/** Types whose input functions are PostgreSQL's own: the preflight may test casts to these. */
const BUILT_IN = new Set([
  'smallint',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double precision',
  'boolean',
  'date',
  'timestamp with time zone',
  'timestamp without time zone',
  'time without time zone',
  'time with time zone',
  'interval',
  'uuid',
  'json',
  'jsonb',
  'inet',
  'cidr',
  'macaddr',
  'bytea',
  'character varying',
  'character',
  'text',
]);

const INTEGER_LIMITS: Record<string, readonly string[]> = {
  smallint: ['32767', '-32768'],
  integer: ['2147483647', '-2147483648'],
  bigint: ['9223372036854775807', '-9223372036854775808'],
};

/** Values of the old type, most likely to break a cast first. */
function candidates(from: string): string[] {
  const type = parseColumnType(from);
  const limits = INTEGER_LIMITS[type.name];
  if (limits !== undefined) return [...limits];
  if (type.name === 'numeric') {
    const [precision, scale = 0] = type.args;
    if (precision === undefined) return ['1e30', '-1e30', '0.5'];
    const digits = '9'.repeat(Math.max(precision - scale, 0)) || '0';
    return [scale > 0 ? `${digits}.${'9'.repeat(scale)}` : digits, `-${digits}`];
  }
  if (type.name === 'real' || type.name === 'double precision') return ['1e30', '-1e30', '0.5'];
  const length = type.args[0];
  return ['not castable', ''].map((v) => (length === undefined ? v : v.slice(0, length)));
}

const notCastable: ConditionModule<'not-castable'> = {
  condition: 'not-castable',
  rowsNeeded: () => 1,
  probe(dataCase, server, where): Probe | Unavailable {
    const s = spec(dataCase);
    const table = qualified(dataCase.table);
    const column = sqlIdent(columnOf(dataCase));
    const sampleOf = (test: string, params: unknown[]) => ({
      sql: `SELECT ${column}::text AS value FROM ${table} WHERE ${column} IS NOT NULL AND ${test} LIMIT 10`,
      params,
    });
    if (s.labels !== undefined) {
      const test = `${column}::text <> ALL($1::text[])`;
      const countQuery = {
        sql: `SELECT count(*) AS violations FROM ${table} WHERE ${column} IS NOT NULL AND ${test}`,
        params: [s.labels],
      };
      return {
        count: countQuery,
        sample: sampleOf(test, [s.labels]),
        display: `SELECT count(*) AS violations FROM ${table} WHERE ${column} IS NOT NULL AND ${column}::text NOT IN (${s.labels.map(sqlString).join(', ')})`,
      };
    }
    const to = parseColumnType(s.to);
    if (where === 'preflight' && !BUILT_IN.has(to.name))
      return {
        unavailable: `${s.to} is not a built-in type, and the preflight does not run a type's input function that the migration may define`,
      };
    const typeName = where === 'preflight' ? formatColumnType(to) : s.to;
    const valid = `pg_input_is_valid(${column}::text, $1)`;
    const display = `SELECT count(*) AS violations FROM ${table} WHERE ${column} IS NOT NULL AND NOT pg_input_is_valid(${column}::text, ${sqlString(typeName)})`;
    if (server.version >= 160000) {
      return {
        count: {
          sql: `SELECT count(*) AS violations FROM ${table} WHERE ${column} IS NOT NULL AND NOT ${valid}`,
          params: [typeName],
        },
        sample: sampleOf(`NOT ${valid}`, [typeName]),
        display,
      };
    }
    // Before PostgreSQL 16 there is no pg_input_is_valid: cast them all; an error means at least one fails.
    return {
      count: { sql: `SELECT count(${column}::${typeName}) AS converted FROM ${table}`, params: [] },
      sample: { sql: `SELECT NULL::text AS value WHERE false`, params: [] },
      display: `SELECT count(${column}::${typeName}) FROM ${table}  -- fails if a value does not convert (PostgreSQL 16+: ${display})`,
      failsIfAny: true,
    };
  },
  async breakRows(editor, dataCase, slots, broken) {
    const [row] = slots.ctids;
    const column = dataCase.columns[0];
    if (row === undefined || column === undefined) return null;
    for (const value of candidates(column.type)) {
      const mark = editor.mark;
      if ((await editor.set(dataCase.table, row, [[column.name, `$1::${column.type}`]], [value])) === null)
        continue;
      if (await editor.keepIf(mark, broken))
        return `a ${column.name} of ${value === '' ? "''" : `'${value}'`}, which does not convert to ${spec(dataCase).to}`;
    }
    return null;
  },
  expected() {
    return { sqlstates: ['22'] };
  },
  describe(dataCase, answer) {
    const s = spec(dataCase);
    const where = `${dataCase.tableRef.display}.${columnOf(dataCase)}`;
    if (answer.violations === 0) return `every value of ${where} converts to ${s.to}`;
    if (answer.violations === null) return `some values of ${where} do not convert to ${s.to}`;
    return `${count(answer.violations)} ${answer.violations === 1 ? 'value' : 'values'} of ${where} ${answer.violations === 1 ? 'does' : 'do'} not convert to ${s.to}`;
  },
  fix(dataCase) {
    const s = spec(dataCase);
    const table = dataCase.tableRef;
    const column = columnOf(dataCase);
    const ident = sqlIdent(column);
    const type = sqlalchemyType(parseColumnType(s.to)) ?? 'TYPE';
    const test =
      s.labels === undefined
        ? `pg_input_is_valid(${ident}::text, ${sqlString(s.to)})`
        : `${ident}::text IN (${s.labels.map(sqlString).join(', ')})`;
    return {
      text: `Convert explicitly with USING and decide what the values that do not convert become (NULL below), or fail the migration while any exists.${s.labels === undefined ? ' pg_input_is_valid needs PostgreSQL 16; before that, match the valid values with a regular expression.' : ''}`,
      code: [
        `op.alter_column(${py(table.name)}, ${py(column)}, type_=${type}, postgresql_using=${py(`CASE WHEN ${test} THEN ${ident}::text::${s.to} END`)})`,
      ].join('\n'),
    };
  },
};

export default notCastable;
