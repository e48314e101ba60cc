// `alembic-review rules`: the catalog, grouped by category, one rule per
// line (id, default severity, summary) with its documentation link below,
// then how to change a severity or silence a finding. The output is stable:
// catalog order, fixed columns, no colour.
import type { Category } from '../model.ts';
import { RULES, docsUrl } from '../rules/catalog.ts';

const CATEGORIES: readonly { category: Category; title: string }[] = [
  { category: 'graph', title: 'graph: the revision graph of the change' },
  { category: 'lint', title: 'lint: the SQL the migrations emit' },
  { category: 'runtime', title: 'runtime: what the replay with rows observed' },
  { category: 'drift', title: 'drift: the migrated schema against the models' },
  { category: 'roundtrip', title: 'roundtrip: downgrade and upgrade again' },
];

export function printRules(): string {
  const width = Math.max(...RULES.map((r) => r.id.length));
  const indent = ' '.repeat(2 + width + 2 + 7 + 2);
  const lines: string[] = [`${RULES.length} rules: id, default severity, summary, documentation`, ''];
  for (const { category, title } of CATEGORIES) {
    const rules = RULES.filter((r) => r.category === category);
    lines.push(`${title} (${rules.length})`);
    for (const rule of rules) {
      lines.push(`  ${rule.id.padEnd(width)}  ${rule.defaultSeverity.padEnd(7)}  ${rule.summary}`);
      lines.push(`${indent}${docsUrl(rule.id)}`);
    }
    lines.push('');
  }
  lines.push(
    'Change a severity, or turn a rule off, in pyproject.toml:',
    '  [tool.alembic-review.rules]',
    '  drop-column = "error"        # error | warning | notice | off',
    "Silence one finding with a comment on the op's line or the line above:",
    '  # alembic-review: ignore[rule-id] the reason',
    '',
  );
  return lines.join('\n');
}
