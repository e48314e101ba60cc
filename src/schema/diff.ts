// Schema drift as findings: the differences between the migrated database
// (head) and the one the models produce, each with a message, typed
// expected/actual details and the Alembic code that closes it. Differences in
// name only are notices; a constraint left NOT VALID is a warning.
import { finding } from '../checks/finding.ts';
import type { Finding, Severity } from '../model.ts';
import { compareSchemas, defaultSignature, uniqueDefinition, type DiffOptions } from './compare.ts';
import type { Change, Difference, ModelClass } from './differences.ts';
import { fixFor, type FixContext } from './fix.ts';
import type { Column, EnumType, Schema, Table } from './types.ts';
import { displayName, tableKey } from './types.ts';

export type { DiffOptions } from './compare.ts';
export type { Difference, ModelClass } from './differences.ts';
export { compareSchemas } from './compare.ts';
export { fixFor, fixRevision } from './fix.ts';

/** The expected (models) and actual (migrated) sides of a drift finding, in Finding.details. */
export type DriftDetails<T = unknown> = {
  change?: Change | 'enforced-by-index' | 'enforced-by-constraint' | 'labels';
  expected: T | null;
  actual: T | null;
};

/** Drift findings of `head` (migrated) against `models` (create_all of target_metadata), in fix order. */
export function diffSchemas(head: Schema, models: Schema, options: DiffOptions = {}): Finding[] {
  const context: FixContext = { head, models };
  const classes = options.modelClasses ?? [];
  return compareSchemas(head, models, options).map((d) => toFinding(d, context, classes));
}

/**
 * Where in the models a drift finding points: the Column(...) of its column,
 * else the class (or Table(...)) of its table — the one the metadata knows,
 * unless the finding is about a class it does not know.
 */
function modelLocation(
  d: Difference,
  column: string | undefined,
  classes: readonly ModelClass[],
): { file: string; line: number } | null {
  if (d.rule === 'drift-enum') return null;
  if (d.rule === 'drift-table-unexpected') return d.modelClass;
  const key = tableKey(d.table.schema, d.table.name);
  const candidates = classes.filter((c) => c.table === key);
  const model = candidates.find((c) => c.inMetadata) ?? candidates[0];
  if (model === undefined) return null;
  const line = column === undefined ? undefined : model.columns?.[column];
  return { file: model.file, line: line ?? model.line };
}

function toFinding(d: Difference, context: FixContext, classes: readonly ModelClass[]): Finding {
  const { message, details, column } = describe(d, context);
  const table = d.rule === 'drift-enum' ? undefined : displayName(d.table.schema, d.table.name);
  const located = modelLocation(d, column, classes);
  const found = finding({
    ruleId: d.rule,
    message,
    ...(located === null ? {} : { file: located.file, line: located.line }),
    ...(table === undefined ? {} : { table }),
    ...(column === undefined ? {} : { column }),
    details,
    suggestion: fixFor(d, context),
  });
  return { ...found, severity: severityOf(d) };
}

function severityOf(d: Difference): Severity {
  if (!('change' in d)) return 'error';
  switch (d.change) {
    case 'renamed':
    case 'enforced-by-index':
    case 'enforced-by-constraint':
      return 'notice';
    case 'not-validated':
      return 'warning';
    default:
      return 'error';
  }
}

interface Described {
  message: string;
  details: DriftDetails;
  column?: string;
}

const tableName = (t: Table): string => displayName(t.schema, t.name);
const list = (values: readonly string[]): string => values.join(', ');

function columnSummary(column: Column): string {
  return `${column.type}${column.nullable ? '' : ' NOT NULL'}`;
}

