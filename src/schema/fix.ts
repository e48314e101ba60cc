// The Alembic code that closes each drift difference: lines for the body of
// upgrade() in a new revision, in autogenerate's style where an op exists
// (op.add_column, op.alter_column, op.create_index, ...) and op.execute() with
// PostgreSQL's own DDL where none does (enum labels, identity, renames).
// Names are the models' names, so after the fix the two catalogs are equal.
import type { Suggestion } from '../model.ts';
import { isSerial, ownedSequence, uniqueDefinition } from './compare.ts';
import type { Difference, ModelClass } from './differences.ts';
import { py, pyList, sqlIdent, sqlName, sqlString } from './literals.ts';
import { baseTypeName, renderType } from './sqlalchemy-types.ts';
import type {
  CheckConstraint,
  Column,
  EnumType,
  ForeignKey,
  Index,
  Schema,
  Table,
  UniqueConstraint,
} from './types.ts';
import { tableKey } from './types.ts';

export interface FixContext {
  /** The migrated database. */
  head: Schema;
  /** The database the models produce. */
  models: Schema;
}

/** What to tell the author and the code to put in upgrade(). */
export function fixFor(difference: Difference, context: FixContext): Suggestion {
  const { text, lines } = build(difference, context);
  const code = lines.join('\n');
  const imports = code.includes('postgresql.') ? ' (`from sqlalchemy.dialects import postgresql`)' : '';
  return { text: `${text}${imports}`, code };
}

/** The body of upgrade() for a revision that applies every fix, in the findings' order. */
export function fixRevision(suggestions: readonly (Suggestion | undefined)[]): string {
  return suggestions
    .map((s) => s?.code)
    .filter((code): code is string => code !== undefined && code !== '')
    .join('\n');
}

interface Fix {
  text: string;
  lines: string[];
}

function build(d: Difference, context: FixContext): Fix {
  switch (d.rule) {
    case 'drift-table-missing':
      return {
        text: 'Add a revision that creates the table as the models declare it.',
        lines: createTable(d.table, d.deferredForeignKeys, context.models),
      };
    case 'drift-table-unexpected':
      return d.modelClass === null
        ? {
            text: 'Drop the table in a new revision, or declare a model for it if the application still uses it.',
            lines: [`op.drop_table(${py(d.table.name)}${schemaArg(d.table)})`],
          }
        : importModel(d.modelClass);
    case 'drift-column-missing':
      return {
        text: 'Add a revision that adds the column.',
        lines: addColumn(d.table, d.expected, context.models),
      };
    case 'drift-column-unexpected':
      return {
        text: 'Drop the column in a new revision (its data goes with it), or declare it in the model.',
        lines: [`op.drop_column(${tableArgs(d.table)}, ${py(d.actual.name)}${schemaArg(d.table)})`],
      };
    case 'drift-column-type':
      return {
        text: 'Change the column type in a new revision (it may rewrite the table; check the USING cast).',
        lines: alterType(d.table, d.expected, d.actual, context),
      };
    case 'drift-column-nullable':
      return d.expected.nullable
        ? {
            text: 'Allow NULLs in a new revision.',
            lines: [alterColumn(d.table, d.actual, context, 'nullable=True')],
          }
        : {
            text: 'Backfill the NULLs, then set NOT NULL in a new revision.',
            lines: [
              `# op.execute(${py(`UPDATE ${qualified(d.table)} SET ${sqlIdent(d.actual.name)} = ... WHERE ${sqlIdent(d.actual.name)} IS NULL`)})`,
              alterColumn(d.table, d.actual, context, 'nullable=False'),
            ],
          };
    case 'drift-column-default':
      return {
        text: 'Change the column default in a new revision.',
        lines: alterDefault(d.table, d.expected, d.actual, context),
      };
    case 'drift-primary-key':
      return objectFix(d.change, d.table, d.expected, d.actual, {
        create: (pk) => [
          `op.create_primary_key(${py(pk.name)}, ${tableArgs(d.table)}, ${pyList(pk.columns)}${schemaArg(d.table)})`,
        ],
        drop: (pk) => [dropConstraint(d.table, pk.name, 'primary')],
        what: 'primary key',
      });
    case 'drift-index':
      if (d.change === 'enforced-by-constraint') {
        return {
          text: 'The models declare a unique index where the database has a unique constraint: replace the constraint.',
          lines: [dropConstraint(d.table, d.actual.name, 'unique'), ...createIndex(d.table, d.expected)],
        };
      }
      return objectFix(d.change, d.table, d.expected, d.actual, {
        create: (index) => createIndex(d.table, index),
        drop: (index) => [
          `op.drop_index(${py(index.name)}, table_name=${py(d.table.name)}${schemaArg(d.table)})`,
        ],
        rename: (from, to) => `ALTER INDEX ${sqlName(d.table.schema, from)} RENAME TO ${sqlIdent(to)}`,
        what: 'index',
      });
    case 'drift-unique-constraint':
      if (d.change === 'enforced-by-index') {
        return {
          text: 'The database enforces this with a unique index where the models declare a constraint: turn the index into the constraint (no rebuild).',
          lines: [
            execute(
              `ALTER TABLE ${qualified(d.table)} ADD CONSTRAINT ${sqlIdent(d.expected.name)} UNIQUE USING INDEX ${sqlIdent(d.actual.name)}`,
            ),
          ],
        };
      }
      return objectFix(d.change, d.table, d.expected, d.actual, {
        create: (unique) => [createUnique(d.table, unique)],
        drop: (unique) => [dropConstraint(d.table, unique.name, 'unique')],
        what: 'unique constraint',
      });
    case 'drift-foreign-key':
      return objectFix(d.change, d.table, d.expected, d.actual, {
        create: (fk) => [createForeignKey(d.table, fk)],
        drop: (fk) => [dropConstraint(d.table, fk.name, 'foreignkey')],
        what: 'foreign key',
      });
    case 'drift-check-constraint':
      return objectFix(d.change, d.table, d.expected, d.actual, {
        create: (check) => [
          `op.create_check_constraint(${py(check.name)}, ${tableArgs(d.table)}, ${py(checkCondition(check))}${schemaArg(d.table)})`,
        ],
        drop: (check) => [dropConstraint(d.table, check.name, 'check')],
        what: 'CHECK constraint',
      });
    case 'drift-enum':
      return enumFix(d.change, d.expected, d.actual, d.usedBy);
  }
}

