// Runs the bundled action the way a GitHub runner does: `node dist/index.js`
// with INPUT_* variables, GITHUB_EVENT_PATH pointing to an event payload,
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, and GITHUB_API_URL pointing to
// the fake GitHub API. The checkout is a one-commit-deep clone of the blog
// example's PR branch, like actions/checkout makes.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { ChangedFile, FakeGitHub } from '../github/fake-github.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The bundle under test: dist/ (rebuilt in CI before the tests), or ALEMBIC_REVIEW_BUNDLE. */
export const BUNDLE = path.resolve(ROOT, process.env.ALEMBIC_REVIEW_BUNDLE ?? 'dist');
export const PYTHON = path.join(ROOT, '.venv/bin/python');
export const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const OWNER = 'blog-team';
export const REPO = 'blog';
export const PULL_NUMBER = 7;

export interface BlogCheckout {
  /** The shallow clone the action runs in (GITHUB_WORKSPACE). */
  workspace: string;
  /** The full repository it was cloned from ("origin"). */
  origin: string;
  baseSha: string;
  headSha: string;
  /** The PR's changed files with their hunk-only patches, as pulls.listFiles returns them. */
  files: ChangedFile[];
  temp: string;
}

async function git(cwd: string, args: string[]): Promise<string> {
  const result = await execa('git', args, {
    cwd,
    env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  return String(result.stdout);
}

export async function blogCheckout(): Promise<BlogCheckout> {
  const temp = await mkdtemp(path.join(tmpdir(), 'alembic-review-action-'));
  const origin = path.join(temp, 'origin');
  await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [origin]);
  // origin's HEAD names the default branch, as on GitHub.
  await git(origin, ['checkout', '-q', 'main']);
  return checkoutOf(temp, origin);
}

/** A fresh one-commit-deep clone of origin's pr branch (what actions/checkout makes), with the PR's files. */
async function checkoutOf(temp: string, origin: string): Promise<BlogCheckout> {
  const baseSha = (await git(origin, ['rev-parse', 'main'])).trim();
  const headSha = (await git(origin, ['rev-parse', 'pr'])).trim();
  const workspace = path.join(temp, `workspace-${headSha.slice(0, 8)}`);
  await rm(workspace, { recursive: true, force: true });
  await git(temp, ['clone', '-q', '--depth=1', '--branch', 'pr', `file://${origin}`, workspace]);
  const files: ChangedFile[] = [];
  const status = (await git(origin, ['diff', '--name-status', '--no-renames', baseSha, headSha]))
    .trim()
    .split('\n');
  for (const line of status) {
    const [code, filename] = line.split('\t');
    if (code === undefined || filename === undefined) continue;
    const diff = await git(origin, ['diff', '--no-color', baseSha, headSha, '--', filename]);
    const patch = diff.slice(diff.indexOf('@@')).replace(/\n$/, '');
    files.push({ filename, status: code === 'A' ? 'added' : code === 'D' ? 'removed' : 'modified', patch });
  }
  return { workspace, origin, baseSha, headSha, files, temp };
}

/** A push to the pull request: `change` edits origin's pr branch (repository-relative paths), then a new checkout. */
export async function pushToPullRequest(
  checkout: BlogCheckout,
  message: string,
  change: (file: (relative: string, edit: (text: string) => string) => Promise<void>) => Promise<void>,
): Promise<BlogCheckout> {
  const { origin } = checkout;
  await git(origin, ['checkout', '-q', 'pr']);
  await change(async (relative, edit) => {
    const file = path.join(origin, relative);
    const before = existsSync(file) ? await readFile(file, 'utf8') : '';
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, edit(before));
  });
  await git(origin, ['add', '-A']);
  await git(origin, [
    '-c',
    'user.name=Blog Team',
    '-c',
    'user.email=team@blog.example',
    'commit',
    '-q',
    '-m',
    message,
  ]);
  // origin's HEAD names the default branch, as on GitHub.
  await git(origin, ['checkout', '-q', 'main']);
  return checkoutOf(checkout.temp, origin);
}

