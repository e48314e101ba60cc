// The comment for the real review of examples/blog (the whole pipeline on the
// local PostgreSQL), rendered to HTML by a GFM renderer: well-formed headings,
// tables and code blocks, and only the HTML the renderer means to write.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Review } from '../../src/model.ts';
import { resolveOptions } from '../../src/options.ts';
import { COMMENT_LIMIT, renderMarkdown } from '../../src/render/markdown.ts';
import { review } from '../../src/review.ts';
import { codeBlocks, headings, htmlNodes, parse, tables, textOf, toHtml, unexpectedHtml } from './gfm.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let temp: string;
let result: Review;
let markdown: string;

describe('the comment for examples/blog', () => {
  beforeAll(async () => {
    temp = await mkdtemp(path.join(tmpdir(), 'alembic-review-render-'));
    const project = path.join(temp, 'blog');
    await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [project, '--venv', path.join(ROOT, '.venv')]);
    const options = resolveOptions({
      projectDir: project,
      base: 'main',
      database: 'url',
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/postgres',
    });
    result = await review(options, { log: () => undefined, pythonOutput: () => undefined });
    markdown = renderMarkdown(result, { maxLength: COMMENT_LIMIT - 512 });
  });

  afterAll(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  test('headings: the verdict, then one per new revision in upgrade order', () => {
    const tree = parse(markdown);
    expect(tree.children[0]?.type).toBe('heading');
    const all = headings(tree);
    expect(all[0]?.depth).toBe(3);
    expect(textOf(all[0] ?? tree)).toMatch(/^[❌✅] alembic-review: /);
    const revisionHeadings = all.filter((h) => h.depth === 4 && /^\S+ [0-9a-f]{12} /.test(textOf(h)));
    expect(revisionHeadings.map((h) => textOf(h).split(' ')[1])).toEqual([
      '4a8d2126b4e4',
      '351c640d6175',
      '10d55bdb4f5a',
    ]);
    expect(all.every((h) => h.depth === 3 || h.depth === 4)).toBe(true);
  });

  test('tables: every row has the header’s cells', () => {
    const tree = parse(markdown);
    const found = tables(tree);
    expect(found.length).toBeGreaterThanOrEqual(1);
    for (const table of found) {
      const width = table.children[0]?.children.length ?? 0;
      for (const row of table.children) expect(row.children).toHaveLength(width);
    }
    expect(found[0]?.children).toHaveLength(1 + result.revisions.filter((r) => r.new).length);
  });

  test('code blocks: the fixes in python, the SQL of each revision, the graph; all closed', () => {
    const blocks = codeBlocks(parse(markdown));
    const fixes = result.findings.filter((f) => f.suggestion?.code !== undefined && f.category !== 'drift');
    for (const fix of fixes)
      expect(blocks).toContainEqual(expect.objectContaining({ lang: 'python', value: fix.suggestion?.code }));
    const withSql = result.revisions.filter((r) => r.new && r.statements.length > 0);
    expect(blocks.filter((b) => b.lang === 'sql')).toHaveLength(withSql.length);
    expect(blocks.filter((b) => b.lang === 'mermaid')).toHaveLength(1);
    const html = toHtml(markdown);
    expect(html.match(/<pre><code/g)?.length).toBe(blocks.length);
    expect(html.match(/<\/code><\/pre>/g)?.length).toBe(blocks.length);
  });

  test('only the renderer’s own HTML, balanced', () => {
    const tree = parse(markdown);
    expect(unexpectedHtml(tree)).toEqual([]);
    const html = htmlNodes(tree).map((n) => n.value);
    expect(html.filter((h) => h.startsWith('<details>')).length).toBe(
      html.filter((h) => h === '</details>').length,
    );
  });

  test('the pitfalls are there, at their lines', () => {
    const rules = result.findings.map((f) => `${f.ruleId}@${f.file ?? ''}:${f.line ?? ''}`);
    expect(rules).toContain(
      'not-null-column-without-default@migrations/versions/4a8d2126b4e4_add_display_name_to_users.py:24',
    );
    expect(
      rules.some((r) =>
        /^drop-and-add-column@migrations\/versions\/351c640d6175_rename_post_body_to_content\.py:2[45]$/.test(
          r,
        ),
      ),
    ).toBe(true);
    expect(markdown).toContain('not-null-column-without-default');
    expect(markdown).toContain('drop-and-add-column');
  });
});