// ---------------------------------------------------------------------------
// Tables and columns

const schemaArg = (table: { schema: string }): string =>
  table.schema === 'public' ? '' : `, schema=${py(table.schema)}`;
const tableArgs = (table: Table): string => py(table.name);
const qualified = (table: Table): string => sqlName(table.schema, table.name);
const execute = (sql: string): string => `op.execute(${py(sql)})`;

function enumOf(column: Column, schema: Schema): EnumType | null {
  return column.enumType == null ? null : (schema.enums[column.enumType] ?? null);
}

function typeOf(column: Column, schema: Schema): string | null {
  return renderType(column, enumOf(column, schema));
}

const INTEGER_TYPES = new Set(['integer', 'bigint', 'smallint']);

/** The one integer primary-key column, which SQLAlchemy creates as SERIAL unless autoincrement=False. */
function isSoleIntegerKey(column: Column, table: Table): boolean {
  return (
    INTEGER_TYPES.has(column.type) &&
    table.primaryKey !== null &&
    table.primaryKey.columns.length === 1 &&
    table.primaryKey.columns[0] === column.name
  );
}

/** sa.Column(...) for op.create_table / op.add_column, or null when its type has no SQLAlchemy spelling. */
function saColumn(column: Column, table: Table, schema: Schema, serialByCreateTable: boolean): string | null {
  const type = typeOf(column, schema);
  if (type === null) return null;
  const args = [py(column.name), type];
  if (column.identity !== null)
    args.push(`sa.Identity(always=${column.identity === 'always' ? 'True' : 'False'})`);
  if (column.generated !== null) args.push(`sa.Computed(${py(column.generated)}, persisted=True)`);
  const serial = isSerial(column, table, schema);
  if (isSoleIntegerKey(column, table) && !serial && column.identity === null)
    args.push('autoincrement=False');
  args.push(`nullable=${column.nullable ? 'True' : 'False'}`);
  if (column.default !== null && !(serial && serialByCreateTable)) {
    args.push(`server_default=sa.text(${py(column.default)})`);
  }
  if (column.comment !== null) args.push(`comment=${py(column.comment)}`);
  return `sa.Column(${args.join(', ')})`;
}