export function pullRequestEvent(checkout: BlogCheckout, fork = false): Record<string, unknown> {
  const repository = { full_name: `${OWNER}/${REPO}`, name: REPO, owner: { login: OWNER } };
  return {
    action: 'synchronize',
    number: PULL_NUMBER,
    pull_request: {
      number: PULL_NUMBER,
      head: {
        sha: checkout.headSha,
        ref: 'pr',
        repo: { full_name: fork ? `contributor/${REPO}` : `${OWNER}/${REPO}` },
      },
      base: { sha: checkout.baseSha, ref: 'main', repo: repository },
    },
    repository,
  };
}

/** A push to a branch (not a pull request event), as GitHub describes it. */
export function pushEvent(checkout: BlogCheckout, branch = 'pr'): Record<string, unknown> {
  return {
    ref: `refs/heads/${branch}`,
    before: checkout.baseSha,
    after: checkout.headSha,
    repository: { full_name: `${OWNER}/${REPO}`, name: REPO, default_branch: 'main' },
  };
}

export function workflowRunEvent(checkout: BlogCheckout, runId: number): Record<string, unknown> {
  return {
    action: 'completed',
    workflow_run: {
      id: runId,
      event: 'pull_request',
      head_sha: checkout.headSha,
      head_repository: { full_name: `contributor/${REPO}` },
      pull_requests: [],
    },
    repository: { full_name: `${OWNER}/${REPO}` },
  };
}

export interface ActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** GITHUB_OUTPUT's "name<<delimiter … delimiter" records. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (match === null) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
    if (name !== undefined) outputs[name] = value.join('\n');
  }
  return outputs;
}

export async function runAction(options: {
  checkout: BlogCheckout;
  eventName: string;
  event: Record<string, unknown>;
  apiUrl: string;
  inputs: Record<string, string>;
  runId?: number;
  /** GITHUB_REF (default: the pull request's merge ref). */
  ref?: string;
  env?: Record<string, string>;
}): Promise<ActionRun> {
  const { checkout } = options;
  const dir = await mkdtemp(path.join(checkout.temp, 'run-'));
  const eventPath = path.join(dir, 'event.json');
  const outputPath = path.join(dir, 'output');
  const summaryPath = path.join(dir, 'summary.md');
  await writeFile(eventPath, JSON.stringify(options.event));
  await writeFile(outputPath, '');
  await writeFile(summaryPath, '');
  // A clean environment: nothing of this machine's own GITHUB_* / INPUT_* / RUNNER_* leaks in.
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(GITHUB_|INPUT_|RUNNER_|ACTIONS_)/.test(key)) env[key] = value;
  }
  Object.assign(env, {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_API_URL: options.apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKSPACE: checkout.workspace,
    GITHUB_RUN_ID: String(options.runId ?? 4242),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: checkout.headSha,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_REF: options.ref ?? `refs/pull/${PULL_NUMBER}/merge`,
    RUNNER_TEMP: dir,
    ...options.env,
  });
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const result = await execa(process.execPath, [path.join(BUNDLE, 'index.js')], {
    cwd: checkout.workspace,
    env,
    extendEnv: false,
    reject: false,
    timeout: 600_000,
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    outputs: parseOutputs(await readFile(outputPath, 'utf8')),
    summary: await readFile(summaryPath, 'utf8'),
  };
}

/** The inputs a workflow would give for the blog example against the local PostgreSQL. */
export function reviewInputs(extra: Record<string, string>): Record<string, string> {
  return {
    'working-directory': '.',
    python: PYTHON,
    database: 'url',
    'database-url': DATABASE_URL,
    comment: 'true',
    'inline-comments': 'true',
    'github-token': 'ghs_fake_installation_token',
    mode: 'review',
    'allow-pull-request-target': 'false',
    ...extra,
  };
}

/** A run on a pull_request event for the checkout's head, with the fake GitHub moved to that head. */
export async function runOnPullRequest(
  github: FakeGitHub,
  checkout: BlogCheckout,
  inputs: Record<string, string>,
  env?: Record<string, string>,
): Promise<ActionRun> {
  github.headSha = checkout.headSha;
  github.files = checkout.files;
  return runAction({
    checkout,
    eventName: 'pull_request',
    event: pullRequestEvent(checkout),
    apiUrl: github.url,
    inputs: reviewInputs(inputs),
    ...(env === undefined ? {} : { env }),
  });
}
