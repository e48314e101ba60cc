// Inline comments: which lines can take one (the diff, from every page of
// the changed files), at most 30 per review, grouped per line, never twice
// for the same finding.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createClient } from '../../src/github/client.ts';
import { commentableLines, fetchDiffLines } from '../../src/github/diff-lines.ts';
import { Identity } from '../../src/github/identity.ts';
import {
  commentedFindings,
  planInlineComments,
  postInlineComments,
} from '../../src/github/review-comments.ts';
import { findingsMarker } from '../../src/github/markers.ts';
import { findingKey } from '../../src/render/finding-key.ts';
import type { Finding, Review } from '../../src/model.ts';
import { blogReview, hugeReview } from '../render/reviews.ts';
import { FakeGitHub, type Actor } from './fake-github.ts';
import { HEAD_SHA, addedFile, modifiedFile } from './helpers.ts';

const NOT_NULL = 'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py';
const RENAME = 'migrations/versions/351c640d6175_rename_post_body_to_content.py';

let github: FakeGitHub;

describe('diff lines', () => {
  test('added and context lines of every hunk, on the new side', () => {
    const patch = [
      '@@ -1,3 +1,4 @@',
      ' a',
      '-b',
      '+c',
      '+d',
      ' e',
      '@@ -10,2 +11,3 @@',
      ' x',
      '-y',
      '+z',
      '+w',
    ].join('\n');
    expect([...commentableLines(patch)].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 11, 12, 13]);
  });

  test('all pages of a pull request with 250 changed files', async () => {
    const files = Array.from({ length: 250 }, (_, i) =>
      addedFile(`src/file${String(i).padStart(3, '0')}.py`, 2),
    );
    files.push({ filename: 'assets/logo.png', status: 'added' });
    github = new FakeGitHub({ headSha: HEAD_SHA, files });
    await github.start();
    try {
      const diff = await fetchDiffLines(createClient('t', github.url), {
        owner: github.owner,
        repo: github.repo,
        number: github.pullNumber,
      });
      expect(diff.size).toBe(250);
      expect([...(diff.get('src/file249.py') ?? [])]).toEqual([1, 2]);
      expect(diff.has('assets/logo.png')).toBe(false);
      expect(github.requestsOf('pulls/list-files').map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
      expect(github.violations).toEqual([]);
    } finally {
      await github.stop();
    }
  });
});

describe('planning inline comments', () => {
  const review = blogReview();
  const diff = new Map([
    [NOT_NULL, new Set(Array.from({ length: 32 }, (_, i) => i + 1))],
    [RENAME, new Set(Array.from({ length: 34 }, (_, i) => i + 1))],
  ]);

  test('one comment per line, its findings in severity order', () => {
    const plan = planInlineComments(review, diff, new Set());
    expect(plan.comments.map((c) => [c.path, c.line, c.findings.map((f) => f.ruleId)])).toEqual([
      [RENAME, 25, ['drop-and-add-column']],
      [NOT_NULL, 24, ['fails-on-existing-rows', 'not-null-column-without-default']],
    ]);
    expect(plan).toMatchObject({ alreadyCommented: 0, outsideDiff: 0, overLimit: 0 });
  });

  test('lines outside the diff, notices and findings without a line are left to the comment', () => {
    const notice: Finding = {
      ruleId: 'access-exclusive-lock',
      category: 'runtime',
      severity: 'notice',
      message: 'm',
      file: NOT_NULL,
      line: 24,
    };
    const drift: Finding = {
      ruleId: 'drift-column-type',
      category: 'drift',
      severity: 'error',
      message: 'm',
      table: 'users',
      column: 'name',
    };
    const plan = planInlineComments(
      { ...review, findings: [...review.findings, notice, drift] },
      new Map([[NOT_NULL, new Set([1, 2, 3])]]),
      new Set(),
    );
    expect(plan.comments).toHaveLength(0);
    expect(plan.outsideDiff).toBe(3);
  });

  test('already commented findings are skipped', () => {
    const key = findingKey(
      review.project,
      review.findings.find((f) => f.ruleId === 'drop-and-add-column') as Finding,
    );
    const plan = planInlineComments(review, diff, new Set([key]));
    expect(plan.comments.map((c) => c.path)).toEqual([NOT_NULL]);
    expect(plan.alreadyCommented).toBe(1);
  });

  test('a finding keeps its key when its line moves', () => {
    const finding = review.findings[0] as Finding;
    expect(findingKey('.', { ...finding, line: 99 })).toBe(findingKey('.', finding));
    expect(findingKey('other', finding)).not.toBe(findingKey('.', finding));
  });

  test('at most 30 comments per review', () => {
    const big: Review = hugeReview(10, 6);
    const bigDiff = new Map(
      big.revisions
        .filter((r) => r.new)
        .map((r) => [r.path, new Set(Array.from({ length: 40 }, (_, i) => i + 1))]),
    );
    const plan = planInlineComments(big, bigDiff, new Set());
    expect(plan.comments).toHaveLength(30);
    const inDiff = big.findings.filter(
      (f) => f.severity !== 'notice' && f.file !== undefined && bigDiff.has(f.file),
    );
    expect(plan.overLimit + plan.comments.reduce((n, c) => n + c.findings.length, 0)).toBe(inDiff.length);
  });
});

