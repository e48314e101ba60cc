// How every report groups findings: under the new revision they belong to,
// schema drift on its own (it belongs to no revision), the rest (graph,
// round trip, anything not tied to a new revision), and apart from all of
// them what the base commit already has. Sorted the same way
// everywhere: severity, then file, then line.
import { compareSeverity, type Finding, type Review, type Revision } from '../model.ts';

export interface Sections {
  newRevisions: Revision[];
  /** Findings per new revision id. */
  byRevision: Map<string, Finding[]>;
  drift: Finding[];
  other: Finding[];
  /** Findings already true at the base commit (origin "base"): shown apart, collapsed. */
  base: Finding[];
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      compareSeverity(a.severity, b.severity) ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.ruleId.localeCompare(b.ruleId),
  );
}

/** Revisions oldest first (each after its down revisions), ties in report order. */
export function historyOrder(revisions: readonly Revision[]): Revision[] {
  const ids = new Set(revisions.map((r) => r.id));
  const placed = new Set<string>();
  const ordered: Revision[] = [];
  let remaining = [...revisions];
  while (remaining.length > 0) {
    const ready = remaining.filter((r) => r.downRevisions.every((d) => placed.has(d) || !ids.has(d)));
    // A cycle (a broken graph) must not hang the report: take the rest as they are.
    const next = ready.length > 0 ? ready : remaining;
    for (const r of next) {
      placed.add(r.id);
      ordered.push(r);
    }
    remaining = remaining.filter((r) => !placed.has(r.id));
  }
  return ordered;
}

function owner(finding: Finding, revisions: readonly Revision[]): Revision | undefined {
  if (finding.revision !== undefined) return revisions.find((r) => r.id === finding.revision);
  return finding.file === undefined ? undefined : revisions.find((r) => r.path === finding.file);
}

export function sectionsOf(review: Review): Sections {
  const newRevisions = historyOrder(review.revisions).filter((r) => r.new);
  const byRevision = new Map<string, Finding[]>(newRevisions.map((r) => [r.id, []]));
  const drift: Finding[] = [];
  const other: Finding[] = [];
  const base: Finding[] = [];
  for (const finding of review.findings) {
    if (finding.origin === 'base') {
      base.push(finding);
      continue;
    }
    const revision = owner(finding, newRevisions);
    if (revision !== undefined) byRevision.get(revision.id)?.push(finding);
    else if (finding.category === 'drift') drift.push(finding);
    else other.push(finding);
  }
  for (const [id, findings] of byRevision) byRevision.set(id, sortFindings(findings));
  return {
    newRevisions,
    byRevision,
    drift: sortFindings(drift),
    other: sortFindings(other),
    base: sortFindings(base),
  };
}
