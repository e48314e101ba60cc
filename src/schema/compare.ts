// Compares the migrated database (head) with the one the models produce and
// lists the typed differences, in the order their fixes can be applied one
// after the other. Indexes and constraints are matched by definition (as
// PostgreSQL renders it), then by name: the same definition under another
// name is a rename, the same name with another definition a change.
import type { Change, Difference, EnumDifference, ModelClass, TableMissing } from './differences.ts';
import type { Column, ForeignKey, Index, Schema, Sequence, Table, UniqueConstraint } from './types.ts';
import { tableKey } from './types.ts';

export interface DiffOptions {
  /** What env.py's include_object / include_name leave out, on both sides. */
  exclude?: {
    /** "schema.table" */
    tables?: string[];
    /** "schema.table.column" */
    columns?: string[];
    /** "schema.table.index" */
    indexes?: string[];
    /** "schema.table.constraint" */
    constraints?: string[];
  };
  /** Alembic's version table, "alembic_version" (public) or "schema.table". */
  versionTable?: string;
  /** The project's mapped classes, to explain a table whose model is never imported. */
  modelClasses?: ModelClass[];
  /**
   * Schemas of the migrated database to compare (env.py without include_schemas:
   * just the default one). Tables the models declare are compared wherever they are.
   */
  schemas?: string[];
}

interface Scope {
  includeTable: (table: Table, side: 'head' | 'models') => boolean;
  includeColumn: (table: Table, column: string) => boolean;
  includeIndex: (table: Table, name: string) => boolean;
  includeConstraint: (table: Table, name: string) => boolean;
  includeSchema: (schema: string) => boolean;
}

function scope(options: DiffOptions, models: Schema): Scope {
  const set = (values: string[] | undefined): Set<string> => new Set(values ?? []);
  const tables = set(options.exclude?.tables);
  const columns = set(options.exclude?.columns);
  const indexes = set(options.exclude?.indexes);
  const constraints = set(options.exclude?.constraints);
  const version = options.versionTable ?? 'alembic_version';
  const versionKey = version.includes('.') ? version : tableKey('public', version);
  const modelSchemas = new Set(Object.values(models.tables).map((t) => t.schema));
  const includeSchema = (schema: string): boolean =>
    options.schemas === undefined || options.schemas.includes(schema) || modelSchemas.has(schema);
  return {
    includeTable: (table, side) => {
      const key = tableKey(table.schema, table.name);
      if (table.kind !== 'table' && table.kind !== 'partitioned table') return false;
      if ((table.partitionOf ?? null) !== null) return false;
      if (key === versionKey || tables.has(key)) return false;
      return side === 'models' || includeSchema(table.schema);
    },
    includeColumn: (table, column) => !columns.has(`${tableKey(table.schema, table.name)}.${column}`),
    includeIndex: (table, name) => !indexes.has(`${tableKey(table.schema, table.name)}.${name}`),
    includeConstraint: (table, name) => !constraints.has(`${tableKey(table.schema, table.name)}.${name}`),
    includeSchema,
  };
}

/** The typed differences, ordered so that applying their fixes in turn works. */
export function compareSchemas(head: Schema, models: Schema, options: DiffOptions = {}): Difference[] {
  const inScope = scope(options, models);
  const headTables = tablesIn(head, (t) => inScope.includeTable(t, 'head'));
  const modelTables = tablesIn(models, (t) => inScope.includeTable(t, 'models'));
  const found: Difference[] = [];

  const missingTables = [...modelTables.keys()].filter((key) => !headTables.has(key));
  found.push(...orderMissingTables(missingTables.map((key) => modelTables.get(key) as Table)));
  for (const [key, table] of headTables) {
    if (modelTables.has(key)) continue;
    const modelClass = options.modelClasses?.find((c) => c.table === key && !c.inMetadata) ?? null;
    found.push({ rule: 'drift-table-unexpected', table, modelClass });
  }
  for (const [key, actual] of headTables) {
    const expected = modelTables.get(key);
    if (expected !== undefined) found.push(...compareTables(actual, expected, head, models, inScope));
  }
  found.push(...compareEnums(head, models, inScope, headTables));
  return order(found);
}

