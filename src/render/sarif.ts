// SARIF 2.1.0 for GitHub code scanning (github/codeql-action/upload-sarif):
// every rule of the catalog with its help (docs/rules/<id>.md when installed,
// else the summary and a link), one result per finding with its file and line
// (drift findings name their table and column as a logical location), and a
// fingerprint that survives unrelated edits.
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { Finding, Review, Severity } from '../model.ts';
import { RULES, docsUrl, type RuleMeta } from '../rules/catalog.ts';
import { encodePath } from './escape.ts';
import { findingKey } from './finding-key.ts';
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

function result(review: Review, finding: Finding, ruleIndex: number): Result {
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
  const location: NonNullable<Result['locations']>[number] = {};
  if (finding.file !== undefined) {
    location.physicalLocation = {
      // A URI reference: the path's segments percent-encoded.
      artifactLocation: { uri: encodePath(finding.file), uriBaseId: '%SRCROOT%' },
      region: { startLine: Math.max(1, finding.line ?? 1) },
    };
  }
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
    ...(Object.keys(location).length > 0 ? { locations: [location] } : {}),
    partialFingerprints: { 'alembicReviewFinding/v1': findingKey(review.project, finding) },
    properties,
  };
}

export function sarifLog(review: Review, options: SarifOptions = {}): Log {
  const help = options.ruleHelp ?? ruleDoc;
  const rules = RULES.map((r) => descriptor(r, help));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  for (const finding of review.findings) {
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
        results: review.findings.map((f) => result(review, f, index.get(f.ruleId) ?? 0)),
        properties: { project: review.project, base: review.base, verdict: review.summary.verdict },
      },
    ],
  };
}

export function renderSarif(review: Review, options: SarifOptions = {}): string {
  return `${JSON.stringify(sarifLog(review, options), null, 2)}\n`;
}
