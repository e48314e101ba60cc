// Pieces of suggested Alembic code that several rules write: how a table is
// named in op.* calls and in raw SQL, and CREATE INDEX as op.create_index.
import type { CreateIndexStmt } from 'sql-parser-cst';
import { sqlIdent, sqlName } from '../schema/literals.ts';
import { DEFAULT_SCHEMA, identifierName } from './names.ts';
import { py, pyList } from './python.ts';
import { parseColumnType, sqlalchemyType } from './sql-types.ts';
import { plainColumns } from './syntax.ts';
import type { ParsedStatement, TableRef } from './types.ts';

/** `, schema="audit"` for tables outside public, else nothing. */
export function schemaArg(table: TableRef, keyword = 'schema'): string {
  return table.schema === DEFAULT_SCHEMA ? '' : `, ${keyword}=${py(table.schema)}`;
}

/** An identifier for raw SQL: bare when Postgres would read it back unchanged (not for `user`, `order`, …). */
export const sqlIdentifier = sqlIdent;

/** A table for raw SQL: `users`, `audit.log`. */
export function sqlTable(table: TableRef): string {
  return sqlName(table.schema, table.name);
}

/**
 * A unique or primary key constraint without the long lock: its unique index
 * built CONCURRENTLY in an autocommit block, then attached with USING INDEX.
 */
export function constraintUsingIndex(
  table: TableRef,
  name: string,
  columns: string[],
  kind: 'UNIQUE' | 'PRIMARY KEY',
): string {
  return [
    'with op.get_context().autocommit_block():',
    `    op.create_index(${py(name)}, ${py(table.name)}, ${pyList(columns)}${schemaArg(table)}, unique=True, postgresql_concurrently=True)`,
    `op.execute(${py(`ALTER TABLE ${sqlTable(table)} ADD CONSTRAINT ${sqlIdent(name)} ${kind} USING INDEX ${sqlIdent(name)}`)})`,
  ].join('\n');
}

/** The op.create_index call for a CREATE INDEX statement, built CONCURRENTLY. */
export function concurrentCreateIndex(
  statement: ParsedStatement,
  node: CreateIndexStmt,
  table: TableRef,
): string {
  const columnsNode = node.columns.expr;
  const items = columnsNode.type === 'list_expr' ? columnsNode.items : [];
  const plain = plainColumns(items);
  const columns =
    plain !== undefined
      ? pyList(plain)
      : `[${items.map((item) => `sa.text(${py(statement.text(item))})`).join(', ')}]`;
  const name =
    node.name === undefined
      ? `ix_${table.name}_${(plain ?? ['expr']).join('_')}`
      : (identifierName(node.name.type === 'member_expr' ? node.name.property : node.name) ??
        statement.text(node.name));
  const options: string[] = [];
  if (node.indexTypeKw?.name === 'UNIQUE') options.push('unique=True');
  if (node.using !== undefined)
    options.push(`postgresql_using=${py(statement.text(node.using.method).toLowerCase())}`);
  for (const clause of node.clauses) {
    if (clause.type === 'where_clause')
      options.push(`postgresql_where=sa.text(${py(statement.text(clause.expr))})`);
  }
  options.push('postgresql_concurrently=True');
  return [
    'with op.get_context().autocommit_block():',
    `    op.create_index(${py(name)}, ${py(table.name)}, ${columns}${schemaArg(table)}, ${options.join(', ')})`,
  ].join('\n');
}

/**
 * `sa.Column("name", sa.String(length=100), nullable=True)`. A type without a
 * well-known SQLAlchemy spelling is left as TYPE with a comment naming it.
 */
export function columnCode(
  name: string,
  typeText: string | undefined,
  options: string,
): { code: string; note: string } {
  const type = typeText === undefined ? undefined : sqlalchemyType(parseColumnType(typeText));
  return {
    code: `sa.Column(${py(name)}, ${type ?? 'TYPE'}, ${options})`,
    note:
      type === undefined
        ? `  # TYPE: the column's type${typeText === undefined ? '' : ` (${typeText})`}`
        : '',
  };
}