function tablesIn(schema: Schema, include: (t: Table) => boolean): Map<string, Table> {
  const tables = new Map<string, Table>();
  for (const [key, table] of Object.entries(schema.tables)) if (include(table)) tables.set(key, table);
  return tables;
}

function compareTables(
  actual: Table,
  expected: Table,
  head: Schema,
  models: Schema,
  inScope: Scope,
): Difference[] {
  const found: Difference[] = [];
  const columns = (t: Table): Column[] => t.columns.filter((c) => inScope.includeColumn(t, c.name));
  const actualColumns = new Map(columns(actual).map((c) => [c.name, c]));
  const expectedColumns = new Map(columns(expected).map((c) => [c.name, c]));
  for (const [name, column] of expectedColumns) {
    const present = actualColumns.get(name);
    if (present === undefined) {
      found.push({ rule: 'drift-column-missing', table: actual, expected: column });
      continue;
    }
    const pair = { table: actual, expected: column, actual: present };
    if (present.type !== column.type || present.collation !== column.collation) {
      found.push({ rule: 'drift-column-type', ...pair });
    }
    if (present.nullable !== column.nullable) found.push({ rule: 'drift-column-nullable', ...pair });
    if (defaultSignature(present, actual, head) !== defaultSignature(column, expected, models)) {
      found.push({ rule: 'drift-column-default', ...pair });
    }
  }
  for (const [name, column] of actualColumns) {
    if (!expectedColumns.has(name))
      found.push({ rule: 'drift-column-unexpected', table: actual, actual: column });
  }

  found.push(...comparePrimaryKeys(actual, expected, inScope));
  found.push(...compareIndexesAndUniques(actual, expected, inScope));
  const constraint = <T extends { name: string }>(t: Table, list: T[]): T[] =>
    list.filter((c) => inScope.includeConstraint(t, c.name));
  for (const m of matchByDefinition(
    constraint(actual, actual.foreignKeys),
    constraint(expected, expected.foreignKeys),
    (fk) => withoutNotValid(fk.definition),
  )) {
    found.push({ rule: 'drift-foreign-key', table: actual, ...m });
  }
  for (const m of matchByDefinition(
    constraint(actual, actual.checkConstraints),
    constraint(expected, expected.checkConstraints),
    (check) => withoutNotValid(check.definition),
  )) {
    found.push({ rule: 'drift-check-constraint', table: actual, ...m });
  }
  // The same constraint, validated in the models' database but left NOT VALID by the migrations.
  for (const [present, counterpart] of notValidated(
    actual.foreignKeys,
    expected.foreignKeys,
    actual,
    inScope,
  )) {
    found.push({
      rule: 'drift-foreign-key',
      table: actual,
      change: 'not-validated',
      expected: counterpart,
      actual: present,
    });
  }
  for (const [present, counterpart] of notValidated(
    actual.checkConstraints,
    expected.checkConstraints,
    actual,
    inScope,
  )) {
    found.push({
      rule: 'drift-check-constraint',
      table: actual,
      change: 'not-validated',
      expected: counterpart,
      actual: present,
    });
  }
  return found;
}

/**
 * How a column gets its values when none is given: a generated expression, an
 * identity, a serial (nextval of the sequence the column owns, whatever its
 * name), or the default expression.
 */
export function defaultSignature(column: Column, table: Table, schema: Schema): string {
  if (column.generated !== null) return `generated ${column.generated}`;
  if (column.identity !== null) return `identity ${column.identity}`;
  if (column.default === null) return 'none';
  if (isSerial(column, table, schema)) return 'serial';
  return `default ${column.default}`;
}

// "schema.table.column" -> the sequence it owns, built once per schema.
const sequenceOwners = new WeakMap<Schema, Map<string, Sequence>>();

function sequenceOwnedBy(column: Column, table: Table, schema: Schema): Sequence | undefined {
  let owners = sequenceOwners.get(schema);
  if (owners === undefined) {
    owners = new Map();
    for (const sequence of Object.values(schema.sequences)) {
      if (sequence.ownedBy !== null) owners.set(sequence.ownedBy, sequence);
    }
    sequenceOwners.set(schema, owners);
  }
  return owners.get(`${table.schema}.${table.name}.${column.name}`);
}

