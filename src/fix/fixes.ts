// Fixes as edits of the migration file: where the fix of a finding replaces
// contiguous lines of the revision (the op it points at, or a pair of ops),
// the new lines, written with the file's own indentation and quote style.
// Used for GitHub's one-click `suggestion` blocks and by `alembic-review fix`.
//
//   drop-and-add-column              add_column + drop_column → alter_column(new_column_name=),
//                                    and the reverse pair in downgrade()
//   not-null-column-without-default  add nullable, backfill, then alter_column(nullable=False)
//   fails-on-existing-rows           the same, when the failing op is such an add_column
//   create-index-non-concurrently    create_index(postgresql_concurrently=True) in an autocommit_block
//   add-foreign-key-validates        create_foreign_key(postgresql_not_valid=True), then VALIDATE
//                                    in an autocommit_block (its own transaction)
import { sqlIdent, sqlName } from '../schema/literals.ts';
import type { Edit, Finding } from '../model.ts';
import {
  enclosingFunction,
  functionBody,
  keyword,
  opCall,
  positional,
  pyString,
  splitArguments,
  statementAt,
  stringValue,
  type Call,
  type LogicalLine,
  type SourceFile,
} from './python-source.ts';

type Fixer = (finding: Finding, source: SourceFile, file: string) => Edit[] | null;

/** The statement at a line, when it is one `op.name(...)` call. */
function opAt(source: SourceFile, line: number | undefined, name: string): OpStatement | null {
  if (line === undefined) return null;
  const statement = statementAt(source, line);
  if (statement === undefined) return null;
  const call = opCall(statement);
  return call?.name === name ? { statement, call } : null;
}

interface OpStatement {
  statement: LogicalLine;
  call: Call;
}

/** The call's text with more keyword arguments before its closing parenthesis. */
function withArguments(op: OpStatement, extra: string): string {
  const text = op.statement.text;
  const head = text.slice(0, op.call.closeAt);
  const tail = text.slice(op.call.closeAt);
  const trailing = /(,?)(\s*)$/.exec(head);
  const body = head.slice(0, trailing?.index ?? head.length);
  return trailing?.[1] === ','
    ? `${body}, ${extra},${trailing[2] ?? ''}${tail}`
    : `${body}, ${extra}${trailing?.[2] ?? ''}${tail}`;
}

/** Lines of code at an indentation (continuation lines keep their own, shifted alike). */
function indented(code: string, indent: string, extra = ''): string[] {
  return code.split('\n').map((line, i) => (i === 0 ? `${indent}${extra}${line}` : `${extra}${line}`));
}

function edit(file: string, from: number, to: number, lines: string[], note?: string): Edit {
  return {
    file,
    startLine: from,
    endLine: to,
    replacement: lines.join('\n'),
    ...(note === undefined ? {} : { note }),
  };
}

function schemaOf(call: Call, name = 'schema'): { sql: string; argument: string } {
  const argument = keyword(call.args, name);
  const value = stringValue(argument);
  return { sql: value ?? 'public', argument: argument === undefined ? '' : `, ${name}=${argument}` };
}

/** `sa.Column('name', TYPE, ...)` → its arguments, when the expression is such a call. */
function columnArguments(expression: string | undefined): string[] | null {
  const match = /^(?:\w+\.)*Column\s*\(([\s\S]*)\)$/.exec(expression?.trim() ?? '');
  return match === null ? null : splitArguments(match[1] ?? '');
}

/** A value for existing rows that every value of the type accepts, by the SQL type of the column. */
function backfillValue(sqlType: string): string | null {
  const type = sqlType.trim().toLowerCase();
  if (/^(character varying|varchar|character|char|text|citext|bpchar)\b/.test(type)) return "''";
  if (
    /^(smallint|integer|int|int2|int4|int8|bigint|numeric|decimal|real|double precision|float)\b/.test(type)
  )
    return '0';
  if (/^bool/.test(type)) return 'false';
  if (/^(timestamp|date)\b/.test(type)) return 'now()';
  if (/^time\b/.test(type)) return 'current_time';
  if (/^interval\b/.test(type)) return "'0'";
  if (/^jsonb?\b/.test(type)) return "'{}'";
  if (/^uuid\b/.test(type)) return 'gen_random_uuid()';
  if (/\[\]$/.test(type)) return "'{}'";
  return null;
}

