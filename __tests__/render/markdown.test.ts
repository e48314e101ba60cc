// The pull request comment, checked the way GitHub shows it: parsed by a GFM
// renderer (micromark) into headings, tables, code blocks and raw HTML.
import { describe, expect, test } from 'vitest';
import { docsUrl } from '../../src/rules/catalog.ts';
import { renderInlineComment } from '../../src/render/inline.ts';
import { COMMENT_LIMIT, renderMarkdown } from '../../src/render/markdown.ts';
import { JOB_SUMMARY_LIMIT_BYTES, renderJobSummary } from '../../src/render/summary.ts';
import {
  all,
  codeBlocks,
  headings,
  htmlNodes,
  parse,
  tables,
  textOf,
  toHtml,
  unexpectedHtml,
} from './gfm.ts';
import { HOSTILE, blogReview, hostileReview, hugeReview } from './reviews.ts';

const fileUrl = (file: string, line?: number): string =>
  `https://github.com/blog-team/blog/blob/${'c'.repeat(40)}/${file.split('/').map(encodeURIComponent).join('/')}${line === undefined ? '' : `#L${line}`}`;

/** Finding lines: "<icon> **severity** `rule` ...". */
function findingCount(markdown: string): number {
  return (markdown.match(/^(?:🛑|⚠️|ℹ️) \*\*(?:error|warning|notice)\*\*/gmu) ?? []).length;
}

const visible = (value: string): string => value.replace(/\u200b/g, '');