/** The column's default is nextval() of a sequence the column owns (SERIAL / BIGSERIAL). */
export function isSerial(column: Column, table: Table, schema: Schema): boolean {
  if (column.default === null || !column.default.startsWith('nextval(')) return false;
  return sequenceOwnedBy(column, table, schema) !== undefined;
}

/** The serial sequence a column owns, if any. */
export function ownedSequence(column: Column, table: Table, schema: Schema): string | null {
  return sequenceOwnedBy(column, table, schema)?.name ?? null;
}

function comparePrimaryKeys(actual: Table, expected: Table, inScope: Scope): Difference[] {
  const a =
    actual.primaryKey !== null && inScope.includeConstraint(actual, actual.primaryKey.name)
      ? actual.primaryKey
      : null;
  const e =
    expected.primaryKey !== null && inScope.includeConstraint(expected, expected.primaryKey.name)
      ? expected.primaryKey
      : null;
  if (a === null && e === null) return [];
  let change: Change | null;
  if (a === null) change = 'missing';
  else if (e === null) change = 'unexpected';
  else if (a.columns.join('\0') !== e.columns.join('\0')) change = 'changed';
  else if (a.name !== e.name) change = 'renamed';
  else change = null;
  return change === null
    ? []
    : [{ rule: 'drift-primary-key', table: actual, change, expected: e, actual: a }];
}

function compareIndexesAndUniques(actual: Table, expected: Table, inScope: Scope): Difference[] {
  const plainIndexes = (t: Table): Index[] =>
    t.indexes.filter((i) => i.constraint === null && inScope.includeIndex(t, i.name));
  const uniques = (t: Table): UniqueConstraint[] =>
    t.uniqueConstraints.filter((u) => inScope.includeConstraint(t, u.name));
  const indexMatches = matchByDefinition(plainIndexes(actual), plainIndexes(expected), (i) =>
    indexSignature(i.definition),
  );
  const uniqueMatches = matchByDefinition(uniques(actual), uniques(expected), uniqueDefinition);
  const found: Difference[] = [];

  // A unique constraint on one side and a plain unique index on the same
  // columns on the other enforce the same thing: one finding, not two.
  const paired = new Set<object>();
  for (const u of uniqueMatches) {
    const { expected: wanted, actual: present } = u;
    if (u.change === 'missing' && wanted !== null) {
      const index = indexMatches.find(
        (i) =>
          i.change === 'unexpected' &&
          i.actual !== null &&
          !paired.has(i) &&
          enforcesUnique(i.actual, wanted),
      );
      if (index?.actual != null) {
        paired.add(index).add(u);
        found.push({
          rule: 'drift-unique-constraint',
          table: actual,
          change: 'enforced-by-index',
          expected: wanted,
          actual: index.actual,
        });
      }
    } else if (u.change === 'unexpected' && present !== null) {
      const index = indexMatches.find(
        (i) =>
          i.change === 'missing' &&
          i.expected !== null &&
          !paired.has(i) &&
          enforcesUnique(i.expected, present),
      );
      if (index?.expected != null) {
        paired.add(index).add(u);
        found.push({
          rule: 'drift-index',
          table: actual,
          change: 'enforced-by-constraint',
          expected: index.expected,
          actual: present,
        });
      }
    }
  }
  for (const m of indexMatches) if (!paired.has(m)) found.push({ rule: 'drift-index', table: actual, ...m });
  for (const m of uniqueMatches)
    if (!paired.has(m)) found.push({ rule: 'drift-unique-constraint', table: actual, ...m });
  return found;
}

/** A plain unique btree index on exactly the constraint's columns. */
function enforcesUnique(index: Index, unique: UniqueConstraint): boolean {
  return (
    index.unique &&
    index.method === 'btree' &&
    index.predicate === null &&
    (index.include ?? []).length === 0 &&
    !unique.deferrable &&
    (index.nullsNotDistinct ?? false) === unique.nullsNotDistinct &&
    index.columns.join('\0') === unique.columns.join('\0') &&
    !/ DESC\b/.test(index.definition)
  );
}