/** The SQL type of the column an ADD COLUMN statement adds. */
function addedType(sql: string | undefined, column: string): string | null {
  if (sql === undefined) return null;
  const quoted = `(?:"${column.replaceAll('"', '""')}"|${column})`;
  const match = new RegExp(
    `\\bADD\\s+(?:COLUMN\\s+)?(?:IF\\s+NOT\\s+EXISTS\\s+)?${quoted}\\s+(.+?)(?:\\s+(?:NOT\\s+NULL|NULL|DEFAULT|CONSTRAINT|REFERENCES|CHECK|UNIQUE|PRIMARY|COLLATE|GENERATED)\\b|,|$)`,
    'is',
  ).exec(sql);
  return match?.[1]?.trim() ?? null;
}

/** add_column(..., nullable=False) → add it nullable, backfill the existing rows, set NOT NULL. */
const notNullBackfill: Fixer = (finding, source, file) => {
  const op = opAt(source, finding.line, 'add_column');
  if (op === null) return null;
  const [tableArg, columnArg] = positional(op.call.args);
  const table = stringValue(tableArg);
  const columnArgs = columnArguments(columnArg);
  const column = stringValue(columnArgs?.[0]);
  if (table === undefined || columnArgs === null || column === undefined) return null;
  const text = op.statement.text;
  if ((text.match(/\bnullable\s*=\s*False\b/g) ?? []).length !== 1) return null;
  const type = addedType(finding.sql, column);
  const value = type === null ? null : backfillValue(type);
  if (value === null) return null;
  const schema = schemaOf(op.call);
  const q = (s: string): string => pyString(s, source.quote);
  const target = sqlName(schema.sql, table);
  const indent = op.statement.indent;
  const update = `UPDATE ${target} SET ${sqlIdent(column)} = ${value} WHERE ${sqlIdent(column)} IS NULL`;
  return [
    edit(
      file,
      op.statement.start,
      op.statement.end,
      [
        ...indented(text.replace(/\bnullable\s*=\s*False\b/, 'nullable=True'), indent),
        `${indent}op.execute(${q(update)})`,
        `${indent}op.alter_column(${q(table)}, ${q(column)}, nullable=False${schema.argument})`,
      ],
      `The existing rows get ${value}: if they need another value, change it in the UPDATE before committing.`,
    ),
  ];
};

/** The range of two statements of one function, the lines between them kept. */
function replacePair(
  source: SourceFile,
  file: string,
  a: OpStatement,
  b: OpStatement,
  replacement: string,
): Edit {
  const [first, second] = a.statement.start < b.statement.start ? [a, b] : [b, a];
  const between = source.lines.slice(first.statement.end, second.statement.start - 1);
  return edit(file, first.statement.start, second.statement.end, [
    `${first.statement.indent}${replacement}`,
    ...between,
  ]);
}

/** In a function's body: add_column(table, Column(added...)) and drop_column(table, dropped). */
function findPair(
  body: readonly LogicalLine[],
  table: string,
  added: string,
  dropped: string,
): { add: OpStatement; drop: OpStatement } | null {
  let add: OpStatement | null = null;
  let drop: OpStatement | null = null;
  for (const statement of body) {
    const call = opCall(statement);
    if (call === undefined) continue;
    const [tableArg, second] = positional(call.args);
    if (stringValue(tableArg) !== table) continue;
    if (call.name === 'add_column' && stringValue(columnArguments(second)?.[0]) === added)
      add ??= { statement, call };
    if (call.name === 'drop_column' && stringValue(second) === dropped) drop ??= { statement, call };
  }
  return add === null || drop === null ? null : { add, drop };
}

/** drop_column + add_column → alter_column(new_column_name=) in upgrade(), and the reverse in downgrade(). */
const renameColumn: Fixer = (finding, source, file) => {
  const dropped = finding.column;
  const added = finding.details?.addedColumn;
  if (dropped === undefined || typeof added !== 'string') return null;
  const drop = opAt(source, finding.line, 'drop_column');
  if (drop === null) return null;
  const table = stringValue(positional(drop.call.args)[0]);
  const functionName = enclosingFunction(source, drop.statement);
  if (table === undefined || functionName === undefined) return null;
  const upgrade = findPair(functionBody(source, functionName), table, added, dropped);
  if (upgrade === null || upgrade.drop.statement !== drop.statement) return null;
  const q = (s: string): string => pyString(s, source.quote);
  const schema = schemaOf(drop.call);
  // A rename that also changes the type (the rule saw compatible but different types).
  const retype = finding.suggestion?.code?.includes('type_=') === true;
  const addedType = columnArguments(positional(upgrade.add.call.args)[1])?.[1];
  const typeArgument = retype && addedType !== undefined ? `, type_=${addedType}` : '';
  const edits = [
    replacePair(
      source,
      file,
      upgrade.add,
      upgrade.drop,
      `op.alter_column(${q(table)}, ${q(dropped)}, new_column_name=${q(added)}${typeArgument}${schema.argument})`,
    ),
  ];
  if (functionName === 'upgrade') {
    const downgrade = findPair(functionBody(source, 'downgrade'), table, dropped, added);
    if (downgrade !== null) {
      edits.push(
        replacePair(
          source,
          file,
          downgrade.add,
          downgrade.drop,
          `op.alter_column(${q(table)}, ${q(added)}, new_column_name=${q(dropped)}${schema.argument})`,
        ),
      );
    }
  }
  return edits;
};

