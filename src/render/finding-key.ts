// A stable identity for a finding across pushes: the same problem in the same
// place keeps its key when unrelated lines move, so an inline comment is not
// posted again and SARIF results keep their fingerprint. The line takes part
// only when nothing else pins the place down.
import { createHash } from 'node:crypto';
import type { Finding } from '../model.ts';

export function findingKey(project: string, finding: Finding): string {
  const place =
    finding.table !== undefined ? [finding.table, finding.column ?? ''] : [String(finding.line ?? '')];
  const parts = [project, finding.ruleId, finding.file ?? '', finding.revision ?? '', ...place];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
