// Questions about the expressions of a statement (a CHECK, a unique index's
// key or predicate): which columns they read, and whether they are plain
// enough to run on a preflight database — only column references, literals,
// operators and a few well-known immutable functions, so that the query the
// preflight runs is the tool's own, not code from the pull request.
import type { Node } from 'sql-parser-cst';
import { identifierName } from '../../lint/names.ts';

/** Functions a plain expression may call: built in, immutable, no side effects. */
const PLAIN_FUNCTIONS = new Set([
  'abs',
  'btrim',
  'ceil',
  'char_length',
  'character_length',
  'coalesce',
  'floor',
  'greatest',
  'least',
  'length',
  'lower',
  'ltrim',
  'nullif',
  'octet_length',
  'round',
  'rtrim',
  'sign',
  'trim',
  'trunc',
  'upper',
]);

/** Node types a plain expression is built from (function calls and casts are checked apart). */
const PLAIN_NODES = new Set([
  'identifier',
  'number_literal',
  'string_literal',
  'boolean_literal',
  'null_literal',
  'binary_expr',
  'prefix_op_expr',
  'postfix_op_expr',
  'paren_expr',
  'list_expr',
  'between_expr',
  'case_expr',
  'case_when',
  'case_else',
  'keyword',
  'func_args',
  'quantifier_expr',
  'array_literal_expr',
  'array_expr',
]);

/** Built-in types a plain expression may cast to (a user type's input function is code). */
const PLAIN_CASTS = new Set([
  'text',
  'varchar',
  'bpchar',
  'int',
  'int2',
  'int4',
  'int8',
  'integer',
  'smallint',
  'bigint',
  'numeric',
  'real',
  'float4',
  'float8',
  'bool',
  'boolean',
  'date',
  'timestamp',
  'timestamptz',
  'interval',
  'character varying',
  'character',
  'double precision',
  'timestamp with time zone',
  'timestamp without time zone',
]);

type Visit = (value: unknown, parentKey: string) => void;

/** Walks an expression's tree, skipping the type of casts and the names of functions. */
function walk(node: Node, onNode: (node: Node, parentKey: string) => boolean): void {
  const visit: Visit = (value, parentKey) => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, parentKey);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const candidate = value as Node;
    if (!onNode(candidate, parentKey)) return;
    if (candidate.type === 'cast_operator_expr') {
      visit(candidate.left, 'left');
      return;
    }
    if (candidate.type === 'cast_expr') {
      visit(candidate.args.expr.expr, 'expr');
      return;
    }
    for (const [key, child] of Object.entries(value)) if (key !== 'range') visit(child, key);
  };
  visit(node, '');
}

/** Lower-case names of the columns an expression reads, in order of appearance. */
export function referencedColumns(node: Node): string[] {
  const names: string[] = [];
  walk(node, (candidate, parentKey) => {
    if (candidate.type !== 'identifier') return true;
    // A function's name is not a column.
    const name = parentKey === 'name' ? undefined : identifierName(candidate);
    if (name !== undefined && !names.includes(name)) names.push(name);
    return false;
  });
  return names;
}

function castTarget(node: Node): string | undefined {
  if (node.type === 'identifier') return identifierName(node);
  if (node.type === 'data_type_name') {
    const name = node.name;
    return (Array.isArray(name) ? name : [name]).map((k) => k.name.toLowerCase()).join(' ');
  }
  if (node.type === 'modified_data_type') return castTarget(node.dataType);
  return undefined;
}

/**
 * True when the expression uses only the given columns, literals, operators,
 * casts to built-in types and the functions of PLAIN_FUNCTIONS.
 */
export function isPlainExpression(node: Node, columns: ReadonlySet<string>): boolean {
  let plain = true;
  walk(node, (candidate, parentKey) => {
    if (!plain) return false;
    switch (candidate.type) {
      case 'func_call': {
        const name = candidate.name.type === 'identifier' ? identifierName(candidate.name) : undefined;
        if (name === undefined || !PLAIN_FUNCTIONS.has(name)) plain = false;
        return plain;
      }
      case 'cast_operator_expr':
      case 'cast_expr': {
        const target = castTarget(
          candidate.type === 'cast_operator_expr' ? candidate.right : candidate.args.expr.dataType,
        );
        if (target === undefined || !PLAIN_CASTS.has(target)) plain = false;
        return plain;
      }
      case 'identifier': {
        const name = parentKey === 'name' ? undefined : identifierName(candidate);
        if (parentKey !== 'name' && (name === undefined || !columns.has(name))) plain = false;
        return false;
      }
      default:
        if (!PLAIN_NODES.has(candidate.type)) plain = false;
        return plain;
    }
  });
  return plain;
}
