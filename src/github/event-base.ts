// What to compare with on any event, in the one-commit-deep checkout that
// actions/checkout makes by default:
//
//   pull_request(_target)  the pull request's base commit
//   merge_group            the merge group's base commit
//   push to the default    the commit before the push (what the push added)
//   branch
//   anything else          the merge-base with the default branch: its tip is
//   (push to a branch,     fetched, then both histories are deepened until
//   workflow_dispatch,     they meet
//   schedule, …)
//
// A base-ref input wins; a ref the checkout lacks is fetched from origin.
// When no base can be found the error names the input to set.
import { git } from '../alembic/git.ts';
import { UsageError } from '../errors.ts';
import { ensureCommit } from './base-commit.ts';
import type { GitHubContext } from './context.ts';

async function commitOf(cwd: string, ref: string): Promise<string | null> {
  const result = await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  return result.ok && result.stdout !== '' ? result.stdout.trim() : null;
}

const NO_COMMIT = /^0{40}$/;
/** Deepening steps before giving up on a merge-base (the last one fetches everything). */
const DEEPEN_STEPS = [50, 200, 1000, 5000];

export interface BaseFound {
  /** Commit id or ref to pass as the review's base. */
  base: string;
  /** How it was found, for the log. */
  how: string;
  /** What had to be fetched into the shallow checkout, for the log. */
  fetched?: string;
}

function baseError(context: GitHubContext, why: string): UsageError {
  return new UsageError(
    'git',
    `alembic-review found nothing to compare with on this ${context.eventName || 'workflow'} run: ${why}. Set the base-ref input to the branch or commit the new revisions are measured against (e.g. base-ref: main), or check out with fetch-depth: 0 so that the default branch's history is there.`,
  );
}

/** The remote's default branch: from the event, else from origin itself. */
async function defaultBranch(cwd: string, context: GitHubContext): Promise<string | null> {
  if (context.event.defaultBranch !== null) return context.event.defaultBranch;
  const remote = await git(cwd, ['ls-remote', '--symref', 'origin', 'HEAD']);
  const match = /^ref: refs\/heads\/(\S+)\s+HEAD/m.exec(remote.stdout);
  return match?.[1] ?? null;
}

/** Fetches a branch of origin one commit deep into refs/remotes/origin/NAME; its commit, or null. */
async function fetchBranch(cwd: string, branch: string): Promise<string | null> {
  if (!/^[\w./-]+$/.test(branch) || branch.startsWith('-')) return null;
  const fetched = await git(cwd, [
    'fetch',
    '--no-tags',
    '--depth=1',
    'origin',
    `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
  ]);
  return fetched.ok ? commitOf(cwd, `refs/remotes/origin/${branch}`) : null;
}

/** The merge-base of HEAD and a commit, deepening the shallow history until there is one. */
async function mergeBase(cwd: string, other: string, branch: string): Promise<string | null> {
  const head = await commitOf(cwd, 'HEAD');
  if (head === null) return null;
  for (const depth of [0, ...DEEPEN_STEPS]) {
    if (depth > 0) {
      const shallow = await git(cwd, ['rev-parse', '--is-shallow-repository']);
      if (shallow.stdout.trim() !== 'true') return null;
      const last = depth === DEEPEN_STEPS.at(-1);
      await git(cwd, [
        'fetch',
        '--no-tags',
        ...(last ? ['--unshallow'] : [`--deepen=${depth}`]),
        'origin',
        head,
        `+refs/heads/${branch}:refs/remotes/origin/${branch}`,
      ]);
    }
    const found = await git(cwd, ['merge-base', 'HEAD', other]);
    if (found.ok && found.stdout.trim() !== '') return found.stdout.trim();
  }
  return null;
}

async function explicitBase(cwd: string, ref: string): Promise<BaseFound> {
  if ((await commitOf(cwd, ref)) !== null) return { base: ref, how: `base-ref ${ref}` };
  if (/^[0-9a-f]{40}$/.test(ref)) {
    await ensureCommit(cwd, ref);
    return { base: ref, how: `base-ref ${ref} (fetched)` };
  }
  const branch = ref.replace(/^(?:refs\/heads\/|origin\/|refs\/remotes\/origin\/)/, '');
  const sha = await fetchBranch(cwd, branch);
  if (sha === null) {
    throw new UsageError(
      'git',
      `The base-ref input names "${ref}", which is neither in the checkout nor a branch origin has. Name an existing branch, tag or commit, or check out with fetch-depth: 0.`,
    );
  }
  return { base: `refs/remotes/origin/${branch}`, how: `base-ref ${ref} (fetched origin/${branch})` };
}

export async function findEventBase(
  cwd: string,
  context: GitHubContext,
  explicit: string | undefined,
): Promise<BaseFound> {
  if (explicit !== undefined) return explicitBase(cwd, explicit);
  if (context.pullRequest !== null) {
    const sha = context.pullRequest.baseSha;
    const fetched = await ensureCommit(cwd, sha);
    return {
      base: sha,
      how: fetched ? `fetched the base commit ${sha} (the checkout is shallow)` : `base commit ${sha}`,
    };
  }
  const { mergeGroupBaseSha, before, ref } = context.event;
  if (mergeGroupBaseSha !== null) {
    await ensureCommit(cwd, mergeGroupBaseSha);
    return { base: mergeGroupBaseSha, how: `the merge group's base commit ${mergeGroupBaseSha}` };
  }
  const branch = await defaultBranch(cwd, context);
  if (branch === null) throw baseError(context, 'origin does not say which branch is its default');
  const onDefault = ref === `refs/heads/${branch}`;
  if (context.eventName === 'push' && onDefault && before !== null && !NO_COMMIT.test(before)) {
    try {
      await ensureCommit(cwd, before);
      return { base: before, how: `the commit before the push, ${before}` };
    } catch {
      // A force push can leave `before` unreachable: compare with the default branch instead.
    }
  }
  const tip = await fetchBranch(cwd, branch);
  if (tip === null) throw baseError(context, `the default branch ${branch} could not be fetched from origin`);
  const found = await mergeBase(cwd, tip, branch);
  if (found === null)
    throw baseError(context, `this commit and the default branch ${branch} have no common history`);
  return { base: found, how: `the merge-base with ${branch}, ${found}` };
}
