// The catalog's lint entries come from the lint rule modules, every rule id
// has its documentation page (what Postgres does, bad and good Alembic code,
// how to suppress), and the index lists them all as the catalog does.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINT_RULES } from '../../src/lint/rules/index.ts';
import { RULES, docsPath, isRuleId, ruleMeta } from '../../src/rules/catalog.ts';
import { ROOT } from '../helpers/alembic-project.ts';

const DOCS = path.join(ROOT, 'docs/rules');

// The lint rule ids of the design's contract.
const LINT_IDS = [
  'not-null-column-without-default',
  'set-not-null-without-backfill',
  'drop-and-add-column',
  'rename-column',
  'rename-table',
  'drop-column',
  'drop-table',
  'change-column-type',
  'create-index-non-concurrently',
  'add-foreign-key-validates',
  'add-unique-constraint',
  'add-check-constraint-validates',
  'volatile-default-rewrite',
  'concurrently-in-transaction',
  'missing-lock-timeout',
  'add-primary-key',
  'unparsed-statement',
];

describe('catalog', () => {
  it('takes its lint entries from the lint rule modules, in order', () => {
    const lint = RULES.filter((r) => r.category === 'lint');
    expect(lint.map((r) => r.id)).toEqual(LINT_IDS);
    expect(lint).toEqual(
      LINT_RULES.map(({ meta }) => ({
        id: meta.id,
        category: meta.category,
        defaultSeverity: meta.defaultSeverity,
        summary: meta.summary,
      })),
    );
    for (const { meta } of LINT_RULES) {
      expect(meta.docs).toBe(docsPath(meta.id));
      expect(ruleMeta(meta.id).defaultSeverity).toBe(meta.defaultSeverity);
    }
  });

  it('has unique ids', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    expect(isRuleId('drop-column')).toBe(true);
    expect(isRuleId('drop-colum')).toBe(false);
  });
});

describe('docs/rules', () => {
  it.each(RULES.map((r) => [r.id, r] as const))('%s has a page', (id, rule) => {
    const file = path.join(ROOT, docsPath(id));
    expect(existsSync(file)).toBe(true);
    const page = readFileSync(file, 'utf8');
    expect(page.split('\n')[0]).toBe(`# ${id}`);
    expect(page).toContain(`**Category:** ${rule.category} · **Default severity:** ${rule.defaultSeverity}`);
    const sections = [...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    for (const section of ['Bad', 'Good', 'Suppress']) expect(sections).toContain(section);
    expect(sections.some((s) => s?.startsWith('What '))).toBe(true);
    // Bad and Good show code.
    for (const section of ['Bad', 'Good']) {
      const body = page.split(`## ${section}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(body, `${id}: ${section}`).toMatch(/```/);
    }
  });

  it('has no page for an unknown rule, and every link between pages resolves', () => {
    for (const file of readdirSync(DOCS)) {
      if (file === 'README.md') continue;
      expect(isRuleId(file.replace(/\.md$/, '')), file).toBe(true);
      const page = readFileSync(path.join(DOCS, file), 'utf8');
      for (const [, target] of page.matchAll(/\]\(([^)#]+\.md)\)/g)) {
        expect(existsSync(path.join(DOCS, target ?? '')), `${file} → ${target}`).toBe(true);
      }
    }
  });

  it('has an index that lists every rule as the catalog does', () => {
    const index = readFileSync(path.join(DOCS, 'README.md'), 'utf8');
    const rows = index
      .split('\n')
      .filter((line) => line.startsWith('| ['))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows).toEqual(RULES.map((r) => [`[${r.id}](${r.id}.md)`, r.defaultSeverity, r.summary]));
  });
});
