// The lint stage's contract: what the pipeline hands the engine (LintInput)
// and what a rule module sees (RuleContext, RuleListener). Rules are written
// in the style of ESLint rule modules: `meta` plus `create(context)`, which
// returns handlers keyed by the SQL statement type they inspect.
import type { Node, Statement as SqlStatement } from 'sql-parser-cst';
import type { Statement } from '../model.ts';
import type { RuleMeta } from '../rules/catalog.ts';
import type { Column, Schema, Table } from '../schema/types.ts';

export type { SqlStatement };

export interface LintRevision {
  id: string;
  /** Repository-relative path of the revision file. */
  path: string;
  /** In execution order, as captured by the replay (or split from `upgrade --sql` offline). */
  statements: Statement[];
  /** Effective lock_timeout when the revision started: '0' = none; null = unknown (offline mode). */
  lockTimeout: string | null;
}

export interface LintInput {
  /** The new revisions, in dependency order. */
  revisions: LintRevision[];
  /**
   * Tables at the base frontier (keys "schema.table"). null means offline mode:
   * no replay ran, so locks, rewrites and errors are unknown too, and a table
   * "existed at the base" unless an earlier new statement created it.
   */
  baseSchema: Schema | null;
  /** "schema.table" → rows present at the base (the replay seeds synthetic rows). */
  baseRows: Record<string, number>;
  /** What env.py ran outside any revision, e.g. SET lock_timeout. */
  environmentStatements: Statement[];
}

/** A table named in SQL, resolved: unqualified names are in public. */
export interface TableRef {
  schema: string;
  name: string;
  /** "schema.table", the key of Schema.tables. */
  key: string;
  /** "users" for public tables, "audit.log" elsewhere. */
  display: string;
}

/** One captured statement (one op.* call) of a revision. */
export interface CapturedStatement {
  /** The revision that ran it (for env.py's statements: none). */
  revision: LintRevision | undefined;
  /** Position in the revision's statement list. */
  index: number;
  statement: Statement;
  /** Repository-relative file of the op.* call, else the revision file. */
  file: string;
  line: number | undefined;
  /** The parsed SQL statements of this entry (several when op.execute ran a script); empty when not parsed. */
  nodes: readonly ParsedStatement[];
}

/** One SQL statement of a captured entry, with its syntax tree. */
export interface ParsedStatement {
  captured: CapturedStatement;
  node: SqlStatement;
  /** The statement's SQL text. */
  sql: string;
  /** Source text of any node of this statement's tree. */
  text: (node: Node) => string;
}

export interface UnparsedStatement {
  captured: CapturedStatement;
  /** The parser's message, first line. */
  error: string;
}

export type StatementType = SqlStatement['type'];
export type StatementOfType<T extends StatementType> = Extract<SqlStatement, { type: T }>;

/** Handlers a rule registers; the engine parses only statements some handler inspects. */
export type RuleListener = {
  [T in StatementType]?: (node: StatementOfType<T>, statement: ParsedStatement) => void;
} & {
  /** After the statement handlers of each captured entry, parsed or not (runtime facts: locks, errors). */
  'statement:exit'?: (captured: CapturedStatement) => void;
  /** A captured entry the parser could not read. */
  unparsed?: (statement: UnparsedStatement) => void;
  /** After the last statement of the revision (rules that pair statements). */
  'revision:exit'?: () => void;
  /**
   * Cheap tests before parsing: which statements of a type the rule's handler
   * needs (by their SQL, error, ...). Without one, it needs them all. The
   * engine parses a statement only when some rule needs it.
   */
  needs?: { [T in StatementType]?: (statement: Statement) => boolean };
};

export interface LintRuleMeta extends RuleMeta {
  category: 'lint';
  /** Repository-relative path of the rule's documentation page. */
  docs: string;
  /** Rules whose findings on the same revision, table and column this rule's finding replaces. */
  supersedes?: readonly string[];
}

/** What a rule reports; file, line, revision and sql come from the statement. */
export interface Report {
  message: string;
  table?: string;
  column?: string;
  suggestion: { text: string; code?: string };
  details?: Record<string, unknown>;
}

export interface RuleContext {
  readonly revision: LintRevision;
  /** True when the replay ran: locks, rewrites, errors and the base schema are facts. */
  readonly replayed: boolean;
  /** env.py's statements outside revisions, parsed where a rule inspects their type. */
  readonly environment: readonly ParsedStatement[];
  /**
   * Parsed statements of the given type that ran before the current one in
   * this change (earlier revisions first, then this revision's so far), among
   * those that pass `test`: statements no handler needed are parsed only now,
   * and only when they pass it, so a cheap test on the SQL saves the parse.
   */
  earlier: (
    type: StatementType,
    test?: (captured: CapturedStatement) => boolean,
  ) => readonly ParsedStatement[];
  /**
   * For cheap tests before parsing: could the statement touch a table that
   * existed at the base? False only when its leading keywords name another table.
   */
  mayTargetBaseTable: (statement: Statement) => boolean;
  /** Resolves a table name node of a statement. */
  table: (statement: ParsedStatement, node: Node) => TableRef;
  /** Resolves a relation name as the replay reports it in locks/rewrote ("users", "audit.log"). */
  relation: (name: string) => TableRef;
  /** Did the table exist at the base (so it can hold rows and takes traffic)? */
  existedAtBase: (table: TableRef) => boolean;
  /** The table at the base, when the replay introspected it. */
  baseTable: (table: TableRef) => Table | undefined;
  baseColumn: (table: TableRef, column: string) => Column | undefined;
  /** Rows at the base, when known. */
  rows: (table: TableRef) => number | undefined;
  report: (at: ParsedStatement | CapturedStatement, report: Report) => void;
}

export interface LintRule {
  meta: LintRuleMeta;
  create: (context: RuleContext) => RuleListener;
}
