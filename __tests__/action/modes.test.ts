// The bundled action's other ways to run: the fork-safe pair (analyze on the
// pull request with a read-only token, publish on workflow_run), a fork PR in
// the one-job workflow (read-only token: one warning, annotations, summary,
// the gate still works), and the refusal on pull_request_target.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { READ_ONLY_WARNING } from '../../src/github/publish.ts';
import { FakeGitHub } from '../github/fake-github.ts';
import {
  BUNDLE,
  blogCheckout,
  pullRequestEvent,
  reviewInputs,
  runAction,
  workflowRunEvent,
  type ActionRun,
  type BlogCheckout,
} from './helpers.ts';

let checkout: BlogCheckout;

describe('action modes', () => {
  beforeAll(async () => {
    if (!existsSync(path.join(BUNDLE, 'index.js')))
      throw new Error(`no bundle at ${BUNDLE}: run node scripts/build.ts first`);
    checkout = await blogCheckout();
  });

  afterAll(async () => {
    await rm(checkout.temp, { recursive: true, force: true });
  });

  describe('the fork-safe pair', () => {
    let forkSide: FakeGitHub;
    let baseSide: FakeGitHub;
    let analyze: ActionRun;
    let publish: ActionRun;
    let reportDir: string;

    beforeAll(async () => {
      forkSide = new FakeGitHub({
        headSha: checkout.headSha,
        baseSha: checkout.baseSha,
        files: checkout.files,
        readOnly: true,
      });
      baseSide = new FakeGitHub({
        headSha: checkout.headSha,
        baseSha: checkout.baseSha,
        files: checkout.files,
      });
      await forkSide.start();
      await baseSide.start();
      reportDir = path.join(checkout.temp, 'artifact');
      analyze = await runAction({
        checkout,
        eventName: 'pull_request',
        event: pullRequestEvent(checkout, true),
        apiUrl: forkSide.url,
        inputs: reviewInputs({
          mode: 'analyze',
          'report-dir': reportDir,
          'fail-on': 'error',
          'sarif-file': 'alembic-review.sarif',
        }),
      });
      // The publish job runs in another checkout-less workspace, with the downloaded artifact.
      publish = await runAction({
        checkout: { ...checkout, workspace: checkout.temp },
        eventName: 'workflow_run',
        event: workflowRunEvent(checkout, analyze.exitCode === 0 ? 1 : 2),
        apiUrl: baseSide.url,
        inputs: {
          mode: 'publish',
          'report-dir': reportDir,
          'github-token': 'ghs_base_token',
          comment: 'true',
          'inline-comments': 'true',
        },
        runId: 5151,
      });
    });

    afterAll(async () => {
      await forkSide.stop();
      await baseSide.stop();
    });

    test('analyze reviews, gates and writes the report, but posts nothing', async () => {
      expect(analyze.exitCode, analyze.stdout + analyze.stderr).toBe(1);
      expect(analyze.outputs.verdict).toBe('fail');
      expect(analyze.outputs['report-json']).toBe(path.join(reportDir, 'report.json'));
      expect(analyze.outputs['comment-url']).toBe('');
      expect(forkSide.requests).toHaveLength(0);
      expect(JSON.parse(await readFile(path.join(reportDir, 'pull-request.json'), 'utf8'))).toEqual({
        number: 7,
        headSha: checkout.headSha,
      });
      const report = JSON.parse(await readFile(path.join(reportDir, 'report.json'), 'utf8')) as {
        runUrl: string;
      };
      expect(report.runUrl).toBe('https://github.com/blog-team/blog/actions/runs/4242');
      expect(analyze.stdout).toContain('::error title=alembic-review%3A not-null-column-without-default');
      expect(analyze.summary).toContain('merge blocked');
      const sarif = JSON.parse(
        await readFile(path.join(checkout.workspace, 'alembic-review.sarif'), 'utf8'),
      ) as { version: string };
      expect(sarif.version).toBe('2.1.0');
    });

    test('publish posts the comment and the inline comments to the analyzed pull request, and does not gate', () => {
      expect(publish.exitCode, publish.stdout + publish.stderr).toBe(0);
      expect(publish.outputs.verdict).toBe('fail');
      expect(baseSide.violations).toEqual([]);
      expect(baseSide.requestsOf('pulls/get')).toHaveLength(1);
      expect(baseSide.issueComments).toHaveLength(1);
      expect(publish.outputs['comment-url']).toBe(
        `https://github.com/blog-team/blog/pull/7#issuecomment-${baseSide.issueComments[0]?.id}`,
      );
      expect(baseSide.issueComments[0]?.body).toContain(
        '[workflow run](https://github.com/blog-team/blog/actions/runs/4242)',
      );
      expect(baseSide.reviews).toHaveLength(1);
      expect(baseSide.reviewComments.map((c) => c.path)).toContain(
        'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py',
      );
      expect(publish.stdout).not.toContain('open project');
    });
  });

  test('a fork pull request in the one-job workflow: one warning, annotations, summary, and the gate', async () => {
    const github = new FakeGitHub({
      headSha: checkout.headSha,
      baseSha: checkout.baseSha,
      files: checkout.files,
      readOnly: true,
    });
    await github.start();
    try {
      const run = await runAction({
        checkout,
        eventName: 'pull_request',
        event: pullRequestEvent(checkout, true),
        apiUrl: github.url,
        inputs: reviewInputs({ 'fail-on': 'error' }),
      });
      expect(run.exitCode, run.stdout + run.stderr).toBe(1);
      const warnings = run.stdout.split('\n').filter((l) => l.startsWith('::warning::'));
      expect(warnings).toEqual([`::warning::${READ_ONLY_WARNING}`]);
      expect(run.stdout).toContain('::error title=alembic-review%3A not-null-column-without-default');
      expect(run.summary).toContain('4a8d2126b4e4');
      expect(run.outputs['comment-url']).toBe('');
      expect(github.requests.filter((r) => r.method !== 'GET').map((r) => r.status)).toEqual([403]);
      expect(github.violations).toEqual([]);
    } finally {
      await github.stop();
    }
  });

  test('pull_request_target: refused unless allowed, without running anything', async () => {
    const github = new FakeGitHub({
      headSha: checkout.headSha,
      baseSha: checkout.baseSha,
      files: checkout.files,
    });
    await github.start();
    try {
      const run = await runAction({
        checkout,
        eventName: 'pull_request_target',
        event: pullRequestEvent(checkout, true),
        apiUrl: github.url,
        inputs: reviewInputs({}),
      });
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toMatch(/::error::alembic-review does not review on pull_request_target/);
      expect(run.stdout).not.toContain('open project');
      expect(github.requests).toHaveLength(0);
    } finally {
      await github.stop();
    }
  });

  test('bad inputs are one clear error', async () => {
    const run = await runAction({
      checkout,
      eventName: 'pull_request',
      event: pullRequestEvent(checkout),
      apiUrl: 'http://127.0.0.1:9',
      inputs: reviewInputs({ mode: 'approve' }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      '::error::alembic-review: Input mode must be one of review, analyze, publish; got "approve".',
    );
  });
});
