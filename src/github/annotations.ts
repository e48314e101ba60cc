// Workflow annotations (::error file=…,line=…::): they show on the changed
// files in the PR's "Files changed" tab and in the run, with any token,
// including a fork's read-only one. GitHub shows at most 10 of each level per
// step, so what matters comes first: the gate's own failure message, then per
// level the findings on a migration line, then those on a model's line (drift),
// then the ones without a place. What does not fit is counted in one summary
// annotation instead of being printed for nobody to see.
import * as core from '@actions/core';
import type { Finding, Review, Severity } from '../model.ts';
import { isRuleId, docsUrl } from '../rules/catalog.ts';
import { sortFindings } from '../render/sections.ts';
import { plural } from '../render/words.ts';

export type AnnotationSink = Pick<typeof core, 'error' | 'warning' | 'notice'>;

/** Annotations GitHub shows per level and step. */
export const ANNOTATIONS_PER_LEVEL = 10;

const EMIT: Record<Severity, 'error' | 'warning' | 'notice'> = {
  error: 'error',
  warning: 'warning',
  notice: 'notice',
};

function message(finding: Finding): string {
  const lines = [finding.message];
  if (finding.suggestion !== undefined) lines.push(`Fix: ${finding.suggestion.text}`);
  if (isRuleId(finding.ruleId)) lines.push(docsUrl(finding.ruleId));
  return lines.join('\n');
}

/** 0: on a line of a revision file; 1: on another file's line (a model); 2: no place. */
function placeRank(finding: Finding, migrations: ReadonlySet<string>): number {
  if (finding.file === undefined) return 2;
  return migrations.has(finding.file) && finding.line !== undefined ? 0 : 1;
}

export interface AnnotateOptions {
  /** The gate's failure message: the first annotation of the step when set. */
  gateMessage?: string;
}

/** Emits the annotations; returns how many (the summary annotation included). */
export function annotate(review: Review, sink: AnnotationSink = core, options: AnnotateOptions = {}): number {
  const migrations = new Set(review.revisions.map((r) => r.path));
  const ordered = sortFindings(review.findings)
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => placeRank(a.finding, migrations) - placeRank(b.finding, migrations) || a.index - b.index)
    .map((entry) => entry.finding);
  const byLevel = new Map<Severity, Finding[]>([
    ['error', []],
    ['warning', []],
    ['notice', []],
  ]);
  for (const finding of ordered) byLevel.get(finding.severity)?.push(finding);

  let emitted = 0;
  if (options.gateMessage !== undefined) {
    sink.error(options.gateMessage, { title: 'alembic-review: merge blocked' });
    emitted++;
  }
  const room: Record<Severity, number> = {
    error: ANNOTATIONS_PER_LEVEL - emitted,
    warning: ANNOTATIONS_PER_LEVEL,
    notice: ANNOTATIONS_PER_LEVEL,
  };
  const overflow = [...byLevel].some(([level, findings]) => findings.length > room[level]);
  // The summary of what does not fit is a notice: it takes one of the notices' places.
  if (overflow) room.notice--;
  const left: Record<Severity, number> = { error: 0, warning: 0, notice: 0 };
  for (const [level, findings] of byLevel) {
    for (const finding of findings.slice(0, Math.max(0, room[level]))) {
      const where =
        finding.table === undefined
          ? ''
          : ` (${finding.column === undefined ? finding.table : `${finding.table}.${finding.column}`})`;
      const properties: core.AnnotationProperties = { title: `alembic-review: ${finding.ruleId}${where}` };
      if (finding.file !== undefined) {
        properties.file = finding.file;
        if (finding.line !== undefined) properties.startLine = finding.line;
      }
      sink[EMIT[level]](message(finding), properties);
      emitted++;
    }
    left[level] = Math.max(0, findings.length - Math.max(0, room[level]));
  }
  if (overflow) {
    const parts = (['error', 'warning', 'notice'] as const)
      .filter((level) => left[level] > 0)
      .map((level) => plural(left[level], level));
    sink.notice(
      `${parts.join(', ')} more are not annotated: GitHub shows ${ANNOTATIONS_PER_LEVEL} annotations per level. Every finding is in the job summary and in the review comment.`,
      {
        title: `alembic-review: ${plural(
          Object.values(left).reduce((a, b) => a + b, 0),
          'more finding',
        )}`,
      },
    );
    emitted++;
  }
  return emitted;
}
