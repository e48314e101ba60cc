// The terminal report: verdict first, each new revision's statements with the
// line of the op call, colour only when asked for.
import { describe, expect, test } from 'vitest';
import { renderText } from '../../src/render/text.ts';
import { renderReport } from '../../src/render/index.ts';
import { HOSTILE, blogReview, hostileReview } from './reviews.ts';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;

describe('text report', () => {
  test('verdict first, then the new revisions oldest first with their statements and findings', () => {
    const text = renderText(blogReview(), { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('FAIL  3 errors, 0 warnings, 0 notices (fail-on: error)');
    const order = ['4a8d2126b4e4', '351c640d6175', '10d55bdb4f5a'].map((id) =>
      lines.findIndex((l) => l.startsWith(`${id}  `)),
    );
    expect(order.every((index, i) => index > 0 && (i === 0 || index > (order[i - 1] ?? 0)))).toBe(true);
    expect(text).toContain('  line   24  ALTER TABLE users ADD COLUMN display_name VARCHAR(100) NOT NULL');
    expect(text).toContain('  line   25  ALTER TABLE posts DROP COLUMN body');
    expect(text).toContain('failed: column "display_name" of relation "users" contains null values');
    expect(text).toContain(
      'error   not-null-column-without-default migrations/versions/4a8d2126b4e4_add_display_name_to_users.py:24',
    );
    expect(text).toContain('            op.alter_column("posts", "body", new_column_name="content")');
    expect(text).not.toMatch(ANSI);
  });

  test('colour only when asked for', () => {
    expect(renderText(blogReview(), { color: true })).toMatch(ANSI);
    expect(renderReport(blogReview(), 'text', { color: false })).not.toMatch(ANSI);
  });

  test('escape sequences from the project are shown, not sent to the terminal', () => {
    const review = hostileReview();
    const finding = review.findings.find((f) => f.ruleId === 'drop-column');
    if (finding !== undefined) finding.message = 'clear the screen \u001b[2J and ring \u0007';
    const text = renderText(review, { color: false });
    expect(text).not.toMatch(ANSI);
    expect(text).toContain('clear the screen \\x1b[2J and ring \\x07');
    expect(text).toContain(HOSTILE.table);
    expect(text).toContain('Schema drift (models vs. migrations)');
    expect(text).toContain('Other findings');
  });

  test('every format renders through renderReport', () => {
    const review = blogReview();
    expect(JSON.parse(renderReport(review, 'json', { color: false }))).toMatchObject({
      version: 1,
      summary: review.summary,
    });
    expect(renderReport(review, 'markdown', { color: false })).toMatch(/^### ❌ alembic-review/);
    expect(JSON.parse(renderReport(review, 'sarif', { color: false }))).toMatchObject({ version: '2.1.0' });
  });
});
