// Questions several rules ask of a statement's syntax tree.
import type {
  AlterActionAddConstraint,
  AlterTableAction,
  AlterTableStmt,
  ColumnConstraint,
  ColumnDefinition,
  Expr,
  Node,
} from 'sql-parser-cst';
import { identifierName } from './names.ts';

export function actionsOf(node: AlterTableStmt): AlterTableAction[] {
  return node.actions.items;
}

/** A column definition's constraints, named (`CONSTRAINT x NOT NULL`) or not. */
export function constraintsOf(column: ColumnDefinition): ColumnConstraint[] {
  return column.constraints.map((c) => (c.type === 'constraint' ? c.constraint : c));
}

export function columnName(column: ColumnDefinition): string {
  return identifierName(column.name) ?? column.name.name;
}

export function hasNotNull(column: ColumnDefinition): boolean {
  return constraintsOf(column).some(
    (c) => c.type === 'constraint_not_null' || c.type === 'constraint_primary_key',
  );
}

/** NULL, NULL::text, CAST(NULL AS text), (NULL). */
function isNull(expr: Expr): boolean {
  switch (expr.type) {
    case 'null_literal':
      return true;
    case 'cast_operator_expr':
      return isNull(expr.left);
    case 'cast_expr':
      return isNull(expr.args.expr.expr);
    case 'paren_expr':
      return expr.expr.type !== 'list_expr' && isNull(expr.expr as Expr);
    default:
      return false;
  }
}

/** The DEFAULT expression, unless it is absent or NULL. */
export function defaultOf(column: ColumnDefinition): Expr | undefined {
  for (const c of constraintsOf(column)) {
    if (c.type === 'constraint_default' && !isNull(c.expr)) return c.expr;
  }
  return undefined;
}

/** GENERATED ... AS IDENTITY or AS (expr) STORED: Postgres computes a value for every existing row. */
export function isGenerated(column: ColumnDefinition): boolean {
  return constraintsOf(column).some((c) => c.type === 'constraint_generated');
}

const SERIAL = /^(?:small|big)?serial[248]?$/i;

/** serial types carry a nextval() default. */
export function isSerial(text: string): boolean {
  return SERIAL.test(text.trim());
}

/** Does Postgres have a value for the existing rows when this column is added? */
export function fillsExistingRows(column: ColumnDefinition, typeText: string): boolean {
  return defaultOf(column) !== undefined || isGenerated(column) || isSerial(typeText);
}

export function isNotValid(action: AlterActionAddConstraint): boolean {
  return action.modifiers.some(
    (m) => Array.isArray(m.kw) && m.kw[0].name === 'NOT' && m.kw[1].name === 'VALID',
  );
}

/** Names of the functions an expression calls (lower case, without schema). */
export function calledFunctions(node: Node): string[] {
  const names: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const candidate = value as { type?: unknown; name?: Node };
    if (candidate.type === 'func_call' && candidate.name !== undefined) {
      const name = candidate.name.type === 'member_expr' ? candidate.name.property : candidate.name;
      const text = identifierName(name);
      if (text !== undefined) names.push(text);
    }
    for (const [key, child] of Object.entries(value)) if (key !== 'range') visit(child);
  };
  visit(node);
  return names;
}

/** Plain column names of a parenthesised list; undefined when an entry is an expression. */
export function plainColumns(items: readonly Node[]): string[] | undefined {
  const names: string[] = [];
  for (const item of items) {
    const target = item.type === 'index_specification' ? item.expr : item;
    const name = identifierName(target);
    if (name === undefined) return undefined;
    names.push(name);
  }
  return names;
}
