// Building findings: the rule's category and default severity come from the
// catalog, so a check only says what it found.
import type { Finding } from '../model.ts';
import { ruleMeta } from '../rules/catalog.ts';

export type FindingInput = Omit<Finding, 'category' | 'severity'>;

export function finding(input: FindingInput): Finding {
  const meta = ruleMeta(input.ruleId);
  const { ruleId, ...rest } = input;
  return { ruleId, category: meta.category, severity: meta.defaultSeverity, ...rest };
}