/** The column as PostgreSQL DDL, for types SQLAlchemy cannot spell. */
function columnSql(column: Column): string {
  const parts = [sqlIdent(column.name), column.type];
  if (column.collation !== null) parts.push(`COLLATE ${sqlIdent(column.collation)}`);
  if (column.identity !== null)
    parts.push(`GENERATED ${column.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`);
  if (column.generated !== null) parts.push(`GENERATED ALWAYS AS (${column.generated}) STORED`);
  if (column.default !== null) parts.push(`DEFAULT ${column.default}`);
  if (!column.nullable) parts.push('NOT NULL');
  return parts.join(' ');
}

const SERIAL_TYPES: Record<string, string> = {
  integer: 'serial',
  bigint: 'bigserial',
  smallint: 'smallserial',
};

/** A sequence owned by the column, as its default: what SERIAL does, for a column that already exists. */
function makeSerial(table: Table, column: Column, sequence: string): string[] {
  const name = sqlName(table.schema, sequence);
  const as = column.type === 'bigint' ? '' : ` AS ${column.type}`;
  return [
    execute(`CREATE SEQUENCE ${name}${as} OWNED BY ${qualified(table)}.${sqlIdent(column.name)}`),
    execute(
      `ALTER TABLE ${qualified(table)} ALTER COLUMN ${sqlIdent(column.name)} SET DEFAULT nextval(${sqlString(name)}::regclass)`,
    ),
    ...restartAfterMax(table, column),
  ];
}

/** Moves the column's sequence past the values already in the table. */
function restartAfterMax(table: Table, column: Column): string[] {
  const target = sqlString(qualified(table));
  const col = sqlIdent(column.name);
  return [
    execute(
      `SELECT setval(pg_get_serial_sequence(${target}, ${sqlString(column.name)}), coalesce(max(${col}), 0) + 1, false) FROM ${qualified(table)}`,
    ),
  ];
}

function createTable(table: Table, deferred: ForeignKey[], schema: Schema): string[] {
  const items: string[] = [];
  const after: string[] = [];
  for (const column of table.columns) {
    const serialByCreateTable = isSoleIntegerKey(column, table);
    const rendered = saColumn(column, table, schema, serialByCreateTable);
    if (rendered === null) {
      after.push(execute(`ALTER TABLE ${qualified(table)} ADD COLUMN ${columnSql(column)}`));
      continue;
    }
    items.push(rendered);
    if (isSerial(column, table, schema) && !serialByCreateTable) {
      after.push(
        ...makeSerial(
          table,
          column,
          ownedSequence(column, table, schema) ?? `${table.name}_${column.name}_seq`,
        ),
      );
    }
  }
  if (table.primaryKey !== null) {
    items.push(
      `sa.PrimaryKeyConstraint(${[...table.primaryKey.columns.map(py), `name=${py(table.primaryKey.name)}`].join(', ')})`,
    );
  }
  for (const unique of table.uniqueConstraints) {
    if (unique.nullsNotDistinct) after.push(createUnique(table, unique));
    else
      items.push(
        `sa.UniqueConstraint(${[...unique.columns.map(py), `name=${py(unique.name)}`, ...deferrableArgs(unique)].join(', ')})`,
      );
  }
  for (const fk of table.foreignKeys) {
    if (deferred.includes(fk)) continue;
    items.push(
      `sa.ForeignKeyConstraint(${[
        pyList(fk.columns),
        pyList(fk.referredColumns.map((c) => `${referredTable(fk)}.${c}`)),
        `name=${py(fk.name)}`,
        ...foreignKeyArgs(fk),
      ].join(', ')})`,
    );
  }
  for (const check of table.checkConstraints) {
    items.push(`sa.CheckConstraint(${py(checkCondition(check))}, name=${py(check.name)})`);
  }
  if (table.schema !== 'public') items.push(`schema=${py(table.schema)}`);
  if (table.comment !== null) items.push(`comment=${py(table.comment)}`);
  const lines = [`op.create_table(`, `    ${py(table.name)},`, ...items.map((item) => `    ${item},`), ')'];
  for (const index of table.indexes) if (index.constraint === null) after.push(...createIndex(table, index));
  return [...lines, ...after];
}

