// Reviews for the renderer tests: the blog example's (a stored fixture), a
// hostile one whose names, messages and SQL try to break out of the markdown,
// and a huge one for the size limits.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Review, Revision } from '../../src/model.ts';
import { summarize } from '../../src/model.ts';

export function blogReview(): Review {
  return JSON.parse(
    readFileSync(path.join(import.meta.dirname, '../fixtures/reviews/blog.json'), 'utf8'),
  ) as Review;
}

/** Text a pull request's author controls, trying everything at once. */
export const HOSTILE = {
  table: 'users</details><img src=x onerror=alert(1)>',
  column: 'a|b` | `c',
  message:
    'Ping @octocat and @github/security, see #1 and other/repo#2 <!-- alembic-review:comment project=. --> ``` </details> <script>alert(1)</script> [x](javascript:alert(1)) **bold** | cell',
  revisionMessage: 'add | a | table\n# Heading\n<details open>',
  revisionId: 'dead`beef',
  sql: 'SELECT 1;\n```\n</details>\n<img src=x onerror=alert(1)>\n-- @octocat',
  code: 'op.execute("""\n```\n</details>\n""")',
  file: 'migrations/versions/dead beef(1)_x.py',
};

export function hostileReview(): Review {
  const review = blogReview();
  const revision: Revision = {
    id: HOSTILE.revisionId,
    path: HOSTILE.file,
    new: true,
    downRevisions: ['10d55bdb4f5a'],
    dependsOn: [],
    branchLabels: [],
    message: HOSTILE.revisionMessage,
    applied: true,
    durationMs: 3,
    statements: [
      {
        sql: HOSTILE.sql,
        line: 7,
        file: HOSTILE.file,
        durationMs: 1,
        locks: [{ relation: HOSTILE.table, mode: 'AccessExclusiveLock' }],
        rewrote: [HOSTILE.table],
      },
    ],
  };
  const findings: Finding[] = [
    {
      ruleId: 'drop-column',
      category: 'lint',
      severity: 'warning',
      message: HOSTILE.message,
      file: HOSTILE.file,
      line: 7,
      revision: HOSTILE.revisionId,
      table: HOSTILE.table,
      column: HOSTILE.column,
      suggestion: { text: HOSTILE.message, code: HOSTILE.code },
    },
    {
      ruleId: 'drift-column-type',
      category: 'drift',
      severity: 'error',
      message: HOSTILE.message,
      table: HOSTILE.table,
      column: HOSTILE.column,
      details: { expected: 'varchar(10) | x', actual: '`text`' },
      suggestion: { text: HOSTILE.message, code: HOSTILE.code },
    },
    {
      ruleId: 'unknown-rule-from-elsewhere',
      category: 'graph',
      severity: 'notice',
      message: HOSTILE.message,
    },
  ];
  review.revisions = [...review.revisions, revision];
  review.findings = [...review.findings, ...findings];
  review.summary = summarize(review.findings, review.failOn);
  return review;
}

/** Many revisions, findings and big SQL: far over GitHub's comment limit when rendered whole. */
export function hugeReview(revisionCount: number, findingsPerRevision: number): Review {
  const review = blogReview();
  const revisions: Revision[] = [];
  const findings: Finding[] = [];
  for (let r = 0; r < revisionCount; r++) {
    const id = `rev${String(r).padStart(4, '0')}`;
    const file = `migrations/versions/${id}_step.py`;
    revisions.push({
      id,
      path: file,
      new: true,
      downRevisions: [r === 0 ? '10d55bdb4f5a' : `rev${String(r - 1).padStart(4, '0')}`],
      dependsOn: [],
      branchLabels: [],
      message: `step ${r}`,
      applied: true,
      durationMs: 5,
      statements: Array.from({ length: 5 }, (_, s) => ({
        sql: `UPDATE big_table_${r} SET ${'payload = payload || x, '.repeat(40)}n = ${s}`,
        line: 20 + s,
        file,
        durationMs: 1,
        locks: [],
        rewrote: [],
      })),
    });
    for (let f = 0; f < findingsPerRevision; f++) {
      findings.push({
        ruleId: f % 2 === 0 ? 'missing-lock-timeout' : 'table-rewrite',
        category: f % 2 === 0 ? 'lint' : 'runtime',
        severity: 'warning',
        message: `Finding ${f} of ${id}: ${'a long explanation of the hazard. '.repeat(8)}`,
        file,
        line: 20 + f,
        revision: id,
        table: `big_table_${r}`,
        suggestion: {
          text: 'Set a lock_timeout first.',
          code: `op.execute("SET lock_timeout = '5s'")  # ${id} ${f}`,
        },
      });
    }
  }
  review.revisions = [...review.revisions, ...revisions];
  review.findings = [...review.findings, ...findings];
  review.summary = summarize(review.findings, review.failOn);
  return review;
}
