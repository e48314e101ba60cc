// The data checks in the text and markdown reports: the preflight query and
// its answer under the finding, values only when the report has them, and
// the production-size estimate next to the statement's lock.
import { describe, expect, it } from 'vitest';
import type { Finding, Review } from '../../src/model.ts';
import { summarize } from '../../src/model.ts';
import { renderMarkdown } from '../../src/render/markdown.ts';
import { renderText } from '../../src/render/text.ts';
import { blogReview } from './reviews.ts';

const COUNT_SQL =
  'SELECT count(*) AS violations, coalesce(sum(n), 0) AS rows FROM (SELECT count(*) AS n FROM users WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 1) AS duplicates';

function withDataChecks(result: Finding['preflight']): Review {
  const review = blogReview();
  // The statement that takes ACCESS EXCLUSIVE on users (ADD COLUMN display_name).
  const revision = review.revisions.find((r) =>
    r.statements.some((s) => s.locks.some((l) => l.relation === 'users' && l.mode === 'AccessExclusiveLock')),
  );
  const statement = revision?.statements.find((s) =>
    s.locks.some((l) => l.relation === 'users' && l.mode === 'AccessExclusiveLock'),
  );
  if (revision === undefined || statement === undefined) throw new Error('no statement locks users');
  statement.estimate = {
    table: 'users',
    operation: 'rewrite',
    rows: 12_400_000,
    bytes: 3_328_599_654,
    seconds: 240,
    lock: 'ACCESS EXCLUSIVE',
    text: 'rewrites users: 12.4 M rows, 3.1 GB — about 4 min under ACCESS EXCLUSIVE',
  };
  const finding: Finding = {
    ruleId: 'fails-on-existing-data',
    category: 'runtime',
    severity: result?.result === null ? 'warning' : 'error',
    message: 'Revision fails when users holds two rows with the same email.',
    file: revision.path,
    ...(statement.line === null ? {} : { line: statement.line }),
    revision: revision.id,
    table: 'users',
    column: 'email',
    condition: 'duplicates',
    ...(result === undefined ? {} : { preflight: result }),
    suggestion: { text: 'Resolve the duplicates first.', code: 'op.execute("...")' },
  };
  review.findings = [...review.findings, finding];
  review.summary = summarize(review.findings, review.failOn);
  return review;
}

describe('data checks in the reports', () => {
  it('show the query to run on production when there was no preflight database', () => {
    const review = withDataChecks({ sql: COUNT_SQL, result: null });
    const text = renderText(review);
    expect(text).toContain('check production (read-only):');
    expect(text).toContain(COUNT_SQL);
    const markdown = renderMarkdown(review);
    expect(markdown).toContain('🔎 **Check production** with this read-only query before deploying:');
    expect(markdown).toContain(`\`\`\`sql\n${COUNT_SQL}\n\`\`\``);
  });

  it("show the preflight database's answer, and values only when the report has them", () => {
    const counted = withDataChecks({
      sql: COUNT_SQL,
      result: {
        violations: 1204,
        summary: '1,204 values of email in users occur more than once (2,530 rows)',
      },
    });
    expect(renderText(counted)).toContain(
      'preflight database: 1,204 values of email in users occur more than once (2,530 rows)',
    );
    const markdown = renderMarkdown(counted);
    expect(markdown).toContain(
      '🔎 **Preflight database:** 1,204 values of email in users occur more than once',
    );
    expect(markdown).not.toContain('Values:');
    const shown = withDataChecks({
      sql: COUNT_SQL,
      result: { violations: 1, summary: '1 value', values: ['dup@example.com (3 rows)'] },
    });
    expect(renderText(shown)).toContain('values: dup@example.com (3 rows)');
    expect(renderMarkdown(shown)).toContain('Values: `dup@example.com (3 rows)`');
  });

  it('show the estimate next to the lock, and visibly in the comment', () => {
    const review = withDataChecks(undefined);
    const text = renderText(review);
    expect(text).toMatch(
      /ACCESS EXCLUSIVE on users.*; at production size: rewrites users: 12\.4 M rows, 3\.1 GB — about 4 min under ACCESS EXCLUSIVE/,
    );
    const markdown = renderMarkdown(review);
    expect(markdown).toContain('⏱️ **At production size**');
    // (Markdown escapes the punctuation.)
    expect(markdown.replaceAll('\\', '')).toMatch(
      /- line \d+: rewrites users: 12\.4 M rows, 3\.1 GB — about 4 min under ACCESS EXCLUSIVE/,
    );
  });
});