function addColumn(table: Table, column: Column, models: Schema): string[] {
  const modelTable = models.tables[tableKey(table.schema, table.name)] ?? table;
  if (isSerial(column, modelTable, models) && SERIAL_TYPES[column.type] !== undefined) {
    const nullability = column.nullable ? '' : ' NOT NULL';
    return [
      execute(
        `ALTER TABLE ${qualified(table)} ADD COLUMN ${sqlIdent(column.name)} ${SERIAL_TYPES[column.type] ?? ''}${nullability}`,
      ),
    ];
  }
  const needsBackfill =
    !column.nullable && column.default === null && column.identity === null && column.generated === null;
  const asAdded = needsBackfill ? { ...column, nullable: true } : column;
  const rendered = saColumn(asAdded, modelTable, models, false);
  const add =
    rendered === null
      ? execute(`ALTER TABLE ${qualified(table)} ADD COLUMN ${columnSql(asAdded)}`)
      : `op.add_column(${tableArgs(table)}, ${rendered}${schemaArg(table)})`;
  if (!needsBackfill) return [add];
  return [
    add,
    '# NOT NULL without a default: fill the existing rows first, e.g.',
    `# op.execute(${py(`UPDATE ${qualified(table)} SET ${sqlIdent(column.name)} = ... WHERE ${sqlIdent(column.name)} IS NULL`)})`,
    `op.alter_column(${tableArgs(table)}, ${py(column.name)}, nullable=False${schemaArg(table)})`,
  ];
}

/** op.alter_column with the column's current type for context, as autogenerate writes it. */
function alterColumn(table: Table, actual: Column, context: FixContext, change: string): string {
  const existing = typeOf(actual, context.head);
  const existingArg = existing === null ? '' : `, existing_type=${existing}`;
  return `op.alter_column(${tableArgs(table)}, ${py(actual.name)}${existingArg}, ${change}${schemaArg(table)})`;
}

function alterType(table: Table, expected: Column, actual: Column, context: FixContext): string[] {
  const target = typeOf(expected, context.models);
  const cast =
    expected.enumType != null
      ? `::text${expected.type.endsWith('[]') ? '[]' : ''}::${expected.type}`
      : `::${expected.type}`;
  const needsUsing = baseTypeName(expected.type) !== baseTypeName(actual.type);
  const lines: string[] = [];
  // A default of the old type cannot be cast automatically: drop it, put the models' one back after.
  const dropsDefault = needsUsing && actual.default !== null && !isSerial(actual, table, context.head);
  if (dropsDefault) lines.push(alterColumn(table, actual, context, 'server_default=None'));
  if (target === null) {
    const collate = expected.collation === null ? '' : ` COLLATE ${sqlIdent(expected.collation)}`;
    lines.push(
      execute(
        `ALTER TABLE ${qualified(table)} ALTER COLUMN ${sqlIdent(actual.name)} TYPE ${expected.type}${collate} USING ${sqlIdent(actual.name)}${cast}`,
      ),
    );
  } else {
    const using = needsUsing ? `, postgresql_using=${py(`${sqlIdent(actual.name)}${cast}`)}` : '';
    lines.push(alterColumn(table, actual, context, `type_=${target}${using}`));
  }
  if (dropsDefault && expected.default !== null && expected.generated === null) {
    lines.push(
      alterColumn(
        table,
        { ...actual, ...pickType(expected) },
        context,
        `server_default=sa.text(${py(expected.default)})`,
      ),
    );
  }
  return lines;
}

const pickType = (column: Column): Pick<Column, 'type' | 'collation' | 'enumType'> => ({
  type: column.type,
  collation: column.collation,
  enumType: column.enumType,
});

