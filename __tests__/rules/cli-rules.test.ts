// `alembic-review rules`: the whole catalog, grouped by category, each rule
// with its severity, summary and documentation link.
import { describe, expect, it } from 'vitest';
import { RULES, docsUrl } from '../../src/rules/catalog.ts';
import { runCli } from '../helpers/cli.ts';

describe('alembic-review rules', () => {
  it('prints every rule once with its severity, summary and docs link, in catalog order', async () => {
    const result = await runCli(['rules']);
    expect(result.code).toBe(0);
    // The catalog part, before the how-to at the end.
    const lines = result.stdout.split('\nChange a severity')[0]?.split('\n') ?? [];
    expect(lines[0]).toBe(`${RULES.length} rules: id, default severity, summary, documentation`);
    let previous = -1;
    for (const rule of RULES) {
      const index = lines.findIndex((l) => l.startsWith(`  ${rule.id} `));
      expect(index, rule.id).toBeGreaterThan(previous);
      expect(lines[index]).toMatch(
        new RegExp(
          `^  ${rule.id} +${rule.defaultSeverity} +${rule.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
        ),
      );
      expect(lines[index + 1]?.trim()).toBe(docsUrl(rule.id));
      expect(lines.filter((l) => l.startsWith(`  ${rule.id} `))).toHaveLength(1);
      previous = index;
    }
  });

  it('groups by category with counts, and says how to change severities and silence findings', async () => {
    const { stdout } = await runCli(['rules']);
    const headings = stdout.split('\n').filter((l) => /^[a-z]+: .* \(\d+\)$/.test(l));
    expect(headings.map((h) => h.split(':')[0])).toEqual(['graph', 'lint', 'runtime', 'drift', 'roundtrip']);
    for (const heading of headings) {
      const category = heading.split(':')[0];
      expect(heading).toMatch(new RegExp(`\\(${RULES.filter((r) => r.category === category).length}\\)$`));
    }
    expect(stdout).toContain('[tool.alembic-review.rules]');
    expect(stdout).toContain('# alembic-review: ignore[rule-id] the reason');
  });
});