/** pg_get_constraintdef of a unique constraint; spelled the same way when a Schema was built without it. */
export function uniqueDefinition(unique: UniqueConstraint): string {
  if (unique.definition !== undefined) return unique.definition;
  const nulls = unique.nullsNotDistinct ? 'NULLS NOT DISTINCT ' : '';
  const deferrable = unique.deferrable
    ? ` DEFERRABLE${unique.initiallyDeferred === true ? ' INITIALLY DEFERRED' : ''}`
    : '';
  return `UNIQUE ${nulls}(${unique.columns.join(', ')})${deferrable}`;
}

/** pg_get_indexdef without the index's own name. */
export function indexSignature(definition: string): string {
  return definition.replace(/^(CREATE (?:UNIQUE )?INDEX )(?:"(?:[^"]|"")+"|\S+) ON /, '$1ON ');
}

function notValidated<T extends { name: string; definition: string; validated: boolean }>(
  actual: readonly T[],
  expected: readonly T[],
  table: Table,
  inScope: Scope,
): [T, T][] {
  const pairs: [T, T][] = [];
  for (const present of actual) {
    if (present.validated || !inScope.includeConstraint(table, present.name)) continue;
    const counterpart = expected.find(
      (c) => c.name === present.name && withoutNotValid(c.definition) === withoutNotValid(present.definition),
    );
    if (counterpart?.validated === true) pairs.push([present, counterpart]);
  }
  return pairs;
}

function withoutNotValid(definition: string): string {
  return definition.replace(/ NOT VALID$/, '');
}

interface Match<T> {
  change: Change;
  expected: T | null;
  actual: T | null;
}

/**
 * Pairs objects by definition first (a different name is a rename), then
 * the leftovers by name (a different definition is a change).
 */
export function matchByDefinition<T extends { name: string }>(
  actual: readonly T[],
  expected: readonly T[],
  signature: (item: T) => string,
): Match<T>[] {
  if (actual.length === 0 && expected.length === 0) return [];
  const signatures = new Map<T, string>([...actual, ...expected].map((item) => [item, signature(item)]));
  const sig = (item: T): string => signatures.get(item) ?? '';
  const leftActual = [...actual].sort(byName);
  const leftExpected = [...expected].sort(byName);
  const take = (list: T[], test: (item: T) => boolean): T | undefined => {
    const at = list.findIndex(test);
    return at === -1 ? undefined : list.splice(at, 1)[0];
  };
  const found: Match<T>[] = [];
  // Same definition and name: equal. Same definition, other name: renamed.
  for (const sameName of [true, false]) {
    for (const e of [...leftExpected]) {
      const a = take(leftActual, (x) => sig(x) === sig(e) && (!sameName || x.name === e.name));
      if (a === undefined) continue;
      take(leftExpected, (x) => x === e);
      if (a.name !== e.name) found.push({ change: 'renamed', expected: e, actual: a });
    }
  }
  for (const e of [...leftExpected]) {
    const a = take(leftActual, (x) => x.name === e.name);
    if (a === undefined) continue;
    take(leftExpected, (x) => x === e);
    found.push({ change: 'changed', expected: e, actual: a });
  }
  for (const e of leftExpected) found.push({ change: 'missing', expected: e, actual: null });
  for (const a of leftActual) found.push({ change: 'unexpected', expected: null, actual: a });
  return found;
}

/** Code-point order: stable across locales, and much cheaper than localeCompare. */
function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const byName = (a: { name: string }, b: { name: string }): number => ordinal(a.name, b.name);