function alterDefault(table: Table, expected: Column, actual: Column, context: FixContext): string[] {
  const column = sqlIdent(actual.name);
  const alterSql = (what: string): string =>
    execute(`ALTER TABLE ${qualified(table)} ALTER COLUMN ${column} ${what}`);
  const modelTable = context.models.tables[tableKey(table.schema, table.name)] ?? table;
  const actualSerial = isSerial(actual, table, context.head);
  const expectedSerial = isSerial(expected, modelTable, context.models);
  const lines: string[] = [];

  if (expected.generated !== null) {
    // PostgreSQL cannot change or add a generation expression in place: re-create the column.
    const rendered = saColumn(expected, modelTable, context.models, false);
    return [
      `op.drop_column(${tableArgs(table)}, ${py(actual.name)}${schemaArg(table)})`,
      rendered === null
        ? execute(`ALTER TABLE ${qualified(table)} ADD COLUMN ${columnSql(expected)}`)
        : `op.add_column(${tableArgs(table)}, ${rendered}${schemaArg(table)})`,
    ];
  }
  // Undo what the database has that the models do not; a plain default is simply replaced.
  const expectedPlain = expected.default !== null && !expectedSerial;
  if (actual.generated !== null) lines.push(alterSql('DROP EXPRESSION'));
  if (actual.identity !== null && expected.identity === null) lines.push(alterSql('DROP IDENTITY'));
  if (actual.default !== null && !(actualSerial && expectedSerial) && !expectedPlain) {
    lines.push(alterColumn(table, actual, context, 'server_default=None'));
  }

  // A serial's sequence goes once nothing uses it as a default any more
  // (before an identity is added, which would otherwise take another name).
  const actualSequence = actualSerial && !expectedSerial ? ownedSequence(actual, table, context.head) : null;
  const dropSequence =
    actualSequence === null ? [] : [execute(`DROP SEQUENCE ${sqlName(table.schema, actualSequence)}`)];
  if (!expectedPlain) lines.push(...dropSequence);

  // Then give it what the models declare.
  if (expected.identity !== null) {
    const kind = expected.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT';
    if (actual.identity !== null) lines.push(alterSql(`SET GENERATED ${kind}`));
    else {
      if (actual.nullable) lines.push(alterColumn(table, actual, context, 'nullable=False'));
      lines.push(alterSql(`ADD GENERATED ${kind} AS IDENTITY`), ...restartAfterMax(table, actual));
    }
  } else if (expectedSerial && !actualSerial) {
    const sequence =
      ownedSequence(expected, modelTable, context.models) ?? `${table.name}_${actual.name}_seq`;
    lines.push(...makeSerial(table, actual, sequence));
  } else if (expectedPlain) {
    lines.push(alterColumn(table, actual, context, `server_default=sa.text(${py(expected.default ?? '')})`));
  }
  if (expectedPlain) lines.push(...dropSequence);
  return lines;
}

// ---------------------------------------------------------------------------
// Indexes and constraints

interface ObjectOps<T> {
  create: (item: T) => string[];
  drop: (item: T) => string[];
  /** SQL that renames; constraints by default. */
  rename?: (from: string, to: string) => string;
  what: string;
}

function objectFix<T extends { name: string }>(
  change: string,
  table: Table,
  expected: T | null,
  actual: T | null,
  ops: ObjectOps<T>,
): Fix {
  const rename =
    ops.rename ??
    ((from: string, to: string) =>
      `ALTER TABLE ${qualified(table)} RENAME CONSTRAINT ${sqlIdent(from)} TO ${sqlIdent(to)}`);
  if (change === 'missing' && expected !== null) {
    return { text: `Create the ${ops.what} in a new revision.`, lines: ops.create(expected) };
  }
  if (change === 'unexpected' && actual !== null) {
    return {
      text: `Drop the ${ops.what} in a new revision, or declare it in the model.`,
      lines: ops.drop(actual),
    };
  }
  if (change === 'renamed' && expected !== null && actual !== null) {
    return {
      text: `Only the name differs: rename the ${ops.what} to the models' name.`,
      lines: [execute(rename(actual.name, expected.name))],
    };
  }
  if (change === 'not-validated' && actual !== null) {
    return {
      text: `The ${ops.what} was added NOT VALID and never validated: validate it in a new revision (it scans the table without blocking writes).`,
      lines: [execute(`ALTER TABLE ${qualified(table)} VALIDATE CONSTRAINT ${sqlIdent(actual.name)}`)],
    };
  }
  if (expected !== null && actual !== null) {
    return {
      text: `Re-create the ${ops.what} as the models declare it.`,
      lines: [...ops.drop(actual), ...ops.create(expected)],
    };
  }
  throw new Error(`no fix for a ${change} ${ops.what}`);
}

function dropConstraint(
  table: Table,
  name: string,
  type: 'primary' | 'unique' | 'foreignkey' | 'check',
): string {
  return `op.drop_constraint(${py(name)}, ${tableArgs(table)}, type_=${py(type)}${schemaArg(table)})`;
}

