// Publishing a review: comment + inline comments + annotations + job summary;
// a read-only token degrades with one warning; a workflow_run (fork-safe
// publish) posts only to the pull request whose head was analyzed; the CLI's
// publishReport reads a report file.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { READ_ONLY_WARNING, publishReport, publishReview } from '../../src/github/publish.ts';
import { writeReportFiles } from '../../src/github/report-file.ts';
import { blogReview, hugeReview } from '../render/reviews.ts';
import { FakeGitHub } from './fake-github.ts';
import { HEAD_SHA, addedFile, contextFor, recordingLog } from './helpers.ts';

const NOT_NULL = 'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py';
const RENAME = 'migrations/versions/351c640d6175_rename_post_body_to_content.py';

let github: FakeGitHub;
let temp: string;
let stdout: string[];
const savedEnv = { ...process.env };

beforeAll(async () => {
  temp = await mkdtemp(path.join(tmpdir(), 'alembic-review-publish-'));
});

afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

beforeEach(async () => {
  github = new FakeGitHub({ headSha: HEAD_SHA, files: [addedFile(NOT_NULL, 32), addedFile(RENAME, 34)] });
  await github.start();
  const summary = path.join(temp, `summary-${Date.now()}-${Math.random()}.md`);
  await writeFile(summary, '');
  process.env.GITHUB_STEP_SUMMARY = summary;
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  process.env = { ...savedEnv };
  expect(github.violations).toEqual([]);
  await github.stop();
});

const settings = { token: 'ghs_token', comment: true, inlineComments: true };

describe('publishing to a pull request', () => {
  test('comment, inline comments, annotations and the job summary', async () => {
    const log = recordingLog();
    const outcome = await publishReview(blogReview(), contextFor(github), settings, log);
    expect(outcome).toMatchObject({
      commentCreated: true,
      inlineComments: 2,
      annotations: 3,
      jobSummary: true,
      readOnly: false,
      skipped: null,
    });
    expect(outcome.commentUrl).toBe(
      `https://github.com/blog-team/blog/pull/7#issuecomment-${github.issueComments[0]?.id}`,
    );
    expect(log.warnings).toEqual([]);
    const body = github.issueComments[0]?.body ?? '';
    expect(body.split('\n')[0]).toBe('<!-- alembic-review:comment project=. -->');
    expect(body).toContain(`(https://github.com/blog-team/blog/blob/${HEAD_SHA}/${NOT_NULL}#L24)`);
    const summary = await readFile(process.env.GITHUB_STEP_SUMMARY ?? '', 'utf8');
    expect(summary).toMatch(/^### ❌ alembic-review: merge blocked by 3 errors/);
    expect(summary).toContain('```sql');
    const annotations = stdout
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('::error '));
    expect(annotations).toHaveLength(3);
    expect(annotations[0]).toMatch(
      /^::error title=alembic-review%3A drop-and-add-column \(posts\.body\),file=migrations\/versions\/351c640d6175_rename_post_body_to_content\.py,line=25::/,
    );
  });

  test('a comment far over 65,536 characters is cut to fit, and GitHub accepts it', async () => {
    const review = hugeReview(80, 10);
    const outcome = await publishReview(
      review,
      contextFor(github),
      { ...settings, inlineComments: false },
      recordingLog(),
    );
    expect(outcome.commentCreated).toBe(true);
    const body = github.issueComments[0]?.body ?? '';
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('This comment was cut to fit');
    expect(body).toContain(
      '[job summary of the workflow run](https://github.com/blog-team/blog/actions/runs/9876543210)',
    );
  });

  test('a read-only token (fork, Dependabot): one warning, annotations and job summary, no crash', async () => {
    github.readOnly = true;
    const log = recordingLog();
    const outcome = await publishReview(blogReview(), contextFor(github), settings, log);
    expect(outcome).toMatchObject({
      commentUrl: null,
      readOnly: true,
      inlineComments: 0,
      annotations: 3,
      jobSummary: true,
    });
    expect(log.warnings).toEqual([READ_ONLY_WARNING]);
    expect(github.issueComments).toHaveLength(0);
    expect(github.requestsOf('issues/create-comment').map((r) => r.status)).toEqual([403]);
    expect(stdout.join('')).toContain('::error title=alembic-review%3A not-null-column-without-default');
  });

  test('no token: nothing posted, one warning', async () => {
    const log = recordingLog();
    const outcome = await publishReview(
      blogReview(),
      contextFor(github),
      { ...settings, token: undefined },
      log,
    );
    expect(outcome.skipped).toBe('no GitHub token');
    expect(log.warnings).toHaveLength(1);
    expect(github.requests).toHaveLength(0);
  });

  test('not a pull request (push): annotations and summary only', async () => {
    const log = recordingLog();
    const outcome = await publishReview(
      blogReview(),
      contextFor(github, { eventName: 'push', pullRequest: null }),
      settings,
      log,
    );
    expect(outcome.skipped).toBe('this run is not for a pull request (event: push)');
    expect(outcome.annotations).toBe(3);
    expect(github.requests).toHaveLength(0);
  });

  test('a server error is a warning, not a crash', async () => {
    const log = recordingLog();
    const outcome = await publishReview(
      blogReview(),
      { ...contextFor(github), repository: { owner: 'blog-team', repo: 'other' } },
      settings,
      log,
    );
    expect(outcome.commentUrl).toBeNull();
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toMatch(/^alembic-review: posting to the pull request failed: /);
  });
});

