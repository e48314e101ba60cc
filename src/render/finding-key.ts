// A stable identity for a finding across pushes: rule + project + revision +
// what it is about — the object (table, column, constraint) and the statement
// (its SQL, normalised) — never a line number or a file path, so inserting
// lines above a finding, or moving a model class, keeps its key. An inline
// comment is then not posted again, a comment whose finding is gone can be
// resolved, and SARIF results keep their fingerprint.
import { createHash } from 'node:crypto';
import type { Finding } from '../model.ts';

/** The SQL of a statement as identity: case, whitespace and a final semicolon do not count. */
export function normaliseSql(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\s*;\s*$/, '')
    .trim()
    .toLowerCase();
}

/** The name of the constraint, index or enum a drift finding is about (from its expected/actual details). */
function objectName(finding: Finding): string {
  const details = finding.details;
  if (details === undefined) return '';
  for (const side of [details.expected, details.actual]) {
    if (typeof side === 'object' && side !== null && 'name' in side && typeof side.name === 'string')
      return side.name;
  }
  return '';
}

function identity(project: string, finding: Finding): string[] {
  return [
    project,
    finding.ruleId,
    finding.revision ?? '',
    finding.table ?? '',
    finding.column ?? '',
    objectName(finding),
    finding.sql === undefined ? '' : normaliseSql(finding.sql),
  ];
}

function digest(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

export function findingKey(project: string, finding: Finding): string {
  return digest(identity(project, finding));
}

/**
 * The keys of all findings of a review, in order. Findings that agree on
 * everything that makes an identity (the same statement twice in one
 * revision) are told apart by their rank among those, which line shifts do
 * not change either.
 */
export function findingKeys(project: string, findings: readonly Finding[]): Map<Finding, string> {
  const seen = new Map<string, number>();
  const keys = new Map<Finding, string>();
  for (const finding of findings) {
    const base = findingKey(project, finding);
    const rank = seen.get(base) ?? 0;
    seen.set(base, rank + 1);
    keys.set(finding, rank === 0 ? base : digest([base, String(rank)]));
  }
  return keys;
}
