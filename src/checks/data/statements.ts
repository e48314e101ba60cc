// Which statements of the new revisions validate the data already in a
// table that existed at the base, and what would make each fail: ADD UNIQUE,
// a unique index and ADD PRIMARY KEY (duplicates; NULLs for a primary key),
// ADD FOREIGN KEY without NOT VALID (orphans), SET NOT NULL (NULLs), ADD
// CHECK without NOT VALID (a row that violates it), and ALTER COLUMN … TYPE
// (a string of the old length, a value that does not convert, a row using an
// enum label the new type lacks). Columns the change adds are left out: they
// hold nothing at the base. The statements are the ones the replay captured
// (sql-parser-cst, as the lint stage reads them).
import type {
  AlterActionAddConstraint,
  AlterActionAlterColumn,
  AlterTableStmt,
  CreateIndexStmt,
  Node,
} from 'sql-parser-cst';
import type { BridgeStatement } from '../../alembic/protocol.ts';
import { classify } from '../../lint/classify.ts';
import { identifierName, tableOf } from '../../lint/names.ts';
import { parseTexts, sourceText } from '../../lint/parse.ts';
import { parseColumnType, safeTypeChange, type ColumnType } from '../../lint/sql-types.ts';
import { isNotValid } from '../../lint/syntax.ts';
import type { StatementType, TableRef } from '../../lint/types.ts';
import { sqlIdent } from '../../schema/literals.ts';
import type { Column, Schema, Table } from '../../schema/types.ts';
import { EnumCatalog, typeKeyOfText } from './enums.ts';
import { isPlainExpression, referencedColumns } from './expressions.ts';
import type { CaseSpec, DataCase } from './types.ts';

export interface CapturedRevision {
  id: string;
  /** Absolute path of the revision file. */
  path: string;
  /** What it ran on the replay with rows, in order. */
  statements: readonly BridgeStatement[];
}

/** Statement types that can validate data or change the enum types. */
const INSPECTED = new Set<StatementType>([
  'alter_table_stmt',
  'create_index_stmt',
  'create_type_stmt',
  'alter_type_stmt',
  'drop_type_stmt',
]);

interface Where {
  position: number;
  revision: CapturedRevision;
  index: number;
  statement: BridgeStatement;
  text: (node: Node) => string;
}

/** The validating statements of the change, in execution order. */
export function findCases(revisions: readonly CapturedRevision[], base: Schema): DataCase[] {
  const entries = revisions.flatMap((revision) =>
    revision.statements.map((statement, index) => ({ revision, statement, index })),
  );
  const wanted = entries.filter((e) => {
    const type = classify(e.statement.sql);
    return type === undefined || INSPECTED.has(type);
  });
  const parsed = parseTexts(wanted.map((e) => e.statement.sql));
  const enums = new EnumCatalog(base.enums);
  const cases: DataCase[] = [];
  const finder = new CaseFinder(base, enums);
  wanted.forEach((entry, i) => {
    const result = parsed[i];
    if (result?.ok !== true) return;
    const where: Where = {
      position: entries.indexOf(entry),
      revision: entry.revision,
      index: entry.index,
      statement: entry.statement,
      text: (node) => sourceText(result.source, node),
    };
    for (const node of result.statements) {
      switch (node.type) {
        case 'create_type_stmt':
        case 'alter_type_stmt':
        case 'drop_type_stmt':
          enums.apply(node);
          break;
        case 'alter_table_stmt':
          cases.push(...finder.alterTable(node, where));
          break;
        case 'create_index_stmt':
          cases.push(...finder.uniqueIndex(node, where));
          break;
        default:
          break;
      }
    }
  });
  return cases;
}

const TEXT_TYPES = new Set(['text', 'character varying', 'character', 'citext', 'name']);
const INTEGER_TYPES = ['smallint', 'integer', 'bigint'];
const NUMBER_TYPES = new Set(['numeric', 'real', 'double precision']);

/** Could some value of `from` fail to convert to `to` (beyond a length limit)? */
function mayFailCast(from: ColumnType, to: ColumnType): boolean {
  if (TEXT_TYPES.has(to.name) && to.args.length === 0) return false;
  if (TEXT_TYPES.has(from.name)) return !TEXT_TYPES.has(to.name);
  const rank = INTEGER_TYPES.indexOf(from.name);
  if (rank !== -1) {
    const toRank = INTEGER_TYPES.indexOf(to.name);
    return (toRank !== -1 && toRank < rank) || (to.name === 'numeric' && to.args.length > 0);
  }
  if (NUMBER_TYPES.has(from.name)) {
    return (
      INTEGER_TYPES.includes(to.name) || (to.name === 'numeric' && to.args.length > 0) || to.name === 'real'
    );
  }
  return false;
}