function deferrableArgs(item: { deferrable: boolean; initiallyDeferred?: boolean }): string[] {
  if (!item.deferrable) return [];
  return ['deferrable=True', ...(item.initiallyDeferred === true ? [`initially=${py('DEFERRED')}`] : [])];
}

function referredTable(fk: ForeignKey): string {
  const [schema, ...rest] = fk.referredTable.split('.');
  const name = rest.join('.');
  return schema === 'public' ? name : fk.referredTable;
}

function foreignKeyArgs(fk: ForeignKey): string[] {
  const args: string[] = [];
  if (fk.onUpdate !== 'NO ACTION') args.push(`onupdate=${py(fk.onUpdate)}`);
  if (fk.onDelete !== 'NO ACTION') args.push(`ondelete=${py(fk.onDelete)}`);
  args.push(...deferrableArgs(fk));
  const match = / MATCH (FULL|PARTIAL)\b/.exec(fk.definition);
  if (match?.[1] !== undefined) args.push(`match=${py(match[1])}`);
  return args;
}

function createForeignKey(table: Table, fk: ForeignKey): string {
  const dot = fk.referredTable.indexOf('.');
  const referentSchema = fk.referredTable.slice(0, dot);
  const referent = fk.referredTable.slice(dot + 1);
  const args = [py(fk.name), tableArgs(table), py(referent), pyList(fk.columns), pyList(fk.referredColumns)];
  if (table.schema !== 'public') args.push(`source_schema=${py(table.schema)}`);
  if (referentSchema !== 'public') args.push(`referent_schema=${py(referentSchema)}`);
  args.push(...foreignKeyArgs(fk));
  return `op.create_foreign_key(${args.join(', ')})`;
}

function createUnique(table: Table, unique: UniqueConstraint): string {
  if (unique.nullsNotDistinct) {
    // SQLAlchemy 1.4 has no spelling for NULLS NOT DISTINCT: PostgreSQL's own definition.
    return execute(
      `ALTER TABLE ${qualified(table)} ADD CONSTRAINT ${sqlIdent(unique.name)} ${uniqueDefinition(unique)}`,
    );
  }
  const args = [py(unique.name), tableArgs(table), pyList(unique.columns), ...deferrableArgs(unique)];
  return `op.create_unique_constraint(${args.join(', ')}${schemaArg(table)})`;
}

/** "CHECK ((age >= 0))" -> "(age >= 0)": the condition op.create_check_constraint takes. */
function checkCondition(check: CheckConstraint): string {
  const definition = check.definition.replace(/( NOT VALID| NO INHERIT)+$/, '');
  return definition.replace(/^CHECK \(/, '').replace(/\)$/, '');
}

/**
 * op.create_index when its arguments reproduce PostgreSQL's definition
 * exactly; otherwise (operator classes, DESC, NULLS FIRST, ...) the definition
 * itself through op.execute.
 */
function createIndex(table: Table, index: Index): string[] {
  const part = (column: string): { python: string; sql: string } =>
    isExpression(column, table)
      ? { python: `sa.text(${py(column)})`, sql: column }
      : { python: py(column), sql: sqlIdent(column) };
  const parts = index.columns.map(part);
  const include = index.include ?? [];
  const nullsNotDistinct = index.nullsNotDistinct ?? false;
  const rebuilt =
    `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${sqlIdent(index.name)} ON ${sqlIdent(table.schema)}.${sqlIdent(table.name)} ` +
    `USING ${index.method} (${parts.map((p) => p.sql).join(', ')})` +
    (include.length > 0 ? ` INCLUDE (${include.map(sqlIdent).join(', ')})` : '') +
    (nullsNotDistinct ? ' NULLS NOT DISTINCT' : '') +
    (index.predicate === null ? '' : ` WHERE ${index.predicate}`);
  if (rebuilt !== index.definition || nullsNotDistinct) return [execute(index.definition)];
  const args = [
    py(index.name),
    tableArgs(table),
    `[${parts.map((p) => p.python).join(', ')}]`,
    `unique=${index.unique ? 'True' : 'False'}`,
  ];
  if (table.schema !== 'public') args.push(`schema=${py(table.schema)}`);
  if (index.method !== 'btree') args.push(`postgresql_using=${py(index.method)}`);
  if (include.length > 0) args.push(`postgresql_include=${pyList(include)}`);
  if (index.predicate !== null) args.push(`postgresql_where=sa.text(${py(index.predicate)})`);
  return [`op.create_index(${args.join(', ')})`];
}

