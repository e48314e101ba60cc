// The bundled action, end to end, on the blog example's pull request: run as
// GitHub runs it (node dist/index.js, INPUT_*, a pull_request event), against
// the real local PostgreSQL and a fake GitHub API that checks every request
// against GitHub's OpenAPI description. Twice: the first run (fail-on: error)
// creates the comment, comments inline on the two pitfall lines and fails;
// the second (fail-on: never) updates the same comment, comments nothing
// twice and passes.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeGitHub } from '../github/fake-github.ts';
import {
  BUNDLE,
  blogCheckout,
  pullRequestEvent,
  reviewInputs,
  runAction,
  type ActionRun,
  type BlogCheckout,
} from './helpers.ts';

const NOT_NULL_FILE = 'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py';
const RENAME_FILE = 'migrations/versions/351c640d6175_rename_post_body_to_content.py';

let checkout: BlogCheckout;
let github: FakeGitHub;
let first: ActionRun;
let second: ActionRun;
let commentsAfterFirst: { id: number; body: string }[];

describe('the action on the blog example', () => {
  beforeAll(async () => {
    if (!existsSync(path.join(BUNDLE, 'index.js')))
      throw new Error(`no bundle at ${BUNDLE}: run node scripts/build.ts first`);
    checkout = await blogCheckout();
    github = new FakeGitHub({ headSha: checkout.headSha, baseSha: checkout.baseSha, files: checkout.files });
    await github.start();
    const event = pullRequestEvent(checkout);
    first = await runAction({
      checkout,
      eventName: 'pull_request',
      event,
      apiUrl: github.url,
      inputs: reviewInputs({ 'fail-on': 'error' }),
    });
    commentsAfterFirst = github.issueComments.map((c) => ({ id: c.id, body: c.body }));
    second = await runAction({
      checkout,
      eventName: 'pull_request',
      event,
      apiUrl: github.url,
      inputs: reviewInputs({ 'fail-on': 'never' }),
    });
  });

  afterAll(async () => {
    await github.stop();
    await rm(checkout.temp, { recursive: true, force: true });
  });

  test('every request matches GitHub’s OpenAPI description', () => {
    expect(github.violations).toEqual([]);
    expect(github.requests.length).toBeGreaterThan(0);
    for (const request of github.requests)
      expect(request.authorization).toBe('token ghs_fake_installation_token');
  });

  test('fails with fail-on: error, passes with fail-on: never', () => {
    expect(first.exitCode, first.stdout + first.stderr).toBe(1);
    expect(first.outputs.verdict).toBe('fail');
    expect(Number(first.outputs.errors)).toBeGreaterThan(0);
    // The gate's own message is the step's first annotation.
    const annotations = first.stdout.split('\n').filter((l) => /^::(error|warning|notice)/.test(l));
    expect(annotations[0]).toMatch(
      /^::error title=alembic-review%3A merge blocked::alembic-review: \d+ errors?/,
    );
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(second.outputs.verdict).toBe('pass');
    expect(second.outputs.errors).toBe(first.outputs.errors);
  });

  test('fetches the base commit the shallow checkout lacks', () => {
    expect(first.stdout).toContain(`fetched the base commit ${checkout.baseSha}`);
    // The second run finds it already there.
    expect(second.stdout).not.toContain('fetched the base commit');
  });

  test('one comment: created by the first run, updated in place by the second', () => {
    expect(github.requestsOf('issues/create-comment')).toHaveLength(1);
    expect(github.requestsOf('issues/update-comment')).toHaveLength(1);
    expect(github.requestsOf('issues/delete-comment')).toHaveLength(0);
    expect(commentsAfterFirst).toHaveLength(1);
    expect(github.issueComments).toHaveLength(1);
    const [comment] = github.issueComments;
    expect(comment?.id).toBe(commentsAfterFirst[0]?.id);
    expect(comment?.body.split('\n')[0]).toBe('<!-- alembic-review:comment project=. -->');
    expect(commentsAfterFirst[0]?.body).toContain('merge blocked');
    expect(comment?.body).not.toContain('merge blocked');
    expect(first.outputs['comment-url']).toBe(
      `https://github.com/blog-team/blog/pull/7#issuecomment-${comment?.id}`,
    );
    expect(second.outputs['comment-url']).toBe(first.outputs['comment-url']);
  });

  test('inline comments on the two pitfall lines, in one COMMENT review, not repeated on the second run', () => {
    expect(github.reviews).toHaveLength(1);
    expect(github.reviews[0]?.event).toBe('COMMENT');
    expect(github.reviews[0]?.commitId).toBe(checkout.headSha);
    const places = github.reviewComments.map((c) => `${c.path}:${c.line}`);
    expect(places).toContain(`${NOT_NULL_FILE}:24`);
    expect(
      places.filter((p) => p === `${RENAME_FILE}:24` || p === `${RENAME_FILE}:25`).length,
    ).toBeGreaterThan(0);
    const notNull = github.reviewComments.find((c) => c.path === NOT_NULL_FILE && c.line === 24);
    expect(notNull?.body).toContain('not-null-column-without-default');
    const rename = github.reviewComments.find((c) => c.path === RENAME_FILE);
    expect(rename?.body).toContain('drop-and-add-column');
    expect(github.requestsOf('pulls/create-review')).toHaveLength(1);
  });

  test('outputs, job summary and annotations', () => {
    expect(first.outputs['report-json']).toMatch(/report\.json$/);
    expect(first.summary).toContain('alembic-review');
    expect(first.summary).toContain('4a8d2126b4e4');
    expect(first.stdout).toContain(`::error title=alembic-review%3A not-null-column-without-default`);
    expect(first.stdout).toContain(`file=${NOT_NULL_FILE},line=24`);
  });
});
