// SARIF 2.1.0 for GitHub code scanning (github/codeql-action/upload-sarif):
// every rule of the catalog with its help (docs/rules/<id>.md when installed,
// else the summary and a link, and helpUri), one result per finding, each with
// a physical location — its migration file:line, the model's file:line for
// drift (the Column(...) or the class), else its revision's file — plus the
// table and column as a logical location, a fingerprint that survives
// unrelated edits, and baselineState when the finding's origin is known
// (new / unchanged; findings of the base this change fixes are absent).
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { Finding, Review, Severity } from '../model.ts';
import { RULES, docsUrl, type RuleMeta } from '../rules/catalog.ts';
import { encodePath } from './escape.ts';
import { findingKeys } from './finding-key.ts';
import { ruleDoc } from './rule-docs.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://github.com/alembic-review/alembic-review';

export interface SarifOptions {
  /** The page of a rule; default: docs/rules/<id>.md next to the package. */
  ruleHelp?: (id: string) => string | null;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  notice: 'note',
};

/** "not-null-column-without-default" → "NotNullColumnWithoutDefault" (SARIF's rule name). */
function ruleName(id: string): string {
  return id
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function descriptor(rule: RuleMeta, help: (id: string) => string | null): ReportingDescriptor {
  const url = docsUrl(rule.id);
  return {
    id: rule.id,
    name: ruleName(rule.id),
    shortDescription: { text: rule.summary },
    fullDescription: { text: rule.summary },
    helpUri: url,
    help: {
      text: `${rule.summary}\n\nDocumentation: ${url}`,
      markdown: help(rule.id) ?? `${rule.summary}\n\n[Documentation](${url})`,
    },
    defaultConfiguration: { level: LEVEL[rule.defaultSeverity] },
    properties: { tags: ['alembic', 'postgresql', rule.category], category: rule.category },
  };
}

function messageText(finding: Finding): string {
  return finding.suggestion === undefined
    ? finding.message
    : `${finding.message}\nFix: ${finding.suggestion.text}`;
}

/** Where a result is shown: its file and line, else its revision's file, else the change's first new revision. */
function place(review: Review, finding: Finding): { file: string; line: number } {
  if (finding.file !== undefined) return { file: finding.file, line: Math.max(1, finding.line ?? 1) };
  const revision =
    review.revisions.find((r) => r.id === finding.revision) ?? review.revisions.find((r) => r.new);
  if (revision !== undefined) return { file: revision.path, line: 1 };
  return { file: review.project === '.' ? 'alembic.ini' : `${review.project}/alembic.ini`, line: 1 };
}

const BASELINE: Record<'pr' | 'base', Result.baselineState> = { pr: 'new', base: 'unchanged' };

function result(review: Review, finding: Finding, ruleIndex: number, key: string, absent = false): Result {
  const logical =
    finding.table === undefined
      ? undefined
      : [
          {
            fullyQualifiedName:
              finding.column === undefined ? finding.table : `${finding.table}.${finding.column}`,
            kind: finding.column === undefined ? 'type' : 'member',
          },
        ];
  const where = place(review, finding);
  const location: NonNullable<Result['locations']>[number] = {
    physicalLocation: {
      // A URI reference: the path's segments percent-encoded.
      artifactLocation: { uri: encodePath(where.file), uriBaseId: '%SRCROOT%' },
      region: { startLine: where.line },
    },
  };
  if (logical !== undefined) location.logicalLocations = logical;
  const properties: Record<string, unknown> = { category: finding.category };
  for (const key of ['revision', 'table', 'column', 'sql'] as const) {
    if (finding[key] !== undefined) properties[key] = finding[key];
  }
  if (finding.suggestion?.code !== undefined) properties.suggestedCode = finding.suggestion.code;
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    level: LEVEL[finding.severity],
    message: { text: messageText(finding) },
    locations: [location],
    partialFingerprints: { 'alembicReviewFinding/v2': key },
    ...(absent
      ? { baselineState: 'absent' as const }
      : finding.origin === undefined
        ? {}
        : { baselineState: BASELINE[finding.origin] }),
    properties,
  };
}

export function sarifLog(review: Review, options: SarifOptions = {}): Log {
  const help = options.ruleHelp ?? ruleDoc;
  const rules = RULES.map((r) => descriptor(r, help));
  const keys = findingKeys(review.project, review.findings);
  const fixedKeys = findingKeys(review.project, review.fixed ?? []);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const fixed = review.fixed ?? [];
  for (const finding of [...review.findings, ...fixed]) {
    if (!index.has(finding.ruleId)) {
      index.set(finding.ruleId, rules.length);
      rules.push({ id: finding.ruleId, shortDescription: { text: finding.ruleId } });
    }
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: review.tool.name,
            version: review.tool.version,
            semanticVersion: review.tool.version,
            informationUri: INFORMATION_URI,
            rules,
          },
        },
        automationDetails: {
          id: review.project === '.' ? 'alembic-review/' : `alembic-review/${review.project}/`,
        },
        results: [
          ...review.findings.map((f) => result(review, f, index.get(f.ruleId) ?? 0, keys.get(f) ?? '')),
          // Findings of the base this change fixes: "absent" in code scanning's terms.
          ...fixed.map((f) => result(review, f, index.get(f.ruleId) ?? 0, fixedKeys.get(f) ?? '', true)),
        ],
        properties: { project: review.project, base: review.base, verdict: review.summary.verdict },
      },
    ],
  };
}

export function renderSarif(review: Review, options: SarifOptions = {}): string {
  return `${JSON.stringify(sarifLog(review, options), null, 2)}\n`;
}
