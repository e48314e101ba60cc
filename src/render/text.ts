// The terminal report: verdict first, then each new revision (oldest first)
// with the statements it ran (file:line of the op call, locks, rewrites) and
// its findings, then schema drift and the findings that belong to no
// revision. Colour only when asked for (the CLI asks on a TTY).
import type { Finding, Review, Revision, Severity, Statement } from '../model.ts';
import { baseHeading, fixedItems, fixedSummary } from './base-section.ts';
import { estimateFact, preflightLines } from './data-checks.ts';
import { sectionsOf } from './sections.ts';
import { counts, duration, plural } from './words.ts';

export interface TextOptions {
  color: boolean;
}

type Paint = (code: string, text: string) => string;

const SEVERITY_COLOR: Record<Severity, string> = { error: '31', warning: '33', notice: '36' };

function oneLine(sql: string, width: number): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/** Text from the project may carry terminal escape sequences: show them, never run them. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g;

function visible(value: string): string {
  return value.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function renderText(review: Review, options: TextOptions = { color: false }): string {
  const paint: Paint = (code, text) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const out: string[] = [];
  const sections = sectionsOf(review);
  const { summary, environment } = review;

  const verdict = summary.verdict === 'fail' ? paint('1;31', 'FAIL') : paint('1;32', 'PASS');
  out.push(`${verdict}  ${counts(summary)} (fail-on: ${review.failOn})`);
  out.push(
    `${paint('1', `${review.tool.name} ${review.tool.version}`)} — project ${visible(review.project)}, ${plural(sections.newRevisions.length, 'new revision')} since ${visible(review.base)}`,
  );
  out.push(
    paint(
      '2',
      visible(
        `PostgreSQL ${environment.postgres} via ${environment.database}; Python ${environment.python}, Alembic ${environment.alembic}, SQLAlchemy ${environment.sqlalchemy} (${environment.driver})`,
      ),
    ),
  );

  const fixed = fixedSummary(review);
  if (fixed !== null) {
    out.push(paint('32', `${fixed}:`));
    for (const item of fixedItems(review)) out.push(`  ${visible(oneLine(item, 160))}`);
  }

  for (const revision of sections.newRevisions) {
    out.push('', ...renderRevision(revision, sections.byRevision.get(revision.id) ?? [], paint));
  }
  if (sections.drift.length > 0) {
    out.push('', paint('1', 'Schema drift (models vs. migrations)'));
    for (const f of sections.drift) out.push(...renderFinding(f, paint, '  '));
  }
  if (sections.other.length > 0) {
    out.push('', paint('1', 'Other findings'));
    for (const f of sections.other) out.push(...renderFinding(f, paint, '  '));
  }
  if (sections.base.length > 0) {
    // One line each: context for the reader, not this change's problems.
    out.push('', paint('1', baseHeading(review, sections.base)));
    for (const f of sections.base) {
      const where =
        f.table === undefined ? '' : ` ${f.column === undefined ? f.table : `${f.table}.${f.column}`}`;
      out.push(`  ${paint('2', f.ruleId)}${visible(where)}  ${visible(oneLine(f.message, 140))}`);
    }
  }
  if (sections.newRevisions.length === 0) out.push('', 'No new revisions to replay.');
  const timings = Object.entries(review.timings)
    .map(([stage, ms]) => `${stage} ${duration(ms)}`)
    .join(', ');
  out.push('', paint('2', `Timings: ${timings}`));
  if (review.runUrl !== undefined) out.push(paint('2', `Run: ${review.runUrl}`));
  return `${out.join('\n')}\n`;
}

function renderRevision(revision: Revision, findings: readonly Finding[], paint: Paint): string[] {
  const lines: string[] = [];
  const status = revision.applied ? paint('32', 'applied') : paint('31', 'not applied');
  lines.push(
    `${paint('1', visible(revision.id))}  ${visible(revision.message.split('\n')[0] ?? '')}  [${status}, ${duration(revision.durationMs)}]`,
  );
  lines.push(`  ${visible(revision.path)}`);
  for (const statement of revision.statements) lines.push(...renderStatement(revision, statement, paint));
  if (revision.statements.length === 0) lines.push(paint('2', '  (no statements)'));
  for (const f of findings) lines.push(...renderFinding(f, paint, '  '));
  return lines;
}

function renderStatement(revision: Revision, statement: Statement, paint: Paint): string[] {
  const where =
    statement.line === null
      ? '    ?'
      : statement.file !== null && statement.file !== revision.path
        ? `${statement.file}:${statement.line}`
        : String(statement.line).padStart(5);
  const facts: string[] = [];
  const exclusive = [
    ...new Set(statement.locks.filter((l) => l.mode === 'AccessExclusiveLock').map((l) => l.relation)),
  ];
  if (exclusive.length > 0) facts.push(`ACCESS EXCLUSIVE on ${exclusive.join(', ')}`);
  if (statement.rewrote.length > 0) facts.push(`rewrote ${statement.rewrote.join(', ')}`);
  const lines = [
    `  ${paint('2', `line${visible(where)}`)}  ${visible(oneLine(statement.sql, 100))}  ${paint('2', duration(statement.durationMs))}`,
  ];
  const estimate = estimateFact(statement);
  if (estimate !== null) facts.push(estimate);
  if (facts.length > 0) lines.push(`             ${paint('2', visible(facts.join('; ')))}`);
  if (statement.error !== undefined)
    lines.push(`             ${paint('31', `failed: ${visible(statement.error.message)}`)}`);
  return lines;
}

function renderFinding(f: Finding, paint: Paint, indent: string): string[] {
  const where =
    f.file === undefined
      ? f.table === undefined
        ? ''
        : ` ${f.table}${f.column === undefined ? '' : `.${f.column}`}`
      : ` ${f.file}${f.line === undefined ? '' : `:${f.line}`}`;
  const lines = [
    `${indent}${paint(SEVERITY_COLOR[f.severity], f.severity.padEnd(7))} ${paint('1', f.ruleId)}${visible(where)}`,
  ];
  lines.push(`${indent}        ${visible(f.message)}`);
  lines.push(...preflightLines(f, indent, paint, visible));
  if (f.suggestion !== undefined) {
    lines.push(`${indent}        fix: ${visible(f.suggestion.text)}`);
    if (f.suggestion.code !== undefined) {
      for (const codeLine of f.suggestion.code.split('\n'))
        lines.push(`${indent}          ${paint('36', visible(codeLine))}`);
    }
  }
  return lines;
}
