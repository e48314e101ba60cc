// Alembic's multidb template: one env.py migrates several databases (one
// engine per name of the ini's databases option), each revision having an
// upgrade_<name>() per database. Each database is reviewed on its own (a
// throwaway database of its own, its own target_metadata, the others' runs
// skipped by the bridge), one after the other, and the reviews are merged
// into one report.
import { summarize, type Finding, type Review } from './model.ts';

/** Thrown by a review that opened a multidb project without an engine named: each is reviewed instead. */
export class EachEngine extends Error {
  readonly engines: string[];
  constructor(engines: string[]) {
    super(`multidb template: databases ${engines.join(', ')}`);
    this.name = 'EachEngine';
    this.engines = engines;
  }
}

export interface EngineReview {
  engine: string;
  review: Review;
}

/**
 * One report: a finding every database's review has (the graph, a revision
 * file's own facts) once; the others said of their database. Statements of
 * every database, in the order of the databases; timings per database.
 */
export function mergeEngineReviews(parts: readonly EngineReview[]): Review {
  const first = parts[0];
  if (first === undefined) throw new Error('no database to merge');
  if (parts.length === 1) return first.review;
  const key = (f: Finding): string => JSON.stringify([f.ruleId, f.file, f.line, f.revision, f.message]);
  const inAll = new Map<string, number>();
  for (const part of parts)
    for (const k of new Set(part.review.findings.map(key))) inAll.set(k, (inAll.get(k) ?? 0) + 1);
  const kept = new Set<string>();
  const findings: Finding[] = [];
  for (const { engine, review } of parts) {
    for (const f of review.findings) {
      const k = key(f);
      if (inAll.get(k) !== parts.length) findings.push(ofDatabase(engine, f));
      else if (!kept.has(k)) {
        kept.add(k);
        findings.push(f);
      }
    }
  }
  const revisions = first.review.revisions.map((revision) => {
    const same = parts.map((p) => p.review.revisions.find((r) => r.id === revision.id));
    return {
      ...revision,
      applied: same.every((r) => r?.applied === true),
      durationMs: same.reduce((sum, r) => sum + (r?.durationMs ?? 0), 0),
      statements: same.flatMap((r) => r?.statements ?? []),
    };
  });
  return {
    ...first.review,
    summary: summarize(findings, first.review.failOn),
    revisions,
    findings,
    ...(parts.some((p) => p.review.fixed !== undefined)
      ? { fixed: parts.flatMap((p) => (p.review.fixed ?? []).map((f) => ofDatabase(p.engine, f))) }
      : {}),
    timings: Object.fromEntries(
      parts.flatMap((p) =>
        Object.entries(p.review.timings).map(([stage, ms]) => [`${p.engine}: ${stage}`, ms]),
      ),
    ),
    environmentStatements: parts.flatMap((p) => p.review.environmentStatements),
  };
}

function ofDatabase(engine: string, finding: Finding): Finding {
  return {
    ...finding,
    message: `Database ${engine}: ${finding.message}`,
    details: { ...finding.details, engine },
  };
}