/** Key parts are column names, or the expression text for expression parts. */
function isExpression(part: string, table: Table): boolean {
  return !table.columns.some((c) => c.name === part);
}

// ---------------------------------------------------------------------------
// Enums

function enumFix(
  change: 'missing' | 'unexpected' | 'labels',
  expected: EnumType | null,
  actual: EnumType | null,
  usedBy: { table: Table; column: Column }[],
): Fix {
  if (change === 'missing' && expected !== null) {
    const schema = expected.schema === 'public' ? '' : `, schema=${py(expected.schema)}`;
    return {
      text: 'Create the enum type in a new revision.',
      lines: [
        `postgresql.ENUM(${[...expected.labels.map(py), `name=${py(expected.name)}`].join(', ')}${schema}).create(op.get_bind())`,
      ],
    };
  }
  if (change === 'unexpected' && actual !== null) {
    return {
      text: 'No model uses this enum type: drop it in a new revision.',
      lines: [execute(`DROP TYPE ${sqlName(actual.schema, actual.name)}`)],
    };
  }
  if (expected === null || actual === null) throw new Error(`no fix for a ${change} enum`);
  const name = sqlName(expected.schema, expected.name);
  if (isSubsequence(actual.labels, expected.labels)) {
    // Only additions: ADD VALUE in place, outside the transaction so that later steps may use the values.
    const added: string[] = [];
    expected.labels.forEach((label, i) => {
      if (actual.labels.includes(label)) return;
      const position =
        i === 0
          ? ` BEFORE ${sqlString(expected.labels[1] ?? '')}`
          : ` AFTER ${sqlString(expected.labels[i - 1] ?? '')}`;
      added.push(
        `    ${execute(`ALTER TYPE ${name} ADD VALUE IF NOT EXISTS ${sqlString(label)}${expected.labels.length > 1 ? position : ''}`)}`,
      );
    });
    return {
      text: 'Add the missing enum values in a new revision (ALTER TYPE ... ADD VALUE cannot be used in the same transaction, hence the autocommit block).',
      lines: ['with op.get_context().autocommit_block():', ...added],
    };
  }
  // Values removed or reordered: PostgreSQL cannot do that in place; re-create the type and move the columns over.
  const old = `${expected.name}_old`;
  const lines = [
    execute(`ALTER TYPE ${name} RENAME TO ${sqlIdent(old)}`),
    execute(`CREATE TYPE ${name} AS ENUM (${expected.labels.map(sqlString).join(', ')})`),
  ];
  for (const { table, column } of usedBy) {
    const col = sqlIdent(column.name);
    const array = column.type.endsWith('[]') ? '[]' : '';
    const alter = `ALTER TABLE ${qualified(table)} ALTER COLUMN ${col}`;
    if (column.default !== null) lines.push(execute(`${alter} DROP DEFAULT`));
    lines.push(execute(`${alter} TYPE ${name}${array} USING ${col}::text${array}::${name}${array}`));
    if (column.default !== null) lines.push(execute(`${alter} SET DEFAULT ${column.default}`));
  }
  lines.push(execute(`DROP TYPE ${sqlName(expected.schema, old)}`));
  const removed = actual.labels.filter((label) => !expected.labels.includes(label));
  return {
    text:
      "Re-create the enum type with the models' values in a new revision" +
      (removed.length > 0
        ? ` (first update the rows that still use ${removed.map((l) => `'${l}'`).join(', ')})`
        : '') +
      '.',
    lines,
  };
}

function isSubsequence(part: readonly string[], whole: readonly string[]): boolean {
  let at = 0;
  for (const label of whole) if (label === part[at]) at += 1;
  return at === part.length;
}

// ---------------------------------------------------------------------------
// The model that is never imported

function importModel(model: ModelClass): Fix {
  const directory = model.file.includes('/') ? model.file.slice(0, model.file.lastIndexOf('/')) : '.';
  const module = model.file.slice(model.file.lastIndexOf('/') + 1).replace(/\.py$/, '');
  const init = `${directory}/__init__.py`;
  return {
    text: `Import the model where the metadata is built: add the import to ${init} (next to the other models), so Base.metadata knows ${model.className}.`,
    lines: [`# ${init}`, `from .${module} import ${model.className}`],
  };
}
