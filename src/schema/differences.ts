// The typed differences between the migrated database (head) and the one the
// models produce: what compare.ts finds, what diff.ts words as findings and
// what fix.ts turns into Alembic code. "expected" is the models' side,
// "actual" the migrated side.
import type {
  CheckConstraint,
  Column,
  EnumType,
  ForeignKey,
  Index,
  PrimaryKey,
  Table,
  UniqueConstraint,
} from './types.ts';

/** A mapped class of the project (found by the bridge), and whether the metadata knows it. */
export interface ModelClass {
  /** "schema.table" */
  table: string;
  className: string;
  /** Repository-relative path of the file that declares it. */
  file: string;
  line: number;
  /** Its table is in target_metadata (the module was imported where the metadata is built). */
  inMetadata: boolean;
  /** Column name → line of its Column(...) / mapped_column(...) in that file. */
  columns?: Record<string, number>;
}

/**
 * missing: in the models only; unexpected: in the database only; changed: same
 * name, different definition; renamed: same definition, different name;
 * not-validated: the same constraint, left NOT VALID in the database.
 */
export type Change = 'missing' | 'unexpected' | 'changed' | 'renamed' | 'not-validated';

export interface TableMissing {
  rule: 'drift-table-missing';
  /** The models' table. */
  table: Table;
  /**
   * Foreign keys left out of create_table because they close a cycle between
   * missing tables: reported (and fixed) as their own drift-foreign-key.
   */
  deferredForeignKeys: ForeignKey[];
}

export interface TableUnexpected {
  rule: 'drift-table-unexpected';
  table: Table;
  /** The project's class for this table when it exists but is not in the metadata. */
  modelClass: ModelClass | null;
}

export interface ColumnMissing {
  rule: 'drift-column-missing';
  table: Table;
  expected: Column;
}

export interface ColumnUnexpected {
  rule: 'drift-column-unexpected';
  table: Table;
  actual: Column;
}

export interface ColumnChange<Rule extends string> {
  rule: Rule;
  table: Table;
  expected: Column;
  actual: Column;
}

export interface ObjectChange<Rule extends string, T> {
  rule: Rule;
  table: Table;
  change: Change;
  expected: T | null;
  actual: T | null;
}

/** A unique constraint in the models that the database enforces with a unique index (or the reverse). */
export interface UniqueEnforcedByIndex {
  rule: 'drift-unique-constraint';
  table: Table;
  change: 'enforced-by-index';
  expected: UniqueConstraint;
  actual: Index;
}

export interface IndexInsteadOfConstraint {
  rule: 'drift-index';
  table: Table;
  change: 'enforced-by-constraint';
  expected: Index;
  actual: UniqueConstraint;
}

export interface EnumDifference {
  rule: 'drift-enum';
  change: 'missing' | 'unexpected' | 'labels';
  expected: EnumType | null;
  actual: EnumType | null;
  /** Columns of the migrated database that use the type (they move to the recreated type). */
  usedBy: { table: Table; column: Column }[];
}

export type Difference =
  | TableMissing
  | TableUnexpected
  | ColumnMissing
  | ColumnUnexpected
  | ColumnChange<'drift-column-type'>
  | ColumnChange<'drift-column-nullable'>
  | ColumnChange<'drift-column-default'>
  | ObjectChange<'drift-primary-key', PrimaryKey>
  | ObjectChange<'drift-index', Index>
  | IndexInsteadOfConstraint
  | ObjectChange<'drift-unique-constraint', UniqueConstraint>
  | UniqueEnforcedByIndex
  | ObjectChange<'drift-foreign-key', ForeignKey>
  | ObjectChange<'drift-check-constraint', CheckConstraint>
  | EnumDifference;
