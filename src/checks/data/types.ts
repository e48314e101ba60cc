// The data checks' vocabulary: a statement of a new revision that validates
// the existing rows of a base table (a case), what makes it fail (its
// condition), and what each condition module provides: the query that counts
// the breaking rows, the breaking rows themselves, the failure to expect and
// the fix.
import type { BridgeStatement } from '../../alembic/protocol.ts';
import type { TableRef } from '../../lint/types.ts';
import type { DataCondition, Suggestion } from '../../model.ts';
import type { Column, Table } from '../../schema/types.ts';
import type { RowEditor } from './rows.ts';

/** What each condition needs to know about the statement. */
export type CaseSpec =
  | {
      condition: 'duplicates';
      /** Key parts as SQL: quoted columns, or expressions of a unique index. */
      keys: string[];
      nullsNotDistinct: boolean;
      /** WHERE of a partial unique index. */
      predicate: string | undefined;
      kind: 'unique constraint' | 'unique index' | 'primary key';
      /** Keys and predicate are plain expressions (safe to run on a preflight database). */
      plain: boolean;
    }
  | {
      condition: 'orphans';
      parent: Table;
      parentRef: TableRef;
      parentColumns: string[];
    }
  | { condition: 'nulls'; kind: 'not null' | 'primary key' }
  | { condition: 'too-long'; from: string; to: string; maxLength: number; breakLength: number }
  | {
      condition: 'not-castable';
      from: string;
      to: string;
      /** The USING expression, when the statement has one. */
      using: string | undefined;
      /** The labels when the new type is an enum (one the change creates cannot be cast to on the base). */
      labels: string[] | undefined;
    }
  | {
      condition: 'check-violation';
      expression: string;
      /** The expression uses only columns, literals, operators and well-known functions (safe to run on a preflight database). */
      plain: boolean;
    }
  | { condition: 'enum-value-in-use'; to: string; removed: string[] };

/** A validating statement of a new revision on a table that existed at the base. */
export interface DataCase {
  /** Position in execution order over the whole change (revision by revision). */
  position: number;
  revision: string;
  /** Absolute path of the revision file. */
  revisionPath: string;
  /** Index among the revision's captured statements. */
  index: number;
  statement: BridgeStatement;
  table: Table;
  tableRef: TableRef;
  /** The base columns the breaking values go into. */
  columns: Column[];
  /** The constraint or index name as written; undefined when Postgres names it. */
  constraint: string | undefined;
  spec: CaseSpec;
}

/** The failure a case must cause: the statement's own, by SQLSTATE and constraint. */
export interface ExpectedFailure {
  /** SQLSTATEs, or two-character classes ("22": any data exception). */
  sqlstates: readonly string[];
  /** Postgres' name for the new constraint or index, when the statement gives it one. */
  constraint?: string;
  /** Column Postgres names (NOT NULL). */
  column?: string;
}

/** A query a probe runs: fixed shape, read-only, identifiers quoted, values bound. */
export interface ProbeQuery {
  sql: string;
  params: unknown[];
}

/**
 * How to tell whether rows break a case. `count` returns one row whose
 * `violations` column counts them (other numeric columns are extra facts);
 * `sample` returns up to ten offending values as text.
 */
export interface Probe {
  count: ProbeQuery;
  sample: ProbeQuery;
  /**
   * The query as a person runs it (parameters written out): the finding's
   * preflight SQL.
   */
  display: string;
  /** Without a way to count (a cast test before PostgreSQL 16): the query fails when some row breaks the case. */
  failsIfAny?: boolean;
}

/** Why there is no probe for a database (said in the finding). */
export interface Unavailable {
  unavailable: string;
}

/** What a probe found on a database. */
export interface ProbeAnswer {
  violations: number | null;
  extra: Record<string, number | null>;
}

/** The rows of the adversarial database a case may change (by ctid, in the table's order). */
export interface RowSlots {
  ctids: string[];
}

export interface ConditionModule<C extends DataCondition = DataCondition> {
  condition: C;
  /** Seeded rows the breaking values need. */
  rowsNeeded: (dataCase: DataCase) => number;
  /**
   * The query that counts the breaking rows. `where` is the database it is
   * for: on a preflight database only the tool's own queries run (no
   * expression or type from the change), so a probe may be unavailable there.
   */
  probe: (dataCase: DataCase, server: ServerFacts, where: 'throwaway' | 'preflight') => Probe | Unavailable;
  /**
   * Puts the breaking values into the given rows (through the editor, which
   * can put the old ones back); returns what it put there, in words ("two rows
   * with the same email"), or null when the table's other constraints do not
   * allow such rows.
   */
  breakRows: (
    editor: RowEditor,
    dataCase: DataCase,
    slots: RowSlots,
    /** Whether the table now holds rows that break the case (the probe, on the throwaway database). */
    broken: () => Promise<boolean>,
  ) => Promise<string | null>;
  expected: (dataCase: DataCase) => ExpectedFailure;
  /** "1,204 values of email occur more than once in members" */
  describe: (dataCase: DataCase, answer: ProbeAnswer) => string;
  fix: (dataCase: DataCase) => Suggestion;
}

export interface ServerFacts {
  /** server_version_num */
  version: number;
}
