// The project's policy over the findings: suppression comments in the
// migration files, then the per-rule severities of [tool.alembic-review.rules]
// ('off' removes a rule's findings).
import type { Finding, Severity } from '../model.ts';
import { isRuleId } from './catalog.ts';
import { readSuppressions, suppressionFor, type Suppression } from './suppressions.ts';

export interface Policy {
  severity: Record<string, Severity | 'off'>;
  /** A repository-relative file's text, or undefined when it cannot be read. */
  readFile: (repoRelativePath: string) => string | undefined;
}

export interface PolicyOutcome {
  findings: Finding[];
  /** Findings a suppression comment silenced, with the comment. */
  suppressed: { finding: Finding; suppression: Suppression }[];
  /** Suppression comments worth a word: no reason given, or a rule id that does not exist. */
  warnings: string[];
}

/** Applies suppressions and severity overrides; see applyPolicyWithReport for what was silenced. */
export function applyPolicy(findings: Finding[], policy: Policy): Finding[] {
  return applyPolicyWithReport(findings, policy).findings;
}

export function applyPolicyWithReport(findings: Finding[], policy: Policy): PolicyOutcome {
  const files = new Map<string, ReadonlyMap<number, Suppression>>();
  const suppressionsOf = (file: string): ReadonlyMap<number, Suppression> => {
    let found = files.get(file);
    if (found === undefined) {
      const source = policy.readFile(file);
      found = source === undefined ? new Map<number, Suppression>() : readSuppressions(source);
      files.set(file, found);
    }
    return found;
  };

  const kept: Finding[] = [];
  const suppressed: PolicyOutcome['suppressed'] = [];
  for (const finding of findings) {
    const suppression =
      finding.file === undefined || finding.line === undefined
        ? undefined
        : suppressionFor(suppressionsOf(finding.file), finding.ruleId, finding.line);
    if (suppression !== undefined) {
      suppressed.push({ finding, suppression });
      continue;
    }
    const level = policy.severity[finding.ruleId];
    if (level === 'off') continue;
    kept.push(level === undefined ? finding : { ...finding, severity: level });
  }
  return { findings: kept, suppressed, warnings: suppressionWarnings(files) };
}

function suppressionWarnings(files: ReadonlyMap<string, ReadonlyMap<number, Suppression>>): string[] {
  const warnings: string[] = [];
  for (const [file, suppressions] of files) {
    for (const s of suppressions.values()) {
      const unknown = s.ruleIds.filter((id) => !isRuleId(id));
      if (unknown.length > 0) {
        warnings.push(
          `${file}:${s.line}: alembic-review: ignore[...] names unknown rule ids: ${unknown.join(', ')}`,
        );
      }
      if (s.ruleIds.length === 0)
        warnings.push(`${file}:${s.line}: alembic-review: ignore[] names no rule id`);
      if (s.reason === '')
        warnings.push(`${file}:${s.line}: alembic-review: ignore[${s.ruleIds.join(', ')}] gives no reason`);
    }
  }
  return warnings;
}
