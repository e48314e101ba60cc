// The lint stage: the captured statements of the new revisions, in order,
// dispatched to the rules' handlers with what the replay knows (tables and
// rows at the base, locks, rewrites, errors, lock_timeout), and turned into
// findings. A statement is parsed once, and only when some rule needs it:
// its leading keywords and the rules' cheap tests decide (see RuleListener).
import type { Node } from 'sql-parser-cst';
import { finding } from '../checks/finding.ts';
import type { Finding, Statement } from '../model.ts';
import { classify, leadingTable } from './classify.ts';
import { relationRef, tableOf } from './names.ts';
import { sourceText, StreamingParser, type ParseResult } from './parse.ts';
import { StatementHistory } from './history.ts';
import { LINT_RULES } from './rules/index.ts';
import type {
  CapturedStatement,
  LintInput,
  LintRevision,
  LintRule,
  ParsedStatement,
  Report,
  RuleContext,
  RuleListener,
  SqlStatement,
  StatementType,
  TableRef,
} from './types.ts';

type NodeHandler = (node: SqlStatement, statement: ParsedStatement) => void;

interface RevisionRun {
  revision: LintRevision;
  listeners: RuleListener[];
  needs: Needs;
  /** Each statement's type by its leading keywords (undefined: unknown until parsed). */
  types: (StatementType | undefined)[];
  /** The parser's ticket for each statement, or -1 when no rule needs it parsed. */
  parseIndex: number[];
}

/** Keys of a listener that are not statement types. */
const EVENTS = new Set(['statement:exit', 'unparsed', 'revision:exit', 'needs']);

/** Lints the new revisions' captured SQL with the given rules (default: every lint rule). */
export function lint(input: LintInput, rules: readonly LintRule[] = LINT_RULES): Finding[] {
  const replayed = input.baseSchema !== null;
  const baseTables = new Map(Object.entries(input.baseSchema?.tables ?? {}));
  // Offline, a table "existed at the base" unless a new statement created it first.
  const createdInChange = new Set<string>();
  const environment: ParsedStatement[] = [];
  const findings: Finding[] = [];
  const history = new StatementHistory();

  const existedAtBase = (table: TableRef): boolean =>
    replayed ? baseTables.has(table.key) : !createdInChange.has(table.key);

  const contextFor = (rule: LintRule, revision: LintRevision): RuleContext => ({
    revision,
    replayed,
    environment,
    earlier: (type, test) => history.earlier(type, test),
    mayTargetBaseTable: (statement) => {
      const table = leadingTable(statement.sql);
      return table === undefined || existedAtBase(table);
    },
    table: (statement: ParsedStatement, node: Node): TableRef => {
      const table = tableOf(node);
      if (table === undefined) throw new Error(`${rule.meta.id}: not a table name: ${statement.text(node)}`);
      return table;
    },
    relation: relationRef,
    existedAtBase,
    baseTable: (table) => baseTables.get(table.key),
    baseColumn: (table, column) => baseTables.get(table.key)?.columns.find((c) => c.name === column),
    rows: (table) => input.baseRows[table.key],
    report: (at, report) => {
      findings.push(toFinding(rule.meta.id, revision, at, report));
    },
  });

  // Listeners first: what they need decides which statements are parsed.
  const everywhere: Needs = new Map();
  const runs: RevisionRun[] = input.revisions.map((revision) => {
    const listeners = rules.map((rule) => rule.create(contextFor(rule, revision)));
    const needs = needsOf(listeners);
    // env.py's few statements: any type some rule inspects.
    for (const type of needs.keys()) everywhere.set(type, 'all');
    return { revision, listeners, needs, types: [], parseIndex: [] };
  });

  const parser = new StreamingParser();
  const queue = (statement: Statement, needs: Needs, type = classify(statement.sql)): number => {
    if (type !== undefined) {
      const need = needs.get(type);
      if (need === undefined) return -1;
      if (need !== 'all' && !need.some((test) => test(statement))) return -1;
    }
    return parser.queue(statement.sql);
  };
  const environmentIndex = input.environmentStatements.map((s) => queue(s, everywhere));
  for (const run of runs) {
    run.types = run.revision.statements.map((s) => classify(s.sql));
    run.parseIndex = run.revision.statements.map((s, i) => queue(s, run.needs, run.types[i]));
  }

  input.environmentStatements.forEach((statement, index) => {
    const result = parser.take(environmentIndex[index] ?? -1);
    environment.push(...captureOf(undefined, statement, index, statement.file ?? '', result).nodes);
  });

  for (const run of runs) {
    run.revision.statements.forEach((statement, index) => {
      const result = parser.take(run.parseIndex[index] ?? -1);
      const captured = captureOf(run.revision, statement, index, statement.file ?? run.revision.path, result);
      if (result !== undefined && !result.ok) {
        for (const listener of run.listeners) listener.unparsed?.({ captured, error: result.error });
      }
      for (const parsedStatement of captured.nodes) {
        const node = parsedStatement.node;
        if (!replayed && node.type === 'create_table_stmt') {
          const table = tableOf(node.name);
          if (table !== undefined) createdInChange.add(table.key);
        }
        for (const listener of run.listeners) {
          const handler = listener[node.type] as NodeHandler | undefined;
          handler?.(node, parsedStatement);
        }
        history.addParsed(parsedStatement);
      }
      const type = run.types[index];
      if (result === undefined && type !== undefined) {
        history.addUnparsed(captured, type);
        // Offline, what the change creates did not exist at the base; the leading keywords name it.
        const created = type === 'create_table_stmt' && !replayed ? leadingTable(statement.sql) : undefined;
        if (created !== undefined) createdInChange.add(created.key);
      }
      for (const listener of run.listeners) listener['statement:exit']?.(captured);
    });
    for (const listener of run.listeners) listener['revision:exit']?.();
  }
  return ordered(withoutSuperseded(findings, rules), input.revisions);
}