const AUTOCOMMIT = 'with op.get_context().autocommit_block():';

/** create_index → the same, CONCURRENTLY, outside the migration's transaction. */
const concurrentIndex: Fixer = (finding, source, file) => {
  const op = opAt(source, finding.line, 'create_index');
  if (op === null || keyword(op.call.args, 'postgresql_concurrently') !== undefined) return null;
  const indent = op.statement.indent;
  return [
    edit(file, op.statement.start, op.statement.end, [
      `${indent}${AUTOCOMMIT}`,
      ...indented(withArguments(op, 'postgresql_concurrently=True'), indent, source.indentUnit),
    ]),
  ];
};

/** The name Postgres gives a foreign key created without one: table_col1_col2_fkey. */
function constraintName(call: Call, sql: string | undefined): string | null {
  const named = /\bADD\s+CONSTRAINT\s+("(?:[^"]|"")+"|\S+)/i.exec(sql ?? '')?.[1];
  if (named !== undefined)
    return named.startsWith('"') ? named.slice(1, -1).replaceAll('""', '"') : named.toLowerCase();
  const [nameArg, sourceArg, , localArg] = positional(call.args);
  const literal = stringValue(nameArg) ?? stringValue(/^op\.f\(([\s\S]*)\)$/.exec(nameArg ?? '')?.[1]);
  if (literal !== undefined) return literal;
  const table = stringValue(sourceArg);
  const list = /^\[([\s\S]*)\]$/.exec(localArg?.trim() ?? '')?.[1];
  const columns = list === undefined ? [] : splitArguments(list).map(stringValue);
  if (table === undefined || columns.length === 0 || columns.some((c) => c === undefined)) return null;
  return `${table}_${(columns as string[]).join('_')}_fkey`.slice(0, 63);
}

/** create_foreign_key → NOT VALID (no scan under the lock), then VALIDATE in its own transaction. */
const notValidForeignKey: Fixer = (finding, source, file) => {
  const op = opAt(source, finding.line, 'create_foreign_key');
  if (op === null || keyword(op.call.args, 'postgresql_not_valid') !== undefined) return null;
  const table = stringValue(positional(op.call.args)[1]);
  const name = constraintName(op.call, finding.sql);
  if (table === undefined || name === null) return null;
  const schema = stringValue(keyword(op.call.args, 'source_schema')) ?? 'public';
  const indent = op.statement.indent;
  const validate = `ALTER TABLE ${sqlName(schema, table)} VALIDATE CONSTRAINT ${sqlIdent(name)}`;
  return [
    edit(file, op.statement.start, op.statement.end, [
      ...indented(withArguments(op, 'postgresql_not_valid=True'), indent),
      `${indent}${AUTOCOMMIT}`,
      `${indent}${source.indentUnit}op.execute(${pyString(validate, source.quote)})`,
    ]),
  ];
};

const FIXERS: Record<string, Fixer> = {
  'drop-and-add-column': renameColumn,
  'not-null-column-without-default': notNullBackfill,
  'fails-on-existing-rows': notNullBackfill,
  'create-index-non-concurrently': concurrentIndex,
  'add-foreign-key-validates': notValidForeignKey,
};

/** What the edits do, for findings whose rule offers no suggestion of its own. */
const TEXT: Record<string, string> = {
  'fails-on-existing-rows':
    'Add the column as nullable, backfill the existing rows, then set NOT NULL (or give it a server_default).',
};

export function fixText(ruleId: string): string {
  return TEXT[ruleId] ?? 'Make the suggested change.';
}

/** Rules whose findings can come with edits. */
export const FIXABLE_RULES: readonly string[] = Object.keys(FIXERS);

/** Whether a finding can get edits at all (a rule with a fixer, in a file, not main's): no file is read for the others. */
export function isFixable(finding: Finding): finding is Finding & { file: string } {
  return FIXERS[finding.ruleId] !== undefined && finding.file !== undefined && finding.origin !== 'base';
}

/** The edits that fix a finding in its file (source: the file's text), or null when there is no such fix. */

export function editsFor(finding: Finding, source: SourceFile): Edit[] | null {
  const fixer = FIXERS[finding.ruleId];
  if (fixer === undefined || !isFixable(finding)) return null;
  const edits = fixer(finding, source, finding.file);
  return edits === null || edits.length === 0 ? null : edits;
}
