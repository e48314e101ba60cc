// Suggestions and stale threads against the fake GitHub API: a finding with
// an edit is commented on exactly the lines it replaces, with a suggestion
// block; when a later push no longer has the finding, its thread is resolved
// (GraphQL), or answered once as fixed where the token may not resolve it.
import { afterEach, describe, expect, test } from 'vitest';
import { publishReview } from '../../src/github/publish.ts';
import type { Finding, Review } from '../../src/model.ts';
import { blogReview } from '../render/reviews.ts';
import { FakeGitHub } from './fake-github.ts';
import { HEAD_SHA, addedFile, contextFor, modifiedFile, recordingLog } from './helpers.ts';

const NOT_NULL = 'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py';
const RENAME = 'migrations/versions/351c640d6175_rename_post_body_to_content.py';

let github: FakeGitHub;

afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.stop();
});

async function start(options: { cannotResolveThreads?: boolean } = {}): Promise<void> {
  github = new FakeGitHub({
    headSha: HEAD_SHA,
    files: [addedFile(NOT_NULL, 32), addedFile(RENAME, 34)],
    ...options,
  });
  await github.start();
}

async function publish(review: Review): Promise<ReturnType<typeof recordingLog>> {
  const log = recordingLog();
  await publishReview(
    review,
    contextFor(github),
    { token: 'ghs_t', comment: false, inlineComments: true },
    log,
  );
  return log;
}

/** The blog review with the rename's fix as edits (upgrade lines 24-25, downgrade lines 32-33). */
function withRenameEdits(review: Review): Review {
  return {
    ...review,
    findings: review.findings.map((f): Finding =>
      f.ruleId !== 'drop-and-add-column'
        ? f
        : {
            ...f,
            suggestion: {
              text: f.suggestion?.text ?? '',
              edits: [
                {
                  file: RENAME,
                  startLine: 24,
                  endLine: 25,
                  replacement: "    op.alter_column('posts', 'body', new_column_name='content')",
                },
                {
                  file: RENAME,
                  startLine: 32,
                  endLine: 33,
                  replacement: "    op.alter_column('posts', 'content', new_column_name='body')",
                },
              ],
            },
          },
    ),
  };
}

const without = (review: Review, rule: string): Review => ({
  ...review,
  findings: review.findings.filter((f) => f.ruleId !== rule),
});

describe('suggestions', () => {
  test('a multi-line suggestion on the lines the edit replaces, and one for downgrade()', async () => {
    await start();
    await publish(withRenameEdits(blogReview()));
    const [review] = github.requestsOf('pulls/create-review');
    const comments = (review?.body as { comments: Record<string, unknown>[] }).comments;
    const rename = comments.filter((c) => c.path === RENAME);
    expect(rename.map((c) => [c.start_line, c.line, c.start_side, c.side])).toEqual([
      [24, 25, 'RIGHT', 'RIGHT'],
      [32, 33, 'RIGHT', 'RIGHT'],
    ]);
    expect(rename[0]?.body).toContain(
      "```suggestion\n    op.alter_column('posts', 'body', new_column_name='content')\n```",
    );
    expect(rename[1]?.body).toContain('Fix, continued');
    expect(rename[1]?.body).toContain("new_column_name='body')\n```");
    // The first line of both is the same finding's marker: neither is posted again.
    expect(String(rename[0]?.body).split('\n')[0]).toBe(String(rename[1]?.body).split('\n')[0]);
    await publish(withRenameEdits(blogReview()));
    expect(github.requestsOf('pulls/create-review')).toHaveLength(1);
  });

  test('no suggestion when the diff does not show every line of the edit', async () => {
    github = new FakeGitHub({
      headSha: HEAD_SHA,
      files: [addedFile(NOT_NULL, 32), modifiedFile(RENAME, 25, 26)],
    });
    await github.start();
    await publish(withRenameEdits(blogReview()));
    const [review] = github.requestsOf('pulls/create-review');
    const comments = (review?.body as { comments: Record<string, unknown>[] }).comments;
    const rename = comments.filter((c) => c.path === RENAME);
    expect(rename).toHaveLength(1);
    expect(rename[0]).not.toHaveProperty('start_line');
    expect(rename[0]?.body).not.toContain('```suggestion');
  });
});

describe('stale threads', () => {
  test('the thread of a finding that is gone is resolved, once; the others stay open', async () => {
    await start();
    await publish(blogReview());
    expect(github.reviewComments).toHaveLength(2);
    const renameComment = github.reviewComments.find((c) => c.path === RENAME);
    const log = await publish(without(blogReview(), 'drop-and-add-column'));
    expect([...github.resolvedThreads]).toEqual([renameComment?.id]);
    expect(log.infos.join('\n')).toContain('1 review threads of fixed findings resolved');
    await publish(without(blogReview(), 'drop-and-add-column'));
    expect(github.requestsOf('graphql/resolveReviewThread')).toHaveLength(1);
    expect(github.requestsOf('pulls/create-reply-for-review-comment')).toHaveLength(0);
  });

  test('where the token may not resolve threads, one reply says it is fixed', async () => {
    await start({ cannotResolveThreads: true });
    await publish(blogReview());
    await publish(without(blogReview(), 'drop-and-add-column'));
    await publish(without(blogReview(), 'drop-and-add-column'));
    expect(github.resolvedThreads.size).toBe(0);
    const replies = github.reviewComments.filter((c) => c.inReplyTo !== undefined);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.inReplyTo).toBe(github.reviewComments.find((c) => c.path === RENAME)?.id);
    expect(replies[0]?.body).toContain('**Fixed**');
  });

  test('nothing is closed after a review that did not finish', async () => {
    await start();
    await publish(blogReview());
    const incomplete: Finding = {
      ruleId: 'review-incomplete',
      category: 'runtime',
      severity: 'notice',
      message: 'No replay reached the head of the change.',
    };
    await publish({ ...blogReview(), findings: [incomplete] });
    expect(github.resolvedThreads.size).toBe(0);
    expect(github.requestsOf('pulls/create-reply-for-review-comment')).toHaveLength(0);
  });
});
