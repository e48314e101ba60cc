// What the workflow run says about itself: the event, the repository, the
// pull request (number, head and base commits) and the run's URL, read from
// the environment GitHub sets (GITHUB_EVENT_PATH, GITHUB_REPOSITORY, ...).
// Read at call time, so tests and the CLI can pass their own environment.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';

export interface Repository {
  owner: string;
  repo: string;
}

export interface PullRequestRef {
  number: number;
  headSha: string;
  baseSha: string;
  baseRef: string;
  /** owner/name of the head repository; differs from the base repository for a fork. */
  headRepository: string | null;
}

/** The run that produced a report, as a `workflow_run` event describes it (mode publish). */
export interface TriggeringRun {
  id: number;
  event: string;
  headSha: string;
  headRepository: string | null;
}

/** What a non-pull-request event says about where to look for a base. */
export interface EventFacts {
  /** The ref the run is for (refs/heads/…), GITHUB_REF. */
  ref: string | null;
  /** push: the branch tip before the push. */
  before: string | null;
  /** merge_group: the commit the group is merged into. */
  mergeGroupBaseSha: string | null;
  /** The repository's default branch, when the payload has it. */
  defaultBranch: string | null;
}

export interface GitHubContext {
  eventName: string;
  event: EventFacts;
  repository: Repository;
  /** The pull request of a pull_request / pull_request_target event. */
  pullRequest: PullRequestRef | null;
  /** The triggering run of a workflow_run event. */
  workflowRun: TriggeringRun | null;
  apiUrl: string;
  serverUrl: string;
  /** Link to this workflow run, when the run id is known. */
  runUrl: string | undefined;
  workspace: string;
}

type Json = Record<string, unknown>;

function object(value: unknown): Json | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

function string(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function readPayload(env: NodeJS.ProcessEnv): Json {
  const file = env.GITHUB_EVENT_PATH;
  if (file === undefined || file === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      'usage',
      `GITHUB_EVENT_PATH (${file}) is not a readable JSON event: ${(error as Error).message}`,
    );
  }
  return object(parsed) ?? {};
}

function pullRequestOf(payload: Json): PullRequestRef | null {
  const pr = object(payload.pull_request);
  if (pr === null) return null;
  const head = object(pr.head);
  const base = object(pr.base);
  const number =
    typeof pr.number === 'number' ? pr.number : typeof payload.number === 'number' ? payload.number : null;
  const headSha = string(head?.sha);
  const baseSha = string(base?.sha);
  if (number === null || headSha === null || baseSha === null) {
    throw new UsageError('usage', 'The pull_request event payload has no number, head.sha or base.sha.');
  }
  return {
    number,
    headSha,
    baseSha,
    baseRef: string(base?.ref) ?? baseSha,
    headRepository: string(object(head?.repo)?.full_name),
  };
}

function workflowRunOf(payload: Json): TriggeringRun | null {
  const run = object(payload.workflow_run);
  if (run === null) return null;
  const headSha = string(run.head_sha);
  if (typeof run.id !== 'number' || headSha === null) {
    throw new UsageError('usage', 'The workflow_run event payload has no id or head_sha.');
  }
  return {
    id: run.id,
    event: string(run.event) ?? '',
    headSha,
    headRepository: string(object(run.head_repository)?.full_name),
  };
}

function repositoryOf(env: NodeJS.ProcessEnv, payload: Json): Repository {
  const name = string(env.GITHUB_REPOSITORY) ?? string(object(payload.repository)?.full_name);
  const [owner, repo, extra] = (name ?? '').split('/');
  if (owner === undefined || owner === '' || repo === undefined || repo === '' || extra !== undefined) {
    throw new UsageError(
      'usage',
      'GITHUB_REPOSITORY is not set (owner/name): run this inside GitHub Actions.',
    );
  }
  return { owner, repo };
}

export function readContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  const payload = readPayload(env);
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const serverUrl = (string(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, '');
  const repository = repositoryOf(env, payload);
  const runId = string(env.GITHUB_RUN_ID);
  const attempt = string(env.GITHUB_RUN_ATTEMPT);
  return {
    eventName,
    event: {
      ref: string(env.GITHUB_REF) ?? string(payload.ref),
      before: string(payload.before),
      mergeGroupBaseSha: string(object(payload.merge_group)?.base_sha),
      defaultBranch: string(object(payload.repository)?.default_branch),
    },
    repository,
    pullRequest: pullRequestOf(payload),
    workflowRun: eventName === 'workflow_run' ? workflowRunOf(payload) : null,
    apiUrl: (string(env.GITHUB_API_URL) ?? 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl,
    runUrl:
      runId === null
        ? undefined
        : `${serverUrl}/${repository.owner}/${repository.repo}/actions/runs/${runId}${attempt !== null && attempt !== '1' ? `/attempts/${attempt}` : ''}`,
    workspace: string(env.GITHUB_WORKSPACE) ?? process.cwd(),
  };
}

/** URL of a file (and line) of the repository at a commit. */
export function blobUrl(context: GitHubContext, sha: string, file: string, line?: number): string {
  const encoded = file.split('/').map(encodeURIComponent).join('/');
  return `${context.serverUrl}/${context.repository.owner}/${context.repository.repo}/blob/${sha}/${encoded}${line === undefined ? '' : `#L${line}`}`;
}
