// A database schema as read from pg_catalog: what the drift diff compares,
// what the replay snapshots at the base and the head, and what the lint
// rules consult (which tables existed at the base, their columns and rows).
// Names are unquoted; a table's key is "schema.table". Optional fields were
// added after the first version; introspect() always fills them.

export interface Column {
  name: string;
  /** format_type(atttypid, atttypmod), e.g. "character varying(100)", "integer[]". */
  type: string;
  nullable: boolean;
  /** pg_get_expr of the default, e.g. "now()", "'x'::text"; null when none. */
  default: string | null;
  /** 'a' (ALWAYS) | 'd' (BY DEFAULT) | null */
  identity: 'always' | 'by default' | null;
  /** Generation expression of a STORED generated column. */
  generated: string | null;
  collation: string | null;
  comment: string | null;
  /** 1-based position among the table's live columns. */
  position: number;
  /** "schema.name" of the enum type of the column (or of its array elements), else null. */
  enumType?: string | null;
}

export interface PrimaryKey {
  name: string;
  columns: string[];
}

export interface UniqueConstraint {
  name: string;
  columns: string[];
  deferrable: boolean;
  initiallyDeferred?: boolean;
  nullsNotDistinct: boolean;
  /** pg_get_constraintdef, e.g. "UNIQUE (email)". */
  definition?: string;
}

export interface Index {
  name: string;
  /** Key column names, or the expression text for expression parts. */
  columns: string[];
  /** Non-key columns of INCLUDE (...). */
  include?: string[];
  unique: boolean;
  /** UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+). */
  nullsNotDistinct?: boolean;
  /** WHERE predicate of a partial index. */
  predicate: string | null;
  method: string;
  /** pg_get_indexdef. */
  definition: string;
  /** Backs a PRIMARY KEY or UNIQUE constraint (compared with the constraint instead). */
  constraint: string | null;
}

export interface ForeignKey {
  name: string;
  columns: string[];
  /** "schema.table" of the referenced table. */
  referredTable: string;
  referredColumns: string[];
  onDelete: string;
  onUpdate: string;
  deferrable: boolean;
  initiallyDeferred: boolean;
  validated: boolean;
  /** pg_get_constraintdef. */
  definition: string;
}

export interface CheckConstraint {
  name: string;
  /** pg_get_constraintdef, e.g. "CHECK ((price > 0))". */
  definition: string;
  validated: boolean;
}

export interface Table {
  schema: string;
  name: string;
  kind: 'table' | 'partitioned table' | 'view' | 'materialized view' | 'foreign table';
  columns: Column[];
  primaryKey: PrimaryKey | null;
  uniqueConstraints: UniqueConstraint[];
  indexes: Index[];
  foreignKeys: ForeignKey[];
  checkConstraints: CheckConstraint[];
  comment: string | null;
  /** "schema.table" of the partitioned table this table is a partition of, else null. */
  partitionOf?: string | null;
  /** Estimated or counted rows, when the caller asked for them. */
  rows?: number;
}

export interface EnumType {
  schema: string;
  name: string;
  labels: string[];
}

export interface Sequence {
  schema: string;
  name: string;
  /** "schema.table.column" that owns it (serial / identity), if any. */
  ownedBy: string | null;
}

export interface Schema {
  /** Non-system schemas present in the database. */
  schemas: string[];
  /** Keyed by "schema.table". */
  tables: Record<string, Table>;
  /** Keyed by "schema.name". */
  enums: Record<string, EnumType>;
  sequences: Record<string, Sequence>;
}

export function tableKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

/** "users" for public tables, "audit.log" elsewhere: how messages name a table. */
export function displayName(schema: string, name: string): string {
  return schema === 'public' ? name : `${schema}.${name}`;
}