describe('the fork-safe publish (workflow_run)', () => {
  const run = { id: 99, event: 'pull_request', headSha: HEAD_SHA, headRepository: 'contributor/blog' };

  async function reportDir(pullRequest: { number: number; headSha: string } | null): Promise<string> {
    const dir = await mkdtemp(path.join(temp, 'report-'));
    await writeReportFiles(dir, blogReview(), pullRequest);
    return dir;
  }

  test('posts to the pull request whose head is the analyzed commit', async () => {
    const dir = await reportDir({ number: github.pullNumber, headSha: HEAD_SHA });
    const context = contextFor(github, { eventName: 'workflow_run', pullRequest: null, workflowRun: run });
    const outcome = await publishReview(
      blogReview(),
      context,
      { ...settings, reportDir: dir },
      recordingLog(),
    );
    expect(outcome).toMatchObject({ commentCreated: true, inlineComments: 2 });
    expect(github.reviews[0]?.commitId).toBe(HEAD_SHA);
  });

  test.each([
    [
      'a report that names another commit',
      { number: 7, headSha: 'd'.repeat(40) },
      HEAD_SHA,
      /names commit d{40}/,
    ],
    ['a pull request that moved on', { number: 7, headSha: HEAD_SHA }, 'e'.repeat(40), /is now at eeeeeee/],
    [
      'a pull request that does not exist',
      { number: 8, headSha: HEAD_SHA },
      HEAD_SHA,
      /posting to the pull request failed/,
    ],
  ])('nothing is posted for %s', async (_what, record, prHead, reason) => {
    const dir = await reportDir(record);
    github.headSha = prHead;
    const context = contextFor(github, { eventName: 'workflow_run', pullRequest: null, workflowRun: run });
    const log = recordingLog();
    const outcome = await publishReview(blogReview(), context, { ...settings, reportDir: dir }, log);
    expect(outcome.commentUrl).toBeNull();
    expect(`${outcome.skipped ?? ''} ${log.warnings.join(' ')}`).toMatch(reason);
    expect(github.issueComments).toHaveLength(0);
    expect(github.reviews).toHaveLength(0);
  });

  test('a report of a run that was not for a pull request is not posted', async () => {
    const dir = await reportDir(null);
    const context = contextFor(github, { eventName: 'workflow_run', pullRequest: null, workflowRun: run });
    const outcome = await publishReview(
      blogReview(),
      context,
      { ...settings, reportDir: dir },
      recordingLog(),
    );
    expect(outcome.skipped).toMatch(/no pull-request\.json/);
    expect(github.requests).toHaveLength(0);
  });
});

describe('alembic-review publish --report (publishReport)', () => {
  test('reads the report and the workflow environment, and posts', async () => {
    const dir = await mkdtemp(path.join(temp, 'cli-'));
    const reportPath = await writeReportFiles(dir, blogReview(), { number: 7, headSha: HEAD_SHA });
    const eventPath = path.join(dir, 'event.json');
    await writeFile(
      eventPath,
      JSON.stringify({
        pull_request: { number: 7, head: { sha: HEAD_SHA }, base: { sha: 'b'.repeat(40), ref: 'main' } },
      }),
    );
    const env = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: 'blog-team/blog',
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: 'ghp_cli',
      ALEMBIC_REVIEW_INLINE_COMMENTS: 'false',
    };
    const first = await publishReport(reportPath, env);
    const second = await publishReport(reportPath, env);
    expect(first.commentCreated).toBe(true);
    expect(second).toMatchObject({ commentCreated: false, commentUrl: first.commentUrl, inlineComments: 0 });
    expect(github.issueComments).toHaveLength(1);
    expect(github.reviews).toHaveLength(0);
    expect(github.requests.every((r) => r.authorization === 'token ghp_cli')).toBe(true);
  });

  test('a file that is not a report is a usage error', async () => {
    const file = path.join(temp, 'not-a-report.json');
    await writeFile(file, JSON.stringify({ version: 2 }));
    await expect(publishReport(file, { GITHUB_REPOSITORY: 'a/b' })).rejects.toThrow(
      /is not an alembic-review JSON report/,
    );
  });
});
