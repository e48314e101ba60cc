// Wording for what the base commit already has and what the change fixes of
// it, shared by the text and markdown reports.
import type { Finding, Review } from '../model.ts';
import { plural } from './words.ts';

/** The base as a reader names it: the branch ("main"), else the whole base text. */
export function baseName(review: Review): string {
  return review.base.replace(/ \([0-9a-f]{7,40}\)$/, '');
}

/** "already on main, not from this PR" */
export function baseHeading(review: Review, findings: readonly Finding[]): string {
  return `${plural(findings.length, 'finding')} already on ${baseName(review)}, not from this PR`;
}

/** "fixes 2 drift findings of main", or null when the change fixes nothing of the base. */
export function fixedSummary(review: Review): string | null {
  const fixed = review.fixed ?? [];
  if (fixed.length === 0) return null;
  const drift = fixed.every((f) => f.category === 'drift');
  return `This change fixes ${plural(fixed.length, drift ? 'drift finding' : 'finding')} of ${baseName(review)}`;
}

/** One line per fixed finding: rule and object. */
export function fixedItems(review: Review): string[] {
  return (review.fixed ?? []).map((f) => {
    const where =
      f.table === undefined ? '' : ` ${f.column === undefined ? f.table : `${f.table}.${f.column}`}`;
    return `${f.ruleId}${where}: ${f.message}`;
  });
}