describe('markdown comment for the blog example', () => {
  const review = blogReview();
  const markdown = renderMarkdown(review, { fileUrl });
  const tree = parse(markdown);

  test('starts with the verdict and the counts', () => {
    const [first, second] = tree.children;
    expect(first?.type).toBe('heading');
    expect(first === undefined ? '' : textOf(first)).toBe('❌ alembic-review: merge blocked by 3 errors');
    expect(second === undefined ? '' : textOf(second)).toBe(
      '🛑 3 errors · ⚠️ 0 warnings · ℹ️ 0 notices · fail-on: error',
    );
  });

  test('an overview table with one row per new revision, oldest first', () => {
    const [overview] = tables(tree);
    expect(overview?.children[0]?.children.map((c) => textOf(c))).toEqual([
      '',
      'Revision',
      'Message',
      'Replay',
      'Findings',
    ]);
    const rows = overview?.children.slice(1).map((row) => row.children.map((c) => textOf(c))) ?? [];
    expect(rows.map((r) => r[1])).toEqual(['4a8d2126b4e4', '351c640d6175', '10d55bdb4f5a']);
    expect(rows[0]).toEqual(['❌', '4a8d2126b4e4', 'add display_name to users', 'failed', '🛑 2 errors']);
    for (const row of rows) expect(row).toHaveLength(5);
  });

  test('a section per new revision with its findings, linked to the line and the rule docs', () => {
    const sections = headings(tree).filter((h) => h.depth === 4);
    expect(sections.map((h) => textOf(h))).toEqual([
      '❌ 4a8d2126b4e4 add display_name to users',
      '❌ 351c640d6175 rename post body to content',
      '✅ 10d55bdb4f5a add comments table',
    ]);
    const links = all(tree, 'link').map((l) => ({ url: l.url, text: textOf(l) }));
    for (const finding of review.findings) {
      expect(links).toContainEqual({ url: docsUrl(finding.ruleId), text: finding.ruleId });
      expect(links).toContainEqual({
        url: fileUrl(finding.file ?? '', finding.line),
        text: `line ${finding.line}`,
      });
    }
    expect(findingCount(markdown)).toBe(review.findings.length);
  });

  test('suggested fixes as python blocks, captured SQL collapsed, the revision graph in Mermaid', () => {
    const blocks = codeBlocks(tree);
    const python = blocks.filter((b) => b.lang === 'python').map((b) => b.value);
    expect(python).toEqual(
      review.findings.flatMap((f) => (f.suggestion?.code === undefined ? [] : [f.suggestion.code])),
    );
    const sql = blocks.filter((b) => b.lang === 'sql').map((b) => b.value);
    expect(sql).toHaveLength(3);
    expect(sql[0]).toContain('ALTER TABLE users ADD COLUMN display_name VARCHAR(100) NOT NULL;');
    expect(sql[0]).toContain(
      'FAILED: column "display_name" of relation "users" contains null values (SQLSTATE 23502)',
    );
    expect(sql[1]).toMatch(
      /-- line 24 .*\nALTER TABLE posts ADD COLUMN content TEXT;\n\n-- line 25 .*\nALTER TABLE posts DROP COLUMN body;/,
    );
    const [mermaid] = blocks.filter((b) => b.lang === 'mermaid');
    expect(mermaid?.value).toContain('flowchart TB');
    expect(mermaid?.value).toMatch(/r\d\["4a8d2126b4e4 · add display_name to users"\]:::failed/);
    expect(mermaid?.value).toMatch(/r\d\["b74d7b47a25b · create users table"\]\n/);
    const html = htmlNodes(tree).map((n) => n.value);
    expect(html.filter((h) => h.startsWith('<details>'))).toHaveLength(4);
    expect(html.filter((h) => h === '</details>')).toHaveLength(4);
    expect(unexpectedHtml(tree)).toEqual([]);
  });

  test('ends with versions, timings and the link to the run', () => {
    const last = tree.children.at(-1);
    const footer = last === undefined ? '' : textOf(last);
    expect(footer).toContain(
      'alembic-review 0.1.0 · PostgreSQL 15.20 · Python 3.11.7 · Alembic 1.20.1 · SQLAlchemy 2.1.9 (psycopg)',
    );
    expect(footer).toContain('replay 506 ms');
    expect(all(tree, 'link').map((l) => l.url)).toContain(review.runUrl);
  });

  test('renders to HTML with the headings, tables and code blocks intact', () => {
    const html = toHtml(markdown);
    expect(html.match(/<h3>/g)).toHaveLength(1);
    expect(html.match(/<h4>/g)).toHaveLength(3);
    expect(html.match(/<table>/g)).toHaveLength(1);
    expect(html.match(/<pre><code class="language-python">/g)).toHaveLength(2);
    expect(html.match(/<pre><code class="language-sql">/g)).toHaveLength(3);
    expect(html.match(/<pre><code/g)).toHaveLength(html.match(/<\/code><\/pre>/g)?.length ?? -1);
  });

  test('notices are folded into one collapsed block per section', () => {
    const notice = {
      ruleId: 'access-exclusive-lock',
      category: 'runtime' as const,
      severity: 'notice' as const,
      message: 'Takes an ACCESS EXCLUSIVE lock on users.',
      file: review.findings[0]?.file,
      line: 24,
      revision: '4a8d2126b4e4',
    };
    const withNotices = { ...review, findings: [...review.findings, notice, { ...notice, line: 25 }] };
    const folded = renderMarkdown(withNotices);
    expect(folded).toMatch(
      /<details><summary>ℹ️ 2 notices<\/summary>\n\nℹ️ \*\*notice\*\* \[`access-exclusive-lock`\]\([^)]+\) at line 24: Takes an ACCESS EXCLUSIVE lock on users\\\.\n\nℹ️ \*\*notice\*\* [^\n]+ at line 25: [^\n]+\n\n<\/details>/,
    );
    expect(findingCount(folded)).toBe(withNotices.findings.length);
    expect(unexpectedHtml(parse(folded))).toEqual([]);
  });

  test('a preamble (the hidden marker) comes first, as one HTML comment', () => {
    const marked = parse(renderMarkdown(review, { preamble: '<!-- alembic-review:comment project=. -->' }));
    expect(marked.children[0]).toMatchObject({
      type: 'html',
      value: '<!-- alembic-review:comment project=. -->',
    });
    expect(marked.children[1]?.type).toBe('heading');
  });

  test('a passing review says so, and one without new revisions says that nothing was replayed', () => {
    const passing = {
      ...review,
      failOn: 'never' as const,
      summary: { ...review.summary, verdict: 'pass' as const },
    };
    expect(renderMarkdown(passing).split('\n')[0]).toBe(
      '### ✅ alembic-review: passed with 3 findings to look at',
    );
    const empty = {
      ...review,
      findings: [],
      revisions: review.revisions.filter((r) => !r.new),
      summary: { errors: 0, warnings: 0, notices: 0, verdict: 'pass' as const },
    };
    const text = renderMarkdown(empty);
    expect(text.split('\n')[0]).toBe('### ✅ alembic-review: passed');
    expect(text).toContain('No new Alembic revisions in `.` since `main (6ea0fc2)`: nothing was replayed.');
    expect(tables(parse(text))).toHaveLength(0);
  });
});

