// The GitHub Action: inputs → review (or, in mode publish, a report from an
// earlier run) → report files → publish → outputs → gate. Everything started
// is torn down before the step ends, also when it fails.
//
// Any event: the base is found from the event (event-base.ts); without a
// python input or .venv the project's Python is set up from its lock file
// (python-env.ts). Outputs and the job summary are written on every path,
// failures included.
//
// Modes: review (default) does it all in one job; analyze reviews and writes
// the report (for actions/upload-artifact) without posting — the fork-safe
// first half; publish (a workflow_run job) posts a report it downloaded.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { UsageError, errorMessage, isUsageError } from './errors.ts';
import { attachFixes, findingsRoot } from './fix/apply.ts';
import { findEventBase } from './github/event-base.ts';
import { readContext, type GitHubContext } from './github/context.ts';
import { publishReview, type PublishOutcome } from './github/publish.ts';
import {
  actionsDirectoryCache,
  restoreBaseCache,
  saveBaseCache,
  type BaseCacheRun,
} from './github/base-cache.ts';
import { actionsCache, setUpPython, workDirectory } from './github/python-env.ts';
import { REPORT_FILE, readReport, writeReportFiles } from './github/report-file.ts';
import type { FailOn, Review } from './model.ts';
import { PREFLIGHT_URL_ENV, resolveOptions, type Options, type RawOptions } from './options.ts';
import { text } from './render/escape.ts';
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
    preExisting: input('pre-existing'),
    seedRows: input('seed-rows'),
    seedSql: input('seed-sql'),
    urlEnv: input('url-env'),
    passEnv: input('pass-env'),
    dotenvFiles: input('dotenv'),
    iniSection: input('ini-section'),
    configFactory: input('config-factory'),
    xArgs: input('x-arg'),
    flaskApp: input('flask-app'),
    baseFrom: input('base-from'),
    tenantSchema: input('tenant-schema'),
    engine: input('engine'),
    databaseRole: input('database-role'),
    extensions: input('extensions'),
    sandbox: input('sandbox'),
    preflightUrl: input('preflight-url') ?? process.env[PREFLIGHT_URL_ENV],
    preflightShowValues: input('preflight-show-values'),
    // The base cache lives in the runner's temporary directory, carried between runs by the actions cache.
    cacheDir: flag('cache', true)
      ? path.join(process.env.RUNNER_TEMP ?? tmpdir(), 'alembic-review-base-cache')
      : false,
    deployOrder: input('deploy-order'),
    format: 'json',
  };
}

const PULL_REQUEST_TARGET_REFUSAL =
  "alembic-review does not review on pull_request_target: that event runs with the base repository's secrets and a write token, and a review runs the pull request's code (env.py, the models, the migrations). Review on pull_request, and for comments on fork pull requests use the analyze/publish pair (mode: analyze on pull_request, mode: publish on workflow_run): https://github.com/alembic-review/alembic-review/blob/main/docs/github-action.md#fork-pull-requests. If the checked-out code is trusted, set allow-pull-request-target: true.";

/** The project's Python: the python input or .venv when there is one, else one set up from its lock file. */
async function projectPython(options: Options, context: GitHubContext): Promise<Options> {
  if (options.python !== undefined || existsSync(path.join(options.projectDir, '.venv/bin/python')))
    return options;
  const setup = await setUpPython({
    projectDir: options.projectDir,
    root: context.workspace,
    workDir: workDirectory(),
    cache: await actionsCache(),
    log: (line) => {
      core.info(line);
    },
  });
  return setup === null ? options : { ...options, python: setup.python };
}

/** The base cache directory restored from the actions cache; save() after the review. */
async function warmBase(
  options: Options,
  context: GitHubContext,
): Promise<{ save: () => Promise<void> } | null> {
  if (options.cacheDir === null) return null;
  const cache = await actionsDirectoryCache();
  const run: BaseCacheRun = {
    dir: options.cacheDir,
    project: path.relative(context.workspace, options.projectDir),
    run: `${process.env.GITHUB_RUN_ID ?? Date.now()}-${process.env.GITHUB_RUN_ATTEMPT ?? '1'}`,
    log: (line) => {
      core.info(line);
    },
  };
  const restored = await restoreBaseCache(cache, run);
  return { save: () => saveBaseCache(cache, run, restored) };
}

async function analyze(context: GitHubContext): Promise<Review> {
  const resolved = resolveOptions(actionOptions(), context.workspace);
  const found = await findEventBase(resolved.projectDir, context, resolved.base);
  if (found.fetched !== undefined) core.info(`alembic-review: ${found.fetched}`);
  core.info(`alembic-review: comparing with ${found.how}`);
  const options = await projectPython({ ...resolved, base: found.base }, context);
  const warm = await warmBase(options, context);
  const result = await review(options, {
    log: (line) => {
      core.info(line);
    },
    pythonOutput: (line) => {
      core.debug(`python: ${line}`);
    },
  });
  await warm?.save();
  const withFixes = await attachFixes(result, await findingsRoot(options.projectDir));
  return context.runUrl === undefined ? withFixes : { ...withFixes, runUrl: context.runUrl };
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

/** On a run that ends in an error: the job summary says why, and every output has a value. */
async function reportFailure(message: string, outputsSet: boolean): Promise<void> {
  if (!outputsSet) {
    core.setOutput('verdict', 'error');
    core.setOutput('errors', '');
    core.setOutput('warnings', '');
    core.setOutput('report-json', '');
    core.setOutput('comment-url', '');
  }
  if ((process.env.GITHUB_STEP_SUMMARY ?? '') === '') return;
  try {
    await core.summary
      .addHeading('alembic-review', 2)
      .addRaw(`❌ The review did not run.\n\n${text(message)}\n`, true)
      .write();
  } catch {
    // The failure itself is already reported; a summary file that cannot be written changes nothing.
  }
}

export async function run(): Promise<void> {
  let outputsSet = false;
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
        await reportFailure(PULL_REQUEST_TARGET_REFUSAL, false);
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

    // The publish job reports; the gate is the analyze (or review) job, which is the PR's status check.
    // Its message is the first annotation of the step, before those of the findings.
    const gateMessage =
      mode !== 'publish' && result.summary.verdict === 'fail'
        ? `alembic-review: ${counts(result.summary)} (fail-on: ${result.failOn})`
        : undefined;
    // analyze posts nothing (its token is read-only on fork PRs): annotations and the job summary only.
    const outcome = await publishReview(result, context, {
      token: input('github-token'),
      comment: mode !== 'analyze' && flag('comment', true),
      inlineComments: mode !== 'analyze' && flag('inline-comments', true),
      reportDir: dir,
      ...(gateMessage === undefined ? {} : { gateMessage }),
    });
    setOutputs(result, reportPath, outcome);
    outputsSet = true;
    if (gateMessage !== undefined) process.exitCode = core.ExitCode.Failure;
  } catch (error) {
    // Cancelled (SIGTERM/SIGINT): the teardown's side effects are not the review's errors.
    if (cancellation() !== undefined) return;
    const message = isUsageError(error)
      ? `alembic-review: ${error.message}`
      : `alembic-review: internal error: ${errorMessage(error)}`;
    core.setFailed(message);
    await reportFailure(message, outputsSet);
  } finally {
    await teardownAll((line) => {
      core.warning(line);
    });
  }
}
