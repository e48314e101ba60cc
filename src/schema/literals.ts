// Spelling names and values in the code the drift fixes suggest: Python
// string literals for op.* arguments, SQL identifiers and string constants for
// the op.execute() statements.

/** A Python string literal: single quotes like autogenerate, double when that avoids escapes. */
export function py(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = '';
  for (const char of value) {
    if (char === '\\') out += '\\\\';
    else if (char === quote) out += `\\${quote}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else out += char;
  }
  return `${quote}${out}${quote}`;
}

/** A Python list of string literals. */
export function pyList(values: readonly string[]): string {
  return `[${values.map(py).join(', ')}]`;
}

// Keywords PostgreSQL reserves (also those allowed only as function or type
// names): an identifier spelled like one must be quoted.
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate ' +
    'collation column concurrently constraint create cross current_catalog current_date current_role ' +
    'current_schema current_time current_timestamp current_user default deferrable desc distinct do else end ' +
    'except false fetch for foreign freeze from full grant group having ilike in initially inner intersect ' +
    'into is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null ' +
    'offset on only or order outer overlaps placing primary references returning right select session_user ' +
    'similar some symmetric system_user table tablesample then to trailing true union unique user using ' +
    'variadic verbose when where window with'
  ).split(' '),
);

/** A SQL identifier, quoted only when PostgreSQL needs it (as quote_ident does). */
export function sqlIdent(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name)) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

/** A relation or type name for SQL: unqualified in public, schema-qualified elsewhere. */
export function sqlName(schema: string, name: string): string {
  return schema === 'public' ? sqlIdent(name) : `${sqlIdent(schema)}.${sqlIdent(name)}`;
}

/** A SQL string constant. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