/** Per statement type: all statements are needed, or those passing one of the rules' tests. */
type Need = 'all' | ((statement: Statement) => boolean)[];
type Needs = Map<string, Need>;

function merge(needs: Needs, type: string, need: Need): void {
  const current = needs.get(type);
  if (current === 'all') return;
  needs.set(type, need === 'all' ? 'all' : [...(current ?? []), ...need]);
}

function needsOf(listeners: readonly RuleListener[]): Needs {
  const needs: Needs = new Map();
  for (const listener of listeners) {
    for (const type of Object.keys(listener)) {
      if (EVENTS.has(type)) continue;
      const test = listener.needs?.[type as keyof typeof listener.needs];
      merge(needs, type, test === undefined ? 'all' : [test]);
    }
  }
  return needs;
}

function captureOf(
  revision: LintRevision | undefined,
  statement: Statement,
  index: number,
  file: string,
  result: ParseResult | undefined,
): CapturedStatement {
  const captured: CapturedStatement = {
    revision,
    index,
    statement,
    file,
    line: statement.line ?? undefined,
    nodes: [],
  };
  if (result?.ok === true) {
    const source = result.source;
    captured.nodes = result.statements.map((node) => ({
      captured,
      node,
      sql: sourceText(source, node),
      text: (part: Node) => sourceText(source, part),
    }));
  }
  return captured;
}

function toFinding(
  ruleId: string,
  revision: LintRevision,
  at: ParsedStatement | CapturedStatement,
  report: Report,
): Finding {
  const captured = 'captured' in at ? at.captured : at;
  const sql = 'captured' in at ? at.sql : at.statement.sql.trim();
  return finding({
    ruleId,
    message: report.message,
    file: captured.file,
    ...(captured.line === undefined ? {} : { line: captured.line }),
    revision: revision.id,
    ...(report.table === undefined ? {} : { table: report.table }),
    ...(report.column === undefined ? {} : { column: report.column }),
    sql: sql.length > MAX_SQL ? `${sql.slice(0, MAX_SQL)}…` : sql,
    suggestion: report.suggestion,
    ...(report.details === undefined ? {} : { details: report.details }),
  });
}

/** Findings carry the statement, not a whole data script. */
const MAX_SQL = 2000;

/** One clear finding: a rule's finding replaces those of the rules it supersedes on the same column. */
function withoutSuperseded(findings: Finding[], rules: readonly LintRule[]): Finding[] {
  const superseded = new Set<string>();
  const supersedes = new Map(rules.map((r) => [r.meta.id, r.meta.supersedes ?? []]));
  for (const f of findings) {
    for (const other of supersedes.get(f.ruleId) ?? [])
      superseded.add(`${other}|${f.revision}|${f.table}|${f.column}`);
  }
  if (superseded.size === 0) return findings;
  return findings.filter((f) => !superseded.has(`${f.ruleId}|${f.revision}|${f.table}|${f.column}`));
}

/** Revision order, then line order (rules that pair statements report at the end of a revision). */
function ordered(findings: Finding[], revisions: readonly LintRevision[]): Finding[] {
  const position = new Map(revisions.map((r, i) => [r.id, i]));
  return findings
    .map((f, i) => ({ f, i }))
    .sort(
      (a, b) =>
        (position.get(a.f.revision ?? '') ?? 0) - (position.get(b.f.revision ?? '') ?? 0) ||
        (a.f.line ?? Infinity) - (b.f.line ?? Infinity) ||
        a.i - b.i,
    )
    .map(({ f }) => f);
}
