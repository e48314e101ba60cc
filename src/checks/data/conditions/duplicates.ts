// Duplicates: ADD UNIQUE, a unique index or ADD PRIMARY KEY fails when two
// rows hold the same key. The breaking rows: the second seeded row takes the
// first one's values in the key's columns (its other columns stay distinct,
// so every other constraint of the table still holds).
import { py } from '../../../lint/python.ts';
import { sqlIdent } from '../../../schema/literals.ts';
import { count, plural } from '../words.ts';
import type { ConditionModule, DataCase } from '../types.ts';
import { specOf } from './spec.ts';
import { qualified } from '../rows.ts';

const spec = (dataCase: DataCase) => specOf(dataCase, 'duplicates');

/** "email" or "(tenant_id, email)". */
export function keyText(dataCase: DataCase): string {
  const keys = spec(dataCase).keys;
  return keys.length === 1 ? (keys[0] ?? '') : `(${keys.join(', ')})`;
}

function filter(dataCase: DataCase, alias = ''): string {
  const s = spec(dataCase);
  const parts = s.nullsNotDistinct ? [] : s.keys.map((k) => `${alias}${k} IS NOT NULL`);
  if (s.predicate !== undefined) parts.push(`(${s.predicate})`);
  return parts.length === 0 ? '' : ` WHERE ${parts.join(' AND ')}`;
}

const duplicates: ConditionModule<'duplicates'> = {
  condition: 'duplicates',
  rowsNeeded: () => 2,
  probe(dataCase, _server, where) {
    const s = spec(dataCase);
    if (where === 'preflight' && !s.plain)
      return {
        unavailable:
          'the index key or its WHERE is an expression of the migration, and the preflight runs only its own queries',
      };
    const table = qualified(dataCase.table);
    const keys = s.keys.join(', ');
    const grouped = `FROM ${table}${filter(dataCase)} GROUP BY ${keys} HAVING count(*) > 1`;
    const count = {
      sql: `SELECT count(*) AS violations, coalesce(sum(n), 0) AS rows FROM (SELECT count(*) AS n ${grouped}) AS duplicates`,
      params: [],
    };
    const sample = {
      sql: `SELECT concat_ws(', ', ${s.keys.map((k) => `(${k})::text`).join(', ')}) AS value, count(*) AS rows ${grouped} ORDER BY count(*) DESC LIMIT 10`,
      params: [],
    };
    return { count, sample, display: count.sql };
  },
  async breakRows(editor, dataCase, slots) {
    const [first, second] = slots.ctids;
    if (first === undefined || second === undefined) return null;
    const table = qualified(dataCase.table);
    const moved = await editor.set(
      dataCase.table,
      second,
      dataCase.columns.map((c) => [
        c.name,
        `(SELECT ${sqlIdent(c.name)} FROM ${table} WHERE ctid = $1::tid)`,
      ]),
      [first],
    );
    return moved === null ? null : `two rows with the same ${keyText(dataCase)}`;
  },
  expected(dataCase) {
    const s = spec(dataCase);
    const constraint =
      dataCase.constraint ??
      (s.kind === 'primary key' ? `${dataCase.table.name}_pkey`.slice(0, 63) : undefined);
    return { sqlstates: ['23505'], ...(constraint === undefined ? {} : { constraint }) };
  },
  describe(dataCase, answer) {
    const what = `${keyText(dataCase)} in ${dataCase.tableRef.display}`;
    if (answer.violations === 0) return `no value of ${what} occurs more than once`;
    const rows = answer.extra.rows;
    return `${count(answer.violations)} ${answer.violations === 1 ? 'value' : 'values'} of ${what} ${answer.violations === 1 ? 'occurs' : 'occur'} more than once${rows === undefined || rows === null ? '' : ` (${plural(rows, 'row')})`}`;
  },
  fix(dataCase) {
    const s = spec(dataCase);
    const table = dataCase.tableRef;
    const keys = s.keys.join(', ');
    const list = `SELECT ${keys}, count(*) FROM ${qualified(dataCase.table)}${filter(dataCase)} GROUP BY ${keys} HAVING count(*) > 1 LIMIT 10`;
    // Key parts as op.* takes them: column names, or sa.text() for expressions.
    const names = new Map(dataCase.columns.map((c) => [sqlIdent(c.name), c.name]));
    const plain = s.keys.every((k) => names.has(k));
    const parts = s.keys.map((k) => {
      const column = names.get(k);
      return column === undefined ? `sa.text(${py(k)})` : py(column);
    });
    const columns = `[${parts.join(', ')}]`;
    const name =
      dataCase.constraint ?? `uq_${table.name}_${s.keys.map((k) => names.get(k) ?? 'expr').join('_')}`;
    const where = s.predicate === undefined ? '' : `, postgresql_where=sa.text(${py(s.predicate)})`;
    const statement =
      s.kind === 'primary key'
        ? `op.create_primary_key(${py(name)}, ${py(table.name)}, ${columns})`
        : s.kind === 'unique index'
          ? `op.create_index(${py(name)}, ${py(table.name)}, ${columns}, unique=True${where})`
          : `op.create_unique_constraint(${py(name)}, ${py(table.name)}, ${columns})`;
    const dedupe = plain
      ? [
          '# or, when the extra rows are disposable, keep one row of each:',
          `# op.execute(${py(`DELETE FROM ${qualified(dataCase.table)} a USING ${qualified(dataCase.table)} b WHERE ${s.keys.map((k) => `a.${k} = b.${k}`).join(' AND ')} AND a.ctid > b.ctid`)})`,
        ]
      : [];
    return {
      text: `Resolve the duplicates before the ${s.kind} is added: fail the migration with the duplicates listed (so the deploy stops before it changes anything), or merge or remove them in the same revision.`,
      code: [
        'conn = op.get_bind()',
        `duplicates = conn.execute(sa.text(${py(list)})).fetchall()`,
        'if duplicates:',
        `    raise RuntimeError(f${py(`${table.display} has duplicate ${keyText(dataCase)} values, resolve them first: {duplicates}`)})`,
        ...dedupe,
        statement,
      ].join('\n'),
    };
  },
};

export default duplicates;
