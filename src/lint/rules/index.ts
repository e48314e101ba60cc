// Every lint rule, in catalog order. The rules' meta is the source of the
// lint entries of src/rules/catalog.ts.
import addCheckConstraintValidates from './add-check-constraint-validates.ts';
import addForeignKeyValidates from './add-foreign-key-validates.ts';
import addPrimaryKey from './add-primary-key.ts';
import addUniqueConstraint from './add-unique-constraint.ts';
import changeColumnType from './change-column-type.ts';
import concurrentlyInTransaction from './concurrently-in-transaction.ts';
import createIndexNonConcurrently from './create-index-non-concurrently.ts';
import dropAndAddColumn from './drop-and-add-column.ts';
import dropColumn from './drop-column.ts';
import dropTable from './drop-table.ts';
import missingLockTimeout from './missing-lock-timeout.ts';
import notNullColumnWithoutDefault from './not-null-column-without-default.ts';
import renameColumn from './rename-column.ts';
import renameTable from './rename-table.ts';
import setNotNullWithoutBackfill from './set-not-null-without-backfill.ts';
import unparsedStatement from './unparsed-statement.ts';
import volatileDefaultRewrite from './volatile-default-rewrite.ts';
import type { LintRule } from '../types.ts';

export const LINT_RULES: readonly LintRule[] = [
  notNullColumnWithoutDefault,
  setNotNullWithoutBackfill,
  dropAndAddColumn,
  renameColumn,
  renameTable,
  dropColumn,
  dropTable,
  changeColumnType,
  createIndexNonConcurrently,
  addForeignKeyValidates,
  addUniqueConstraint,
  addCheckConstraintValidates,
  volatileDefaultRewrite,
  concurrentlyInTransaction,
  missingLockTimeout,
  addPrimaryKey,
  unparsedStatement,
];
