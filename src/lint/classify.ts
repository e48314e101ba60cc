// The cheap prefilter before parsing: the statement type a captured SQL text
// will parse to, read from its leading keywords. The engine parses only texts
// whose type some rule inspects; a text it cannot classify for sure (WITH ...,
// several statements in one op.execute) is always parsed.
import { DEFAULT_SCHEMA, tableRef } from './names.ts';
import type { StatementType, TableRef } from './types.ts';

const LEADING: readonly (readonly [RegExp, StatementType])[] = [
  [/^ALTER\s+TABLE\b/i, 'alter_table_stmt'],
  [/^CREATE\s+(?:UNIQUE\s+)?INDEX\b/i, 'create_index_stmt'],
  [/^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\b/i, 'create_table_stmt'],
  [/^DROP\s+TABLE\b/i, 'drop_table_stmt'],
  [/^DROP\s+INDEX\b/i, 'drop_index_stmt'],
  [/^REINDEX\b/i, 'reindex_stmt'],
  [/^UPDATE\b/i, 'update_stmt'],
  [/^DELETE\b/i, 'delete_stmt'],
  [/^INSERT\b/i, 'insert_stmt'],
  [/^SELECT\b/i, 'select_stmt'],
  [/^SET\s+(?:(?:SESSION|LOCAL)\s+)?TIME\s+ZONE\b/i, 'set_time_zone_parameter_stmt'],
  [/^SET\b/i, 'set_parameter_stmt'],
  [/^RESET\b/i, 'reset_parameter_stmt'],
  [/^COMMENT\b/i, 'comment_stmt'],
  [/^TRUNCATE\b/i, 'truncate_stmt'],
  [/^(?:COMMIT|END)\b/i, 'commit_transaction_stmt'],
  [/^(?:BEGIN|START\s+TRANSACTION)\b/i, 'start_transaction_stmt'],
  [/^CREATE\s+TYPE\b/i, 'create_type_stmt'],
  [/^ALTER\s+TYPE\b/i, 'alter_type_stmt'],
  [/^DROP\s+TYPE\b/i, 'drop_type_stmt'],
  [/^CREATE\s+SEQUENCE\b/i, 'create_sequence_stmt'],
  [/^ALTER\s+SEQUENCE\b/i, 'alter_sequence_stmt'],
  [/^DROP\s+SEQUENCE\b/i, 'drop_sequence_stmt'],
  [/^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+|TEMPORARY\s+)?(?:RECURSIVE\s+)?VIEW\b/i, 'create_view_stmt'],
  [/^DROP\s+VIEW\b/i, 'drop_view_stmt'],
  [/^ALTER\s+INDEX\b/i, 'alter_index_stmt'],
  [/^GRANT\b/i, 'grant_privilege_stmt'],
  [/^REVOKE\b/i, 'revoke_privilege_stmt'],
];

// Whitespace and semicolons a text may end with.
const TRAILING = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0c, 0x3b]);
const LEADING_NOISE = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)+/;

// A possibly schema-qualified, possibly quoted name.
const NAME = String.raw`("(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s*\.\s*("(?:[^"]|"")+"|[A-Za-z_][\w$]*))?`;
const TARGETS: readonly (readonly [StatementType, RegExp])[] = [
  ['alter_table_stmt', new RegExp(String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${NAME}`, 'i')],
  [
    'create_index_stmt',
    new RegExp(
      String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:[\w$"]+\s+)?ON\s+(?:ONLY\s+)?${NAME}`,
      'i',
    ),
  ],
  [
    'create_table_stmt',
    new RegExp(
      String.raw`^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${NAME}`,
      'i',
    ),
  ],
];

const unquote = (name: string): string =>
  name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();

/**
 * The table an ALTER TABLE, CREATE INDEX or CREATE TABLE names, from its
 * leading keywords (undefined when they do not settle it): for the cheap
 * tests that skip statements on tables no rule cares about.
 */
export function leadingTable(sql: string): TableRef | undefined {
  const text = sql.replace(LEADING_NOISE, '');
  const type = classify(sql);
  const pattern = TARGETS.find(([t]) => t === type)?.[1];
  const match = pattern?.exec(text);
  if (match?.[1] === undefined) return undefined;
  return match[2] === undefined
    ? tableRef(DEFAULT_SCHEMA, unquote(match[1]))
    : tableRef(unquote(match[1]), unquote(match[2]));
}

/**
 * The type `sql` parses to, or undefined when the leading keywords do not
 * settle it. A text with a semicolon before its end may hold several
 * statements of other types, so it is never classified.
 */
export function classify(sql: string): StatementType | undefined {
  const text = sql.replace(LEADING_NOISE, '');
  let end = text.length;
  while (end > 0 && TRAILING.has(text.charCodeAt(end - 1))) end--;
  if (text.lastIndexOf(';', end - 1) !== -1) return undefined;
  for (const [pattern, type] of LEADING) if (pattern.test(text)) return type;
  return undefined;
}
