// What a finding is about, spelled the way a user writes it in an ignore
// entry and the way the baseline matches findings of the pull request with
// those of the base: "table", "table.column", "table.index_or_constraint"
// (tables outside public as "schema.table"), an enum's name, a revision id
// for graph findings.
import type { Finding } from '../model.ts';

/** The name of the index, constraint or enum a drift finding is about, on each side. */
function sideNames(finding: Finding): string[] {
  const details = finding.details;
  if (details === undefined) return [];
  const names: string[] = [];
  for (const side of [details.actual, details.expected]) {
    if (typeof side !== 'object' || side === null || !('name' in side)) continue;
    const name = side.name;
    if (typeof name === 'string' && name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}

function enumName(finding: Finding): string[] {
  const details = finding.details;
  for (const side of [details?.actual, details?.expected]) {
    if (typeof side !== 'object' || side === null) continue;
    const { name, schema } = side as { name?: unknown; schema?: unknown };
    if (typeof name !== 'string') continue;
    return [typeof schema === 'string' && schema !== 'public' ? `${schema}.${name}` : name];
  }
  return [];
}

const NAMED_OBJECT_RULES = new Set([
  'drift-primary-key',
  'drift-index',
  'drift-unique-constraint',
  'drift-foreign-key',
  'drift-check-constraint',
]);

/**
 * The finding's object, most specific first; several when it has two names
 * (an index that differs in name only is matched by either). Empty when it
 * is about nothing a name can point at.
 */
export function findingObjects(finding: Finding): string[] {
  if (finding.ruleId === 'drift-enum') return enumName(finding);
  const table = finding.table;
  if (NAMED_OBJECT_RULES.has(finding.ruleId) && table !== undefined) {
    const names = sideNames(finding).map((name) => `${table}.${name}`);
    return names.length > 0 ? names : [table];
  }
  if (table !== undefined) return finding.column === undefined ? [table] : [`${table}.${finding.column}`];
  if (finding.category === 'graph' && finding.revision !== undefined) return [finding.revision];
  return [];
}

/** The kind of change a drift finding reports (missing, unexpected, renamed, ...), when it has one. */
export function findingChange(finding: Finding): string {
  const change = finding.details?.change;
  return typeof change === 'string' ? change : '';
}
