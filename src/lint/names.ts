// Names as Postgres reads them: unquoted identifiers fold to lower case,
// quoted ones keep theirs; an unqualified table is in public (the lint stage
// does not follow search_path).
import type { Node } from 'sql-parser-cst';
import { displayName, tableKey } from '../schema/types.ts';
import type { TableRef } from './types.ts';

export const DEFAULT_SCHEMA = 'public';

/** The name an identifier node denotes. */
export function identifierName(node: Node): string | undefined {
  if (node.type !== 'identifier') return undefined;
  return node.text.startsWith('"') ? node.name : node.name.toLowerCase();
}

export function tableRef(schema: string, name: string): TableRef {
  return { schema, name, key: tableKey(schema, name), display: displayName(schema, name) };
}

/** A table name node (`users`, `audit.log`, `ONLY users`), resolved. */
export function tableOf(node: Node): TableRef | undefined {
  switch (node.type) {
    case 'identifier': {
      const name = identifierName(node);
      return name === undefined ? undefined : tableRef(DEFAULT_SCHEMA, name);
    }
    case 'member_expr': {
      const schema = identifierName(node.object);
      const name = identifierName(node.property);
      return schema === undefined || name === undefined ? undefined : tableRef(schema, name);
    }
    case 'table_without_inheritance':
    case 'table_with_inheritance':
      return tableOf(node.table);
    default:
      return undefined;
  }
}

/** A relation as the replay names it in locks and rewrites: "users" (public) or "audit.log". */
export function relationRef(relation: string): TableRef {
  const dot = relation.indexOf('.');
  return dot === -1
    ? tableRef(DEFAULT_SCHEMA, relation)
    : tableRef(relation.slice(0, dot), relation.slice(dot + 1));
}
