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

// Every keyword that is not "unreserved" (pg_get_keywords() of PostgreSQL 15):
// quote_ident, and so pg_get_indexdef, quotes an identifier spelled like one.
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization between bigint binary bit ' +
    'boolean both case cast char character check coalesce collate collation column concurrently ' +
    'constraint create cross current_catalog current_date current_role current_schema current_time ' +
    'current_timestamp current_user dec decimal default deferrable desc distinct do else end except ' +
    'exists extract false fetch float for foreign freeze from full grant greatest group grouping having ' +
    'ilike in initially inner inout int integer intersect interval into is isnull join lateral leading ' +
    'least left like limit localtime localtimestamp national natural nchar none normalize not notnull ' +
    'null nullif numeric offset on only or order out outer overlaps overlay placing position precision ' +
    'primary real references returning right row select session_user setof similar smallint some ' +
    'substring symmetric table tablesample then time timestamp to trailing treat trim true union unique ' +
    'user using values varchar variadic verbose when where window with xmlattributes xmlconcat ' +
    'xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

/** A SQL identifier, quoted only when PostgreSQL needs it (as quote_ident does). */
export function sqlIdent(name: string): string {
  if (/^[a-z_][a-z0-9_]*$/.test(name) && !RESERVED.has(name)) return name;
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
