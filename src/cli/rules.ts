// `alembic-review rules`: the catalog, one rule a line, grouped by category.
import { RULES, docsUrl } from '../rules/catalog.ts';

export function printRules(): string {
  const lines: string[] = [];
  const width = Math.max(...RULES.map((r) => r.id.length));
  for (const category of ['graph', 'lint', 'runtime', 'drift', 'roundtrip'] as const) {
    lines.push(`${category}:`);
    for (const rule of RULES.filter((r) => r.category === category)) {
      lines.push(`  ${rule.id.padEnd(width)}  ${rule.defaultSeverity.padEnd(7)}  ${rule.summary}`);
      lines.push(`  ${' '.repeat(width)}  ${' '.repeat(7)}  ${docsUrl(rule.id)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
