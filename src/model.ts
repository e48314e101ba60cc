// The Review model: the one data structure every renderer reads, and the
// shape of the JSON report (DESIGN.md "JSON report"). Stages produce parts of
// it; nothing downstream of review.ts looks at anything else.

export type Severity = 'error' | 'warning' | 'notice';
export type Category = 'lint' | 'drift' | 'runtime' | 'roundtrip' | 'graph';
export type Verdict = 'pass' | 'fail';
export type FailOn = 'error' | 'warning' | 'never';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'notice'];

export interface Suggestion {
  /** One or two sentences a reviewer can act on. */
  text: string;
  /** Alembic (Python) code that fixes the problem, when there is one. */
  code?: string;
  /** The fix as edits of the migration file itself (one-click suggestions, `alembic-review fix`). */
  edits?: Edit[];
}

/** Lines startLine..endLine (1-based, inclusive) of a file replaced by other lines. */
export interface Edit {
  /** Repository-relative path. */
  file: string;
  startLine: number;
  endLine: number;
  /** The new lines, joined by "\n" (no final newline). */
  replacement: string;
  /** What to check before applying it (e.g. the backfill value is a neutral placeholder). */
  note?: string;
}

export interface Finding {
  ruleId: string;
  category: Category;
  severity: Severity;
  message: string;
  /** Repository-relative path of the file the finding points at, if any. */
  file?: string;
  line?: number;
  revision?: string;
  table?: string;
  column?: string;
  sql?: string;
  suggestion?: Suggestion;
  /** Rule-specific structured facts (expected/actual for drift, SQLSTATE, ...). */
  details?: Record<string, unknown>;
  /** "pr": this change introduced it; "base": already true at the base commit. */
  origin?: 'pr' | 'base';
  /** fails-on-existing-data: which values of the existing rows break the statement. */
  condition?: DataCondition;
  /** fails-on-existing-data: the read-only query that tells whether production is affected, and its answer. */
  preflight?: PreflightCheck;
}

/** What existing rows hold that makes a validating statement fail. */
export type DataCondition =
  'duplicates' | 'orphans' | 'nulls' | 'too-long' | 'not-castable' | 'check-violation' | 'enum-value-in-use';

export interface PreflightCheck {
  /** Read-only SQL that counts the rows that break the statement (run it on production, or give the review a preflight database). */
  sql: string;
  /** What it found on the preflight database; null when there was none. */
  result: PreflightResult | null;
}

export interface PreflightResult {
  /** Rows that break the statement (for duplicates: values that occur more than once); null when unknown. */
  violations: number | null;
  /** One sentence, counts only unless values were asked for: "members has 1,204 duplicate values of email". */
  summary: string;
  /** Up to ten offending values, only with preflight-show-values. */
  values?: string[];
  /** Why the query gave no answer (a timeout, a table the preflight database lacks, ...). */
  error?: string;
}

/** The time a statement would take at production size, from its measured rate and the preflight database's table sizes. */
export interface ProductionEstimate {
  table: string;
  operation: 'rewrite' | 'index build' | 'validation scan';
  /** pg_class.reltuples of the table on the preflight database. */
  rows: number;
  /** pg_total_relation_size of the table on the preflight database. */
  bytes: number;
  seconds: number;
  /** The strongest lock the statement held on the table ("ACCESS EXCLUSIVE"), when known. */
  lock: string | null;
  /** "rewrites orders: 12.4 M rows, 3.1 GB — about 4 min under ACCESS EXCLUSIVE" */
  text: string;
}

/** A relation lock the migration's backend acquired with a statement. */
export interface Lock {
  relation: string;
  mode: string;
}

export interface Statement {
  sql: string;
  /** Line of the `op.*` call (or other code) in the revision file that emitted it. */
  line: number | null;
  /** Repository-relative file of that frame (normally the revision's path). */
  file: string | null;
  durationMs: number;
  /** Locks on relations that existed before the change, acquired by this statement (held until its transaction commits). */
  locks: Lock[];
  /** Tables whose storage was rewritten by this statement (relfilenode changed). */
  rewrote: string[];
  /** Set when this statement failed. */
  error?: DatabaseError;
  /** With a preflight database: how long it would take at production size. */
  estimate?: ProductionEstimate;
}

export interface DatabaseError {
  message: string;
  sqlstate?: string;
}

export interface Revision {
  id: string;
  /** Repository-relative path of the revision file. */
  path: string;
  /** Added by the change under review. */
  new: boolean;
  downRevisions: string[];
  dependsOn: string[];
  branchLabels: string[];
  /** The revision's docstring / message. */
  message: string;
  /** Applied successfully during the replay (only new revisions are replayed one by one). */
  applied: boolean;
  durationMs: number;
  statements: Statement[];
}

export interface ToolInfo {
  name: string;
  version: string;
}

export interface Summary {
  errors: number;
  warnings: number;
  notices: number;
  verdict: Verdict;
}

export interface EnvironmentInfo {
  python: string;
  alembic: string;
  sqlalchemy: string;
  driver: string;
  database: string;
  postgres: string;
  /** What the project's code could reach (see the README's "Safety"). */
  isolation?: IsolationInfo;
}

export interface IsolationInfo {
  /**
   * What it connected as: restricted (a role of the run's own), superuser (as
   * asked), server-role (the database URL's role: it may not create roles),
   * none (offline: no database).
   */
  databaseRole: 'restricted' | 'superuser' | 'server-role' | 'none';
  /** How its Python ran, e.g. "as nobody (uid 65534) in a PID namespace of its own". */
  process: string;
  /** Extensions the tool created as superuser before the revisions ran. */
  extensions: string[];
}

export interface Review {
  version: 1;
  tool: ToolInfo;
  /** Project directory relative to the repository root ('.' for the root). */
  project: string;
  /** What the new revisions were compared against (a git ref or a revision id). */
  base: string;
  failOn: FailOn;
  summary: Summary;
  revisions: Revision[];
  findings: Finding[];
  /** Findings of the base that this change fixes (when the base was reviewed too). */
  fixed?: Finding[];
  /** Milliseconds per pipeline stage, in the order they ran. */
  timings: Record<string, number>;
  environment: EnvironmentInfo;
  /** Statements env.py ran outside any revision (e.g. SET lock_timeout). */
  environmentStatements: Statement[];
  /** Link to the CI run, when known. */
  runUrl?: string;
}

const rank: Record<Severity, number> = { error: 0, warning: 1, notice: 2 };

export function compareSeverity(a: Severity, b: Severity): number {
  return rank[a] - rank[b];
}

export function summarize(findings: readonly Finding[], failOn: FailOn): Summary {
  const count = (s: Severity): number => findings.filter((f) => f.severity === s).length;
  const errors = count('error');
  const warnings = count('warning');
  const failed = failOn === 'error' ? errors > 0 : failOn === 'warning' ? errors + warnings > 0 : false;
  return { errors, warnings, notices: count('notice'), verdict: failed ? 'fail' : 'pass' };
}
