// What the data checks add to a finding and a statement, for the text and
// markdown renderers: the preflight query and its answer on the preflight
// database (counts; values only when asked for), and the time a statement
// would take at production size, next to the lock it holds.
import type { Finding, Revision, Statement } from '../model.ts';
import { code, codeBlock, text, truncate } from './escape.ts';

/** "On the preflight database: …" or "Check production with:", then the query. */
export function preflightText(finding: Finding): { heading: string; sql: string; values: string[] } | null {
  const check = finding.preflight;
  if (check === undefined) return null;
  const result = check.result;
  const heading = result === null ? 'check production (read-only):' : `preflight database: ${result.summary}`;
  return { heading, sql: check.sql, values: result?.values ?? [] };
}

/** Lines under a finding in the terminal report (`visible` shows control characters, `paint` colours). */
export function preflightLines(
  finding: Finding,
  indent: string,
  paint: (code: string, text: string) => string,
  visible: (text: string) => string,
): string[] {
  const shown = preflightText(finding);
  if (shown === null) return [];
  const lines = [`${indent}        ${visible(shown.heading)}`];
  if (shown.sql !== '') lines.push(`${indent}          ${paint('36', visible(shown.sql))}`);
  if (shown.values.length > 0) lines.push(`${indent}          values: ${visible(shown.values.join('; '))}`);
  return lines;
}

/** Markdown under a finding: the answer, and the query (in a block when code is shown). */
export function preflightMarkdown(finding: Finding, withCode: boolean): string[] {
  const shown = preflightText(finding);
  if (shown === null) return [];
  const result = finding.preflight?.result ?? null;
  const lines = [
    '',
    result === null
      ? '🔎 **Check production** with this read-only query before deploying:'
      : `🔎 **Preflight database:** ${text(truncate(result.summary, 500))}`,
  ];
  if (shown.values.length > 0)
    lines.push('', `Values: ${shown.values.map((v) => code(truncate(v, 80))).join(', ')}`);
  if (withCode && shown.sql !== '') lines.push('', codeBlock(truncate(shown.sql, 4000), 'sql'));
  return lines;
}

/** The estimate of a statement, for its facts line. */
export function estimateFact(statement: Statement): string | null {
  return statement.estimate === undefined ? null : `at production size: ${statement.estimate.text}`;
}

/** A revision's estimates as a visible list (its SQL is folded away). */
export function estimatesMarkdown(revision: Revision): string | null {
  const rows = revision.statements.filter((s) => s.estimate !== undefined);
  if (rows.length === 0) return null;
  const items = rows.map(
    (s) => `- ${s.line === null ? '' : `line ${s.line}: `}${text(s.estimate?.text ?? '')}`,
  );
  return [
    '⏱️ **At production size** (table sizes from the preflight database, rates measured on this replay):',
    '',
    ...items,
  ].join('\n');
}