function describe(d: Difference, context: FixContext): Described {
  switch (d.rule) {
    case 'drift-table-missing':
      return {
        message: `Table ${tableName(d.table)} is declared in the models but no migration creates it.`,
        details: { expected: tableSummary(d.table), actual: null },
      };
    case 'drift-table-unexpected': {
      const model = d.modelClass;
      return {
        message:
          model === null
            ? `Table ${tableName(d.table)} exists after the migrations but no model declares it.`
            : `Table ${tableName(d.table)} exists after the migrations, and ${model.className.startsWith('Table(') ? model.className : `class ${model.className}`} in ${model.file}:${model.line} declares it, ` +
              `but that module is never imported where the metadata is built, so target_metadata does not know the model ` +
              `(and \`alembic revision --autogenerate\` would generate a drop_table for it). Import it in the models package's __init__.py.`,
        details: { expected: null, actual: tableSummary(d.table) },
      };
    }
    case 'drift-column-missing':
      return {
        message: `Column ${tableName(d.table)}.${d.expected.name} (${columnSummary(d.expected)}) is declared in the model but no migration adds it.`,
        details: { expected: d.expected, actual: null },
        column: d.expected.name,
      };
    case 'drift-column-unexpected':
      return {
        message: `Column ${tableName(d.table)}.${d.actual.name} (${columnSummary(d.actual)}) exists after the migrations but the model does not declare it.`,
        details: { expected: null, actual: d.actual },
        column: d.actual.name,
      };
    case 'drift-column-type': {
      const spell = (c: Column): string =>
        `${c.type}${c.collation === null ? '' : ` COLLATE "${c.collation}"`}`;
      return {
        message: `Column ${tableName(d.table)}.${d.actual.name} is ${spell(d.actual)} after the migrations but ${spell(d.expected)} in the model.`,
        details: {
          expected: { type: d.expected.type, collation: d.expected.collation },
          actual: { type: d.actual.type, collation: d.actual.collation },
        },
        column: d.actual.name,
      };
    }
    case 'drift-column-nullable':
      return {
        message: d.expected.nullable
          ? `Column ${tableName(d.table)}.${d.actual.name} is NOT NULL after the migrations but nullable in the model.`
          : `Column ${tableName(d.table)}.${d.actual.name} is nullable after the migrations but NOT NULL in the model (nullable=False): NULLs can get in.`,
        details: { expected: { nullable: d.expected.nullable }, actual: { nullable: d.actual.nullable } },
        column: d.actual.name,
      };
    case 'drift-column-default': {
      const expectedTable = context.models.tables[tableKey(d.table.schema, d.table.name)] ?? d.table;
      const values = (
        c: Column,
      ): { default: string | null; identity: Column['identity']; generated: string | null } => ({
        default: c.default,
        identity: c.identity,
        generated: c.generated,
      });
      return {
        message:
          `Column ${tableName(d.table)}.${d.actual.name} gets ${spellDefault(defaultSignature(d.actual, d.table, context.head))} after the migrations ` +
          `but ${spellDefault(defaultSignature(d.expected, expectedTable, context.models))} in the model.`,
        details: { expected: values(d.expected), actual: values(d.actual) },
        column: d.actual.name,
      };
    }
    case 'drift-primary-key':
      return objectMessage(
        d.change,
        'Primary key',
        d.table,
        d.expected,
        d.actual,
        (pk) => `PRIMARY KEY (${list(pk.columns)})`,
      );
    case 'drift-index':
      if (d.change === 'enforced-by-constraint') {
        return {
          message: `The models declare unique index ${d.expected.name} on ${tableName(d.table)} (${list(d.expected.columns)}); the migrations created unique constraint ${d.actual.name} on the same columns instead.`,
          details: { change: d.change, expected: d.expected, actual: d.actual },
        };
      }
      return objectMessage(d.change, 'Index', d.table, d.expected, d.actual, (i) =>
        i.definition.replace(/^CREATE /, ''),
      );
    case 'drift-unique-constraint':
      if (d.change === 'enforced-by-index') {
        return {
          message: `The models declare unique constraint ${d.expected.name} on ${tableName(d.table)} (${list(d.expected.columns)}); the migrations created unique index ${d.actual.name} on the same columns instead.`,
          details: { change: d.change, expected: d.expected, actual: d.actual },
        };
      }
      return objectMessage(d.change, 'Unique constraint', d.table, d.expected, d.actual, uniqueDefinition);
    case 'drift-foreign-key':
      return objectMessage(d.change, 'Foreign key', d.table, d.expected, d.actual, (fk) => fk.definition);
    case 'drift-check-constraint':
      return objectMessage(d.change, 'CHECK constraint', d.table, d.expected, d.actual, (c) => c.definition);
    case 'drift-enum':
      return enumMessage(d.change, d.expected, d.actual);
  }
}

