// The bundled action across the pushes of one pull request, against the fake
// GitHub API: the blog example's PR plus a drift case (a model column no
// migration adds, commented on its Column(...) line in the model file).
//
//   push 1  the PR as it is: inline comments, with one-click suggestions
//   push 2  lines inserted above every finding (a docstring line, an import):
//           nothing is posted twice, nothing is resolved
//   push 3  the suggestion blocks applied as GitHub applies them: the fixed
//           findings are gone from the migrations and their threads resolved
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Review } from '../../src/model.ts';
import { FakeGitHub, type ReviewComment } from '../github/fake-github.ts';
import {
  pushToPullRequest,
  runOnPullRequest,
  blogCheckout,
  type ActionRun,
  type BlogCheckout,
} from './helpers.ts';

const NOT_NULL = 'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py';
const RENAME = 'migrations/versions/351c640d6175_rename_post_body_to_content.py';
const COMMENTS = 'migrations/versions/10d55bdb4f5a_add_comments_table.py';
const MODEL = 'app/models/comment.py';

let github: FakeGitHub;
const runs: ActionRun[] = [];
const checkouts: BlogCheckout[] = [];
let afterFirst: ReviewComment[];
let afterSecond: ReviewComment[];
let reviewsAfterSecond: number;

async function review(checkout: BlogCheckout): Promise<ActionRun> {
  const run = await runOnPullRequest(github, checkout, { 'fail-on': 'never' });
  runs.push(run);
  return run;
}

async function report(run: ActionRun): Promise<Review> {
  return JSON.parse(await readFile(run.outputs['report-json'] ?? '', 'utf8')) as Review;
}

/** What "Commit suggestion" does: the comment's lines (tracked to the current commit) replaced by the block. */
function applySuggestion(text: string, comment: ReviewComment, original: string): string {
  const block = /^(`{3,})suggestion\n([\s\S]*?)\n\1$/m.exec(comment.body);
  if (block === null) return text;
  const start = comment.startLine ?? comment.line;
  // GitHub keeps a comment on its lines when other lines move: find them in the current version.
  const commented = original
    .split('\n')
    .slice(start - 1, comment.line)
    .join('\n');
  expect(text.split(commented)).toHaveLength(2);
  return text.replace(commented, block[2] ?? '');
}

describe('the action across pushes', () => {
  beforeAll(async () => {
    const first = await blogCheckout();
    // The drift case: a column in the model that no migration adds.
    const withDrift = await pushToPullRequest(first, 'Comment.edited_at', async (file) => {
      await file(MODEL, (t) =>
        t.replace(
          '    body = Column(Text, nullable=False)\n',
          '    body = Column(Text, nullable=False)\n    edited_at = Column(DateTime(timezone=True))\n',
        ),
      );
    });
    checkouts.push(withDrift);
    github = new FakeGitHub({
      headSha: withDrift.headSha,
      baseSha: withDrift.baseSha,
      files: withDrift.files,
    });
    await github.start();
    await review(withDrift);
    afterFirst = [...github.reviewComments];

    const shifted = await pushToPullRequest(withDrift, 'Lines above every finding', async (file) => {
      for (const migration of [NOT_NULL, RENAME, COMMENTS])
        await file(migration, (t) =>
          t.replace(
            'from typing import',
            '# Reviewed with alembic-review.\nimport os  # noqa: F401\n\nfrom typing import',
          ),
        );
      await file(MODEL, (t) =>
        t.replace('class Comment(Base):\n', '# Comments on posts.\n\n\nclass Comment(Base):\n'),
      );
    });
    checkouts.push(shifted);
    await review(shifted);
    afterSecond = [...github.reviewComments];
    reviewsAfterSecond = github.requestsOf('pulls/create-review').length;

    const originals = new Map<string, string>();
    for (const relative of [NOT_NULL, RENAME])
      originals.set(relative, await readFile(path.join(withDrift.workspace, relative), 'utf8'));
    const fixed = await pushToPullRequest(shifted, 'Apply suggestions from code review', async (file) => {
      for (const comment of afterFirst) {
        const original = originals.get(comment.path);
        if (original !== undefined) await file(comment.path, (t) => applySuggestion(t, comment, original));
      }
    });
    checkouts.push(fixed);
    await review(fixed);
  });

  afterAll(async () => {
    await github.stop();
    const temp = checkouts[0]?.temp;
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  });

  test('every run passes and every request is valid', () => {
    for (const run of runs) expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(github.violations).toEqual([]);
  });

  test('push 1: inline comments on the migrations and on the model’s Column(...) line, with suggestions', () => {
    const places = afterFirst.map((c) => `${c.path}:${c.startLine ?? c.line}-${c.line}`);
    expect(places).toContain(`${NOT_NULL}:24-24`);
    expect(places).toContain(`${RENAME}:24-25`);
    expect(places).toContain(`${RENAME}:32-33`);
    // The drift finding on the Column(...) line; the ORM smoke test's failure it causes is folded into it.
    const drift = afterFirst.find((c) => c.path === MODEL && c.body.includes('drift-column-missing'));
    expect(drift?.line).toBe(14);
    expect(afterFirst.filter((c) => c.body.includes('orm-insert-failed'))).toEqual([]);
    for (const path of [NOT_NULL, RENAME])
      expect(afterFirst.filter((c) => c.path === path).every((c) => c.body.includes('```suggestion'))).toBe(
        true,
      );
  });

  test('push 2: lines moved, nothing posted twice, nothing resolved', async () => {
    expect(afterSecond).toEqual(afterFirst);
    expect(reviewsAfterSecond).toBe(1);
    const second = await report(runs[1] as ActionRun);
    // The findings really moved: the same ones, three lines lower.
    const notNull = second.findings.find((f) => f.ruleId === 'not-null-column-without-default');
    expect(notNull?.line).toBe(27);
    expect(second.findings.find((f) => f.ruleId === 'drift-column-missing')?.line).toBe(17);
    expect(runs[1]?.stdout).toMatch(
      /0 inline comments posted; [1-9]\d* findings already commented on earlier pushes/,
    );
  });

  test('push 3: the applied suggestions fix the migrations; their threads are resolved', async () => {
    const third = await report(runs[2] as ActionRun);
    const onMigrations = third.findings.filter(
      (f) => f.file?.startsWith('migrations/') === true && f.severity === 'error',
    );
    expect(onMigrations).toEqual([]);
    for (const rule of ['not-null-column-without-default', 'fails-on-existing-rows', 'drop-and-add-column'])
      expect(third.findings.filter((f) => f.ruleId === rule)).toEqual([]);
    // The drift finding is still there: its comment stays open.
    expect(third.findings.some((f) => f.ruleId === 'drift-column-missing')).toBe(true);
    // The running release still breaks on the fixed rename and backfill (old-code-incompatible, in the
    // same comments as the fixed findings of those lines): those threads stay open too.
    const stillTrue = (c: { path: string; body: string }) =>
      c.path === MODEL || c.body.includes('old-code-incompatible');
    const fixedComments = afterFirst.filter((c) => !stillTrue(c)).map((c) => c.id);
    expect(fixedComments.length).toBeGreaterThanOrEqual(1);
    expect([...github.resolvedThreads].sort()).toEqual(fixedComments.sort());
    for (const open of afterFirst.filter(stillTrue)) expect(github.resolvedThreads.has(open.id)).toBe(false);
  });
});