class CaseFinder {
  readonly #base: Schema;
  readonly #enums: EnumCatalog;

  constructor(base: Schema, enums: EnumCatalog) {
    this.#base = base;
    this.#enums = enums;
  }

  #table(ref: TableRef | undefined): Table | undefined {
    const table = ref === undefined ? undefined : this.#base.tables[ref.key];
    return table?.kind === 'table' || table?.kind === 'partitioned table' ? table : undefined;
  }

  /** The base columns by name, or undefined when one of them is not a base column. */
  #columns(table: Table, names: readonly string[]): Column[] | undefined {
    const columns: Column[] = [];
    for (const name of names) {
      const column = table.columns.find((c) => c.name === name);
      if (column === undefined) return undefined;
      columns.push(column);
    }
    return columns.length > 0 ? columns : undefined;
  }

  #make(
    where: Where,
    table: Table,
    ref: TableRef,
    columns: Column[],
    constraint: string | undefined,
    spec: CaseSpec,
  ): DataCase {
    return {
      position: where.position,
      revision: where.revision.id,
      revisionPath: where.revision.path,
      index: where.index,
      statement: where.statement,
      table,
      tableRef: ref,
      columns,
      constraint,
      spec,
    };
  }

  alterTable(node: AlterTableStmt, where: Where): DataCase[] {
    const ref = tableOf(node.table);
    const table = this.#table(ref);
    if (ref === undefined || table === undefined) return [];
    const cases: DataCase[] = [];
    for (const action of node.actions.items) {
      if (action.type === 'alter_action_add_constraint')
        cases.push(...this.#addConstraint(action, where, table, ref));
      else if (action.type === 'alter_action_alter_column')
        cases.push(...this.#alterColumn(action, where, table, ref));
    }
    return cases;
  }

  #addConstraint(action: AlterActionAddConstraint, where: Where, table: Table, ref: TableRef): DataCase[] {
    if (isNotValid(action)) return [];
    const name = action.name === undefined ? undefined : identifierName(action.name.name);
    const constraint = action.constraint;
    switch (constraint.type) {
      case 'constraint_unique':
      case 'constraint_primary_key': {
        if (constraint.columns?.type !== 'paren_expr') return [];
        const names = constraint.columns.expr.items.map((item) =>
          identifierName(item.type === 'index_specification' ? item.expr : item),
        );
        if (names.some((n) => n === undefined)) return [];
        const columns = this.#columns(table, names as string[]);
        if (columns === undefined) return [];
        const primary = constraint.type === 'constraint_primary_key';
        const duplicates = this.#make(where, table, ref, columns, name, {
          condition: 'duplicates',
          keys: columns.map((c) => sqlIdent(c.name)),
          nullsNotDistinct:
            constraint.type === 'constraint_unique' &&
            constraint.nullsKw?.some((k) => k.name === 'NOT') === true,
          predicate: undefined,
          kind: primary ? 'primary key' : 'unique constraint',
          plain: true,
        });
        const nulls = primary
          ? columns
              .filter((c) => c.nullable)
              .map((c) =>
                this.#make(where, table, ref, [c], name, { condition: 'nulls', kind: 'primary key' }),
              )
          : [];
        return [duplicates, ...nulls];
      }
      case 'constraint_foreign_key': {
        const names = constraint.columns.expr.items.map((c) => identifierName(c));
        const parentRef = tableOf(constraint.references.table);
        const parent = this.#table(parentRef);
        if (parentRef === undefined || parent === undefined || names.some((n) => n === undefined)) return [];
        const columns = this.#columns(table, names as string[]);
        const parentNames =
          constraint.references.columns === undefined
            ? parent.primaryKey?.columns
            : constraint.references.columns.expr.items.map((c) => identifierName(c) ?? '');
        if (columns === undefined || parentNames === undefined) return [];
        const parentColumns = this.#columns(parent, parentNames);
        if (parentColumns?.length !== columns.length) return [];
        return [
          this.#make(where, table, ref, columns, name, {
            condition: 'orphans',
            parent,
            parentRef,
            parentColumns: parentNames,
          }),
        ];
      }
      case 'constraint_check': {
        const expr = constraint.expr.expr;
        const columns = this.#columns(table, referencedColumns(expr));
        if (columns === undefined) return [];
        return [
          this.#make(where, table, ref, columns, name, {
            condition: 'check-violation',
            expression: where.text(expr),
            plain: isPlainExpression(expr, new Set(table.columns.map((c) => c.name))),
          }),
        ];
      }
      default:
        return [];
    }
  }

  #alterColumn(action: AlterActionAlterColumn, where: Where, table: Table, ref: TableRef): DataCase[] {
    const name = identifierName(action.column);
    const column = name === undefined ? undefined : table.columns.find((c) => c.name === name);
    if (column === undefined) return [];
    const change = action.action;
    if (change.type === 'alter_action_set_not_null') {
      return column.nullable
        ? [this.#make(where, table, ref, [column], undefined, { condition: 'nulls', kind: 'not null' })]
        : [];
    }
    if (change.type !== 'alter_action_set_data_type') return [];
    const toText = where.text(change.dataType);
    const usingClause = change.clauses.find((c) => c.type === 'set_data_type_using_clause');
    const using = usingClause === undefined ? undefined : where.text(usingClause.expr);
    const spec = this.#typeChange(column, toText, using);
    return spec === undefined ? [] : [this.#make(where, table, ref, [column], undefined, spec)];
  }

  /** What can break ALTER COLUMN … TYPE: the enum labels it drops, the length it cuts, a cast. */
  #typeChange(column: Column, toText: string, using: string | undefined): CaseSpec | undefined {
    const from = parseColumnType(column.type);
    const to = parseColumnType(toText);
    if (from.array || to.array) return undefined;
    const target = this.#enums.get(typeKeyOfText(toText));
    const baseEnum = column.enumType == null ? undefined : this.#base.enums[column.enumType];
    if (baseEnum !== undefined && column.enumType != null) {
      if (target === undefined) return undefined;
      const current = this.#enums.ofBaseType(column.enumType)?.labels ?? baseEnum.labels;
      const removed = baseEnum.labels.filter((label, i) => !target.labels.includes(current[i] ?? label));
      return removed.length === 0 ? undefined : { condition: 'enum-value-in-use', to: toText, removed };
    }
    if (target !== undefined && TEXT_TYPES.has(from.name)) {
      return {
        condition: 'not-castable',
        from: column.type,
        to: toText,
        using,
        labels: target.labels,
      };
    }
    const bounded = (to.name === 'character varying' || to.name === 'character') && to.args[0] !== undefined;
    if (bounded && TEXT_TYPES.has(from.name)) {
      const maxLength = to.args[0] ?? 0;
      const oldLength = from.name === 'text' || from.name === 'citext' ? undefined : from.args[0];
      if (oldLength !== undefined && oldLength <= maxLength) return undefined;
      return {
        condition: 'too-long',
        from: column.type,
        to: toText,
        maxLength,
        breakLength: oldLength ?? maxLength + 1,
      };
    }
    if (using === undefined && safeTypeChange(from, to)) return undefined;
    if (!mayFailCast(from, to)) return undefined;
    return { condition: 'not-castable', from: column.type, to: toText, using, labels: undefined };
  }

  uniqueIndex(node: CreateIndexStmt, where: Where): DataCase[] {
    if (node.indexTypeKw?.name !== 'UNIQUE' || node.columns.expr.type !== 'list_expr') return [];
    const target = node.table.type === 'table_without_inheritance' ? node.table.table : node.table;
    const ref = tableOf(target);
    const table = this.#table(ref);
    if (ref === undefined || table === undefined) return [];
    const items = node.columns.expr.items;
    const predicate = node.clauses.find((c) => c.type === 'where_clause');
    // The two breaking rows share the key's columns and the predicate's, so that both are in the index.
    const read = [
      ...new Set([
        ...items.flatMap((item) => referencedColumns(item.expr)),
        ...(predicate === undefined ? [] : referencedColumns(predicate.expr)),
      ]),
    ];
    const columns = this.#columns(table, read);
    if (columns === undefined) return [];
    const names = new Set(table.columns.map((c) => c.name));
    const plain =
      items.every((item) => isPlainExpression(item.expr, names)) &&
      (predicate === undefined || isPlainExpression(predicate.expr, names));
    const name =
      node.name === undefined
        ? undefined
        : identifierName(node.name.type === 'member_expr' ? node.name.property : node.name);
    return [
      this.#make(where, table, ref, columns, name, {
        condition: 'duplicates',
        keys: items.map((item) => {
          const plain = identifierName(item.expr);
          return plain === undefined ? where.text(item.expr) : sqlIdent(plain);
        }),
        nullsNotDistinct: node.clauses.some((c) => c.type === 'index_nulls_not_distinct_clause'),
        predicate: predicate === undefined ? undefined : where.text(predicate.expr),
        kind: 'unique index',
        plain,
      }),
    ];
  }
}
