// The project's policy over the findings: suppression comments in the
// migration files, the per-object ignores of [tool.alembic-review] ignore,
// the per-rule severities of [tool.alembic-review.rules] ('off' removes a
// rule's findings), then what becomes of findings that were already true at
// the base commit (pre-existing: notices by default).
import { finding as makeFinding } from '../checks/finding.ts';
import type { Category, Finding, Severity } from '../model.ts';
import { isRuleId, ruleMeta } from './catalog.ts';
import { IgnoreList, type IgnoreEntry } from './ignores.ts';
import { readSuppressions, suppressionFor, type Suppression } from './suppressions.ts';

/** What findings with origin "base" become: notices, as severe as they are, or nothing. */
export type PreExisting = 'notice' | 'error' | 'off';

export interface Policy {
  severity: Record<string, Severity | 'off'>;
  /** A repository-relative file's text, or undefined when it cannot be read. */
  readFile: (repoRelativePath: string) => string | undefined;
  /** Per-object ignores (default none). */
  ignore?: readonly IgnoreEntry[];
  /** Default 'notice'. */
  preExisting?: PreExisting;
  /**
   * Categories whose checks did not run (e.g. drift when the models could
   * not be built): an ignore entry for their rules that matched nothing is
   * not stale, only unchecked.
   */
  skipped?: readonly Category[];
}

export interface PolicyOutcome {
  findings: Finding[];
  /** Findings a suppression comment silenced, with the comment. */
  suppressed: { finding: Finding; suppression: Suppression }[];
  /** Findings an ignore entry silenced, with the entry. */
  ignored: { finding: Finding; entry: IgnoreEntry }[];
  /** Ignore entries that matched no finding (among the checks that ran). */
  unusedIgnores: IgnoreEntry[];
  /** Suppression comments worth a word: no reason given, or a rule id that does not exist. */
  warnings: string[];
}

/**
 * Applies the policy; findings an ignore entry expected but did not find are
 * reported as unused-ignore notices at the end, so that stale entries are seen.
 */
export function applyPolicy(findings: Finding[], policy: Policy): Finding[] {
  const outcome = applyPolicyWithReport(findings, policy);
  return [...outcome.findings, ...outcome.unusedIgnores.map(unusedIgnore)];
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
  const ignores = new IgnoreList(policy.ignore ?? []);
  const preExisting = policy.preExisting ?? 'notice';

  const kept: Finding[] = [];
  const suppressed: PolicyOutcome['suppressed'] = [];
  const ignored: PolicyOutcome['ignored'] = [];
  for (const finding of findings) {
    const suppression =
      finding.file === undefined || finding.line === undefined
        ? undefined
        : suppressionFor(suppressionsOf(finding.file), finding.ruleId, finding.line);
    if (suppression !== undefined) {
      suppressed.push({ finding, suppression });
      continue;
    }
    const entry = ignores.match(finding);
    if (entry !== undefined) {
      ignored.push({ finding, entry });
      continue;
    }
    const level = policy.severity[finding.ruleId];
    if (level === 'off') continue;
    const leveled = level === undefined ? finding : { ...finding, severity: level };
    if (finding.origin === 'base') {
      if (preExisting === 'off') continue;
      kept.push(preExisting === 'notice' ? { ...leveled, severity: 'notice' } : leveled);
    } else {
      kept.push(leveled);
    }
  }
  const skipped = new Set(policy.skipped ?? []);
  const unusedIgnores = ignores.unused().filter((e) => !skipped.has(ruleMeta(e.ruleId).category));
  return { findings: kept, suppressed, ignored, unusedIgnores, warnings: suppressionWarnings(files) };
}

function unusedIgnore(entry: IgnoreEntry): Finding {
  return {
    ...makeFinding({
      ruleId: 'unused-ignore',
      message: `The ignore entry "${entry.text}"${entry.reason === '' ? '' : ` (${entry.reason})`} matched no finding of this review: the problem it silenced is gone (or the object was renamed). Remove the entry so that it cannot hide a new problem of that name.`,
      details: { rule: entry.ruleId, object: entry.object },
      suggestion: { text: `Delete "${entry.text}" from ignore in [tool.alembic-review].` },
    }),
    origin: 'pr',
  };
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
