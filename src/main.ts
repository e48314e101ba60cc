// The GitHub Action: inputs → review (or, in mode publish, a report from an
// earlier run) → report files → publish → outputs → gate. Everything started
// is torn down before the step ends, also when it fails.
//
// Modes: review (default) does it all in one job; analyze reviews and writes
// the report (for actions/upload-artifact) without posting — the fork-safe
// first half; publish (a workflow_run job) posts a report it downloaded.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { UsageError, errorMessage, isUsageError } from './errors.ts';
import { ensureCommit } from './github/base-commit.ts';
import { readContext, type GitHubContext } from './github/context.ts';
import { publishReview, type PublishOutcome } from './github/publish.ts';
import { REPORT_FILE, readReport, writeReportFiles } from './github/report-file.ts';
import type { FailOn, Review } from './model.ts';
import { resolveOptions, type RawOptions } from './options.ts';
import { renderSarif } from './render/sarif.ts';
import { renderText } from './render/text.ts';
import { counts } from './render/words.ts';
import { review } from './review.ts';
import { cancellation, teardownAll } from './teardown.ts';

type Mode = 'review' | 'analyze' | 'publish';

function input(name: string): string | undefined {
  const value = core.getInput(name).trim();
  return value === '' ? undefined : value;
}

function choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const value = input(name);
  if (value === undefined) return fallback;
  const match = allowed.find((a) => a === value.toLowerCase());
  if (match === undefined)
    throw new UsageError('usage', `Input ${name} must be one of ${allowed.join(', ')}; got "${value}".`);
  return match;
}

function flag(name: string, fallback: boolean): boolean {
  const value = input(name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError('usage', `Input ${name} must be true or false; got "${value}".`);
}

export function actionOptions(): RawOptions {
  return {
    projectDir: input('working-directory'),
    config: input('alembic-config'),
    python: input('python'),
    database: input('database'),
    databaseUrl: input('database-url'),
    postgresImage: input('postgres-image'),
    base: input('base-ref'),
    failOn: input('fail-on'),
    seedRows: input('seed-rows'),
    seedSql: input('seed-sql'),
    urlEnv: input('url-env'),
    databaseRole: input('database-role'),
    extensions: input('extensions'),
    sandbox: input('sandbox'),
    format: 'json',
  };
}

const PULL_REQUEST_TARGET_REFUSAL =
  "alembic-review does not review on pull_request_target: that event runs with the base repository's secrets and a write token, and a review runs the pull request's code (env.py, the models, the migrations). Review on pull_request, and for comments on fork pull requests use the analyze/publish pair (mode: analyze on pull_request, mode: publish on workflow_run): https://github.com/alembic-review/alembic-review/blob/main/docs/github-action.md#fork-pull-requests. If the checked-out code is trusted, set allow-pull-request-target: true.";

/** The base to compare with: the base-ref input, else the pull request's base commit (fetched if missing). */
async function baseRef(context: GitHubContext, projectDir: string): Promise<string | undefined> {
  const explicit = input('base-ref');
  if (explicit !== undefined || context.pullRequest === null) return explicit;
  const sha = context.pullRequest.baseSha;
  if (await ensureCommit(projectDir, sha)) {
    core.info(`alembic-review: fetched the base commit ${sha} (the checkout is shallow)`);
  }
  return sha;
}

async function analyze(context: GitHubContext): Promise<Review> {
  const raw = actionOptions();
  const projectDir = path.resolve(
    context.workspace,
    typeof raw.projectDir === 'string' ? raw.projectDir : '.',
  );
  const options = resolveOptions({ ...raw, base: await baseRef(context, projectDir) }, context.workspace);
  const result = await review(options, {
    log: (line) => {
      core.info(line);
    },
    pythonOutput: (line) => {
      core.debug(`python: ${line}`);
    },
  });
  return context.runUrl === undefined ? result : { ...result, runUrl: context.runUrl };
}

function reportDirectory(context: GitHubContext): string {
  const fallback = path.join(process.env.RUNNER_TEMP ?? tmpdir(), 'alembic-review');
  return path.resolve(context.workspace, input('report-dir') ?? fallback);
}

function setOutputs(result: Review, reportPath: string, outcome: PublishOutcome): void {
  core.setOutput('verdict', result.summary.verdict);
  core.setOutput('errors', result.summary.errors);
  core.setOutput('warnings', result.summary.warnings);
  core.setOutput('report-json', reportPath);
  core.setOutput('comment-url', outcome.commentUrl ?? '');
}

export async function run(): Promise<void> {
  try {
    const mode = choice<Mode>('mode', ['review', 'analyze', 'publish'], 'review');
    const context = readContext(process.env);
    const dir = reportDirectory(context);
    let result: Review;
    let reportPath: string;
    if (mode === 'publish') {
      reportPath = path.join(dir, REPORT_FILE);
      // The publisher's own fail-on, when set, decides the verdict it reports (the report is not trusted for it).
      const failOn =
        input('fail-on') === undefined
          ? undefined
          : choice<FailOn>('fail-on', ['error', 'warning', 'never'], 'error');
      result = await readReport(reportPath, failOn);
    } else {
      if (context.eventName === 'pull_request_target' && !flag('allow-pull-request-target', false)) {
        core.setFailed(PULL_REQUEST_TARGET_REFUSAL);
        return;
      }
      result = await analyze(context);
      const pullRequest =
        context.pullRequest === null
          ? null
          : { number: context.pullRequest.number, headSha: context.pullRequest.headSha };
      reportPath = await writeReportFiles(dir, result, pullRequest);
      core.info(renderText(result, { color: false }));
    }
    const sarifFile = input('sarif-file');
    if (sarifFile !== undefined)
      await writeFile(path.resolve(context.workspace, sarifFile), renderSarif(result));

    // analyze posts nothing (its token is read-only on fork PRs): annotations and the job summary only.
    const outcome = await publishReview(result, context, {
      token: input('github-token'),
      comment: mode !== 'analyze' && flag('comment', true),
      inlineComments: mode !== 'analyze' && flag('inline-comments', true),
      reportDir: dir,
    });
    setOutputs(result, reportPath, outcome);

    // The publish job reports; the gate is the analyze (or review) job, which is the PR's status check.
    if (mode !== 'publish' && result.summary.verdict === 'fail') {
      core.setFailed(`alembic-review: ${counts(result.summary)} (fail-on: ${result.failOn})`);
    }
  } catch (error) {
    // Cancelled (SIGTERM/SIGINT): the teardown's side effects are not the review's errors.
    if (cancellation() !== undefined) return;
    core.setFailed(
      isUsageError(error)
        ? `alembic-review: ${error.message}`
        : `alembic-review: internal error: ${errorMessage(error)}`,
    );
  } finally {
    await teardownAll((line) => {
      core.warning(line);
    });
  }
}