describe('text from the pull request cannot break the comment', () => {
  const review = hostileReview();
  const markdown = renderMarkdown(review, { fileUrl, preamble: '<!-- alembic-review:comment project=. -->' });
  const tree = parse(markdown);
  const html = toHtml(markdown);
  const texts = all(tree, 'text').map((t) => t.value);

  test('no raw HTML but ours, and no active HTML in the rendered page', () => {
    expect(unexpectedHtml(tree)).toEqual([]);
    expect(htmlNodes(tree).filter((n) => n.value.startsWith('<!--'))).toHaveLength(1);
    expect(html).not.toMatch(/<img|<script|href="javascript:/i);
    expect(html.match(/<details>/g)?.length).toBe(html.match(/<\/details>/g)?.length);
  });

  test('nobody is mentioned and no issue is referenced', () => {
    for (const value of texts) {
      expect(value).not.toMatch(/@[A-Za-z0-9]/);
      expect(value).not.toMatch(/#\d/);
    }
    expect(texts.join('')).toContain('@\u200boctocat');
  });

  test('headings, tables and code blocks keep their shape and show the text as it is', () => {
    const expectedHeadings = 1 + review.revisions.filter((r) => r.new).length + 2; // verdict, revisions, drift, other
    expect(headings(tree)).toHaveLength(expectedHeadings);
    const section = headings(tree).find((h) => textOf(h).includes('dead`beef'));
    expect(section === undefined ? '' : textOf(section)).toBe(
      `⚠️ dead\`beef ${HOSTILE.revisionMessage.split('\n')[0] ?? ''}`,
    );

    const [overview, drift] = tables(tree);
    const hostileRow = overview?.children.find((row) => textOf(row.children[1] ?? row).includes('beef'));
    expect(hostileRow?.children.map((c) => visible(textOf(c)))).toEqual([
      '⚠️',
      HOSTILE.revisionId,
      HOSTILE.revisionMessage.split('\n')[0],
      'applied in 3 ms',
      '⚠️ 1 warning',
    ]);
    const driftCells = drift?.children[1]?.children.map((c) => visible(textOf(c)));
    expect(driftCells).toEqual([
      '🛑',
      'drift-column-type',
      HOSTILE.table,
      HOSTILE.column,
      HOSTILE.message.replace(/\s+/g, ' '),
    ]);

    const blocks = codeBlocks(tree);
    expect(
      blocks.filter((b) => b.lang === 'python' && b.value === HOSTILE.code).length,
    ).toBeGreaterThanOrEqual(2);
    expect(blocks.some((b) => b.lang === 'sql' && b.value.includes(HOSTILE.sql))).toBe(true);
    expect(blocks.every((b) => ['python', 'sql', 'mermaid'].includes(b.lang ?? ''))).toBe(true);
  });

  test('inline comments are escaped the same way', () => {
    const inline = renderInlineComment(
      review.findings.filter((f) => f.file === HOSTILE.file),
      HOSTILE.file,
    );
    const inlineTree = parse(inline);
    expect(unexpectedHtml(inlineTree)).toEqual([]);
    expect(toHtml(inline)).not.toMatch(/<img|<script|<details/i);
    for (const node of all(inlineTree, 'text')) expect(node.value).not.toMatch(/@[A-Za-z0-9]|#\d/);
    expect(codeBlocks(inlineTree).map((b) => b.value)).toEqual([HOSTILE.code]);
  });

  test('links only go where they should', () => {
    const urls = all(tree, 'link').map((l) => l.url);
    for (const url of urls) expect(url).toMatch(/^https:\/\/github\.com\//);
    expect(urls).toContain(
      fileUrl(HOSTILE.file, 7).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    );
  });
});

describe('the size limit', () => {
  test('a big review first loses its SQL, then its code, then is cut with a pointer', () => {
    const review = hugeReview(60, 10);
    expect(renderMarkdown(review).length).toBeGreaterThan(COMMENT_LIMIT);
    const limit = COMMENT_LIMIT - 512;
    const markdown = renderMarkdown(review, { maxLength: limit });
    expect(markdown.length).toBeLessThanOrEqual(limit);
    const tree = parse(markdown);
    expect(codeBlocks(tree).filter((b) => b.lang === 'sql')).toHaveLength(0);
    const shown = findingCount(markdown);
    const pointer =
      /(\d+) more findings and the rest of the report are in the \[job summary of the workflow run\]\(([^)]+)\)/.exec(
        markdown,
      );
    expect(pointer?.[2]).toBe(review.runUrl);
    expect(shown + Number(pointer?.[1])).toBe(review.findings.length);
    expect(shown).toBeGreaterThan(100);
    // Still well-formed: the verdict first, the footer last, no broken HTML.
    expect(tree.children[0]?.type).toBe('heading');
    expect(textOf(tree.children.at(-1) ?? tree)).toContain('alembic-review 0.1.0');
    expect(unexpectedHtml(tree)).toEqual([]);
  });

  test('a review that fits without its SQL keeps every finding and fix', () => {
    const review = hugeReview(12, 6);
    const full = renderMarkdown(review);
    const limit = Math.floor(full.length * 0.75);
    const markdown = renderMarkdown(review, { maxLength: limit });
    expect(markdown.length).toBeLessThanOrEqual(limit);
    expect(findingCount(markdown)).toBe(review.findings.length);
    const blocks = codeBlocks(parse(markdown));
    expect(blocks.filter((b) => b.lang === 'sql')).toHaveLength(0);
    expect(blocks.filter((b) => b.lang === 'python')).toHaveLength(
      review.findings.filter((f) => f.suggestion?.code).length,
    );
    expect(markdown).not.toContain('This comment was cut');
  });

  test('the job summary keeps the SQL and stays under 1 MiB', () => {
    const review = hugeReview(60, 10);
    const summary = renderJobSummary(review);
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(JOB_SUMMARY_LIMIT_BYTES);
    expect(codeBlocks(parse(summary)).filter((b) => b.lang === 'sql')).toHaveLength(3 + 60);
    expect(findingCount(summary)).toBe(review.findings.length);
  });

  test('the job summary ends with what each stage took, in the order the stages ran', () => {
    const review = {
      ...hugeReview(1, 1),
      timings: { 'open project': 812, replay: 2450, 'baseline (alongside)': 1300 },
    };
    const summary = renderJobSummary(review);
    const table = summary.slice(summary.indexOf('<summary>Timings</summary>'));
    expect(table).toContain('| stage | time |');
    expect(table.indexOf('| open project | 812 ms |')).toBeLessThan(table.indexOf('| replay | 2.5 s |'));
    expect(table).toContain('| baseline (alongside) | 1.3 s |');
    expect(renderJobSummary({ ...review, timings: {} })).not.toContain('Timings');
  });
});