describe('posting inline comments', () => {
  beforeEach(async () => {
    github = new FakeGitHub({
      headSha: HEAD_SHA,
      files: [addedFile(NOT_NULL, 32), modifiedFile(RENAME, 20, 26)],
    });
    await github.start();
  });

  afterEach(async () => {
    expect(github.violations).toEqual([]);
    await github.stop();
  });

  async function post(review: Review): Promise<number> {
    const client = createClient('t', github.url);
    const target = { owner: github.owner, repo: github.repo, number: github.pullNumber };
    const identity = new Identity(client);
    const diff = await fetchDiffLines(client, target);
    const plan = planInlineComments(review, diff, await commentedFindings(client, target, identity));
    const result = await postInlineComments(client, target, plan, {
      review,
      commitId: HEAD_SHA,
      commentUrl: 'https://github.com/blog-team/blog/pull/7#issuecomment-1',
    });
    return result.comments.length;
  }

  test('one review with event COMMENT on the reviewed commit, then nothing new on the next push', async () => {
    const review = blogReview();
    expect(await post(review)).toBe(2);
    expect(github.reviews).toHaveLength(1);
    expect(github.reviews[0]).toMatchObject({ event: 'COMMENT', commitId: HEAD_SHA });
    expect(github.reviews[0]?.body).toContain(
      '[the summary comment](https://github.com/blog-team/blog/pull/7#issuecomment-1)',
    );
    expect(github.reviewComments.map((c) => [c.path, c.line, c.side])).toEqual([
      [RENAME, 25, 'RIGHT'],
      [NOT_NULL, 24, 'RIGHT'],
    ]);
    const body = github.reviewComments[1]?.body ?? '';
    expect(body.split('\n')[0]).toMatch(/^<!-- alembic-review:findings\/v2 [0-9a-f]{16} [0-9a-f]{16} -->$/);
    expect(body).toContain('op.alter_column("users", "display_name", nullable=False)');

    expect(await post(review)).toBe(0);
    expect(github.requestsOf('pulls/create-review')).toHaveLength(1);
  });

  test('a new finding on a later push is commented; a human quoting a marker hides nothing', async () => {
    const review = blogReview();
    const key = findingKey(
      review.project,
      review.findings.find((f) => f.ruleId === 'drop-and-add-column') as Finding,
    );
    const mallory: Actor = { login: 'mallory', id: 666, type: 'User' };
    github.seedReviewComment(RENAME, 25, `${findingsMarker([key])}\nnothing to see`, mallory);
    expect(
      await post({
        ...review,
        findings: review.findings.filter((f) => f.ruleId !== 'not-null-column-without-default'),
      }),
    ).toBe(2);
    expect(await post(review)).toBe(1);
    expect(github.reviewComments.at(-1)?.body).toContain('not-null-column-without-default');
  });
});
