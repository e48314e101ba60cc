// The terminal report: verdict first, then each new revision with the
// statements it ran (file:line of the op call, locks, rewrites) and its
// findings, then the findings that belong to no revision. Colour on a TTY only.
import { compareSeverity, type Finding, type Review, type Revision, type Severity, type Statement } from '../model.ts';

export interface TextOptions {
  color: boolean;
}

type Paint = (code: string, text: string) => string;

const SEVERITY_COLOR: Record<Severity, string> = { error: '31', warning: '33', notice: '36' };

function oneLine(sql: string, width: number): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderText(review: Review, options: TextOptions = { color: false }): string {
  const paint: Paint = (code, text) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const out: string[] = [];
  const newRevisions = review.revisions.filter((r) => r.new);
  const { summary } = review;

  out.push(
    `${paint('1', `${review.tool.name} ${review.tool.version}`)} — project ${review.project}, ${plural(newRevisions.length, 'new revision')} since ${review.base}`,
  );
  const verdict = summary.verdict === 'fail' ? paint('1;31', 'FAIL') : paint('1;32', 'PASS');
  out.push(
    `${verdict}  ${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}, ${plural(summary.notices, 'notice')} (fail-on: ${review.failOn})`,
  );
  out.push(
    paint(
      '2',
      `PostgreSQL ${review.environment.postgres} via ${review.environment.database}; Python ${review.environment.python}, Alembic ${review.environment.alembic}, SQLAlchemy ${review.environment.sqlalchemy} (${review.environment.driver})`,
    ),
  );

  for (const revision of newRevisions) {
    out.push('', ...renderRevision(revision, review.findings, paint));
  }

  const loose = review.findings.filter((f) => f.revision === undefined || !newRevisions.some((r) => r.id === f.revision));
  if (loose.length > 0) {
    out.push('', paint('1', 'Other findings'));
    for (const f of sortFindings(loose)) out.push(...renderFinding(f, paint, '  '));
  }
  if (newRevisions.length === 0) out.push('', 'No new revisions to replay.');
  const timings = Object.entries(review.timings)
    .map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(1)}s`)
    .join(', ');
  out.push('', paint('2', `Timings: ${timings}`));
  return `${out.join('\n')}\n`;
}

function renderRevision(revision: Revision, findings: readonly Finding[], paint: Paint): string[] {
  const lines: string[] = [];
  const status = revision.applied ? paint('32', 'applied') : paint('31', 'not applied');
  lines.push(`${paint('1', revision.id)}  ${revision.message.split('\n')[0] ?? ''}  [${status}, ${revision.durationMs.toFixed(0)} ms]`);
  lines.push(`  ${revision.path}`);
  for (const statement of revision.statements) lines.push(...renderStatement(revision, statement, paint));
  if (revision.statements.length === 0) lines.push(paint('2', '  (no statements)'));
  const own = sortFindings(findings.filter((f) => f.revision === revision.id));
  for (const f of own) lines.push(...renderFinding(f, paint, '  '));
  return lines;
}

function renderStatement(revision: Revision, statement: Statement, paint: Paint): string[] {
  const where =
    statement.line === null
      ? '    ?'
      : statement.file !== null && statement.file !== revision.path
        ? `${statement.file}:${statement.line}`
        : `${String(statement.line).padStart(5)}`;
  const facts: string[] = [];
  const exclusive = statement.locks.filter((l) => l.mode === 'AccessExclusiveLock').map((l) => l.relation);
  if (exclusive.length > 0) facts.push(`ACCESS EXCLUSIVE on ${exclusive.join(', ')}`);
  if (statement.rewrote.length > 0) facts.push(`rewrote ${statement.rewrote.join(', ')}`);
  const lines = [`  ${paint('2', `line${where}`)}  ${oneLine(statement.sql, 100)}  ${paint('2', `${statement.durationMs.toFixed(1)} ms`)}`];
  if (facts.length > 0) lines.push(`             ${paint('2', facts.join('; '))}`);
  if (statement.error !== undefined) lines.push(`             ${paint('31', `failed: ${statement.error.message}`)}`);
  return lines;
}

function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => compareSeverity(a.severity, b.severity) || (a.line ?? 0) - (b.line ?? 0));
}

function renderFinding(f: Finding, paint: Paint, indent: string): string[] {
  const where = f.file === undefined ? (f.table === undefined ? '' : ` ${f.table}${f.column === undefined ? '' : `.${f.column}`}`) : ` ${f.file}${f.line === undefined ? '' : `:${f.line}`}`;
  const lines = [`${indent}${paint(SEVERITY_COLOR[f.severity], f.severity.padEnd(7))} ${paint('1', f.ruleId)}${where}`];
  lines.push(`${indent}        ${f.message}`);
  if (f.suggestion !== undefined) {
    lines.push(`${indent}        fix: ${f.suggestion.text}`);
    if (f.suggestion.code !== undefined) {
      for (const codeLine of f.suggestion.code.split('\n')) lines.push(`${indent}          ${paint('36', codeLine)}`);
    }
  }
  return lines;
}