function tableSummary(table: Table): { table: string; columns: string[] } {
  return { table: tableKey(table.schema, table.name), columns: table.columns.map((c) => c.name) };
}

function spellDefault(signature: string): string {
  if (signature === 'none') return 'no default';
  if (signature === 'serial') return 'a serial sequence (nextval)';
  if (signature.startsWith('identity '))
    return `GENERATED ${signature.slice('identity '.length).toUpperCase()} AS IDENTITY`;
  if (signature.startsWith('generated '))
    return `GENERATED ALWAYS AS ${signature.slice('generated '.length)} STORED`;
  return `DEFAULT ${signature.slice('default '.length)}`;
}

function objectMessage<T extends { name: string }>(
  change: Change,
  what: string,
  table: Table,
  expected: T | null,
  actual: T | null,
  spell: (item: T) => string,
): Described {
  const on = tableName(table);
  const details: DriftDetails = { change, expected, actual };
  if (change === 'missing' && expected !== null) {
    return {
      message: `${what} ${expected.name} on ${on} is declared in the models but no migration creates it: ${spell(expected)}.`,
      details,
    };
  }
  if (change === 'unexpected' && actual !== null) {
    return {
      message: `${what} ${actual.name} on ${on} exists after the migrations but no model declares it: ${spell(actual)}.`,
      details,
    };
  }
  if (change === 'renamed' && expected !== null && actual !== null) {
    return {
      message: `${what} on ${on} differs in name only: ${actual.name} after the migrations, ${expected.name} in the models (${spell(expected)}).`,
      details,
    };
  }
  if (change === 'not-validated' && actual !== null) {
    return {
      message: `${what} ${actual.name} on ${on} is NOT VALID after the migrations: existing rows were never checked.`,
      details,
    };
  }
  if (expected !== null && actual !== null) {
    return {
      message: `${what} ${actual.name} on ${on} differs: ${spell(actual)} after the migrations, ${spell(expected)} in the models.`,
      details,
    };
  }
  throw new Error(`inconsistent ${change} difference for ${what} on ${on}`);
}

function enumMessage(
  change: 'missing' | 'unexpected' | 'labels',
  expected: EnumType | null,
  actual: EnumType | null,
): Described {
  const values = (e: EnumType): string => `(${e.labels.map((l) => `'${l}'`).join(', ')})`;
  const details: DriftDetails<EnumType> = { change, expected, actual };
  if (change === 'missing' && expected !== null) {
    return {
      message: `Enum type ${displayName(expected.schema, expected.name)} ${values(expected)} is declared in the models but no migration creates it.`,
      details,
    };
  }
  if (change === 'unexpected' && actual !== null) {
    return {
      message: `Enum type ${displayName(actual.schema, actual.name)} ${values(actual)} exists after the migrations but no model uses it.`,
      details,
    };
  }
  if (expected === null || actual === null) throw new Error('inconsistent enum difference');
  const missing = expected.labels.filter((l) => !actual.labels.includes(l));
  const extra = actual.labels.filter((l) => !expected.labels.includes(l));
  const what = [
    ...(missing.length > 0 ? [`missing ${missing.map((l) => `'${l}'`).join(', ')}`] : []),
    ...(extra.length > 0 ? [`not in the models: ${extra.map((l) => `'${l}'`).join(', ')}`] : []),
    ...(missing.length === 0 && extra.length === 0
      ? ['same values in another order (it changes sorting and comparisons)']
      : []),
  ];
  return {
    message: `Enum type ${displayName(expected.schema, expected.name)} is ${values(actual)} after the migrations but ${values(expected)} in the models: ${what.join('; ')}.`,
    details,
  };
}
