// Workflow annotations (::error file=…,line=…::): they show on the changed
// files in the PR's "Files changed" tab and in the run, with any token,
// including a fork's read-only one. GitHub shows at most 10 of each level per
// step, so the most severe come first.
import * as core from '@actions/core';
import type { Finding, Review, Severity } from '../model.ts';
import { isRuleId, docsUrl } from '../rules/catalog.ts';
import { sortFindings } from '../render/sections.ts';

export type AnnotationSink = Pick<typeof core, 'error' | 'warning' | 'notice'>;

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

export function annotate(review: Review, sink: AnnotationSink = core): number {
  const findings = sortFindings(review.findings);
  for (const finding of findings) {
    const where =
      finding.table === undefined
        ? ''
        : ` (${finding.column === undefined ? finding.table : `${finding.table}.${finding.column}`})`;
    const properties: core.AnnotationProperties = { title: `alembic-review: ${finding.ruleId}${where}` };
    if (finding.file !== undefined) {
      properties.file = finding.file;
      if (finding.line !== undefined) properties.startLine = finding.line;
    }
    sink[EMIT[finding.severity]](message(finding), properties);
  }
  return findings.length;
}