function compareEnums(
  head: Schema,
  models: Schema,
  inScope: Scope,
  headTables: Map<string, Table>,
): EnumDifference[] {
  const found: EnumDifference[] = [];
  const usedBy = (key: string): EnumDifference['usedBy'] =>
    [...headTables.values()].flatMap((table) =>
      table.columns.filter((c) => c.enumType === key).map((column) => ({ table, column })),
    );
  for (const [key, expected] of Object.entries(models.enums)) {
    const actual = head.enums[key];
    if (actual === undefined)
      found.push({ rule: 'drift-enum', change: 'missing', expected, actual: null, usedBy: [] });
    else if (actual.labels.join('\0') !== expected.labels.join('\0')) {
      found.push({ rule: 'drift-enum', change: 'labels', expected, actual, usedBy: usedBy(key) });
    }
  }
  for (const [key, actual] of Object.entries(head.enums)) {
    if (models.enums[key] === undefined && inScope.includeSchema(actual.schema)) {
      found.push({ rule: 'drift-enum', change: 'unexpected', expected: null, actual, usedBy: usedBy(key) });
    }
  }
  return found;
}

/**
 * Missing tables in foreign-key order, so each create_table finds the tables
 * it references. A foreign key that closes a cycle is left out of its
 * create_table and reported on its own, to be added once both tables exist.
 */
function orderMissingTables(tables: Table[]): Difference[] {
  const byKey = new Map(tables.map((t) => [tableKey(t.schema, t.name), t]));
  const state = new Map<string, 'visiting' | 'done'>();
  const ordered: TableMissing[] = [];
  const separate: Difference[] = [];
  const visit = (key: string): void => {
    const table = byKey.get(key);
    if (table === undefined || state.has(key)) return;
    state.set(key, 'visiting');
    const deferred: ForeignKey[] = [];
    for (const fk of table.foreignKeys) {
      if (fk.referredTable === key || !byKey.has(fk.referredTable)) continue;
      if (state.get(fk.referredTable) === 'visiting') deferred.push(fk);
      else visit(fk.referredTable);
    }
    state.set(key, 'done');
    ordered.push({ rule: 'drift-table-missing', table, deferredForeignKeys: deferred });
    for (const fk of deferred) {
      separate.push({ rule: 'drift-foreign-key', table, change: 'missing', expected: fk, actual: null });
    }
  };
  for (const key of [...byKey.keys()].sort()) visit(key);
  return [...ordered, ...separate];
}

// Fix order: types first, then what blocks a drop, drops, additions and
// changes, tables, the foreign keys that need them, finally unused types.
function phase(d: Difference): number {
  switch (d.rule) {
    case 'drift-enum':
      return d.change === 'unexpected' ? 12 : 1;
    case 'drift-foreign-key':
      return d.change === 'unexpected' ? 2 : 11;
    case 'drift-index':
    case 'drift-unique-constraint':
    case 'drift-check-constraint':
      return d.change === 'unexpected' ? 3 : 9;
    case 'drift-table-unexpected':
      return 4;
    case 'drift-column-unexpected':
      return 5;
    case 'drift-column-missing':
      return 6;
    case 'drift-column-type':
      return 7.1;
    case 'drift-column-default':
      return 7.2;
    case 'drift-column-nullable':
      return 7.3;
    case 'drift-primary-key':
      return 8;
    case 'drift-table-missing':
      return 10;
  }
}

/** Where a difference sits, for a stable order within a phase: enum or table, then column position. */
function place(d: Difference): string {
  if (d.rule === 'drift-enum') {
    const type = d.expected ?? d.actual;
    return type === null ? '' : tableKey(type.schema, type.name);
  }
  let position = 0;
  if (d.rule === 'drift-column-missing') position = d.expected.position;
  else if (
    d.rule === 'drift-column-unexpected' ||
    d.rule === 'drift-column-type' ||
    d.rule === 'drift-column-nullable' ||
    d.rule === 'drift-column-default'
  ) {
    position = d.actual.position;
  }
  return `${tableKey(d.table.schema, d.table.name)}\0${String(position).padStart(6, '0')}`;
}

function order(found: Difference[]): Difference[] {
  // Missing tables keep their foreign-key order (same phase, compared by index).
  const rank = (d: Difference): string => (d.rule === 'drift-table-missing' ? '' : place(d));
  return found
    .map((d, i) => ({ d, i }))
    .sort((x, y) => phase(x.d) - phase(y.d) || ordinal(rank(x.d), rank(y.d)) || x.i - y.i)
    .map((x) => x.d);
}
