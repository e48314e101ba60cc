// Inline comments whose findings are gone after a push must not stay on the
// pull request as if still true: their review threads are resolved (GraphQL
// resolveReviewThread), or, where the token may not resolve them, answered
// once with a reply saying the finding is fixed. Only comments this tool
// wrote count (markers on the first line of a bot's — or the token user's —
// comment), and nothing is closed after a review that did not finish.
import type { Review } from '../model.ts';
import { findingKeys } from '../render/finding-key.ts';
import type { GitHubClient } from './client.ts';
import type { PullTarget } from './comment.ts';
import type { Identity } from './identity.ts';
import { findingKeysOf, firstLine } from './markers.ts';

const FIXED_MARKER = '<!-- alembic-review:fixed/v2 -->';

/** One of our inline comments, as the REST API lists it. */
export interface OurComment {
  id: number;
  keys: string[];
}

export interface OurComments {
  /** Top-level comments with finding keys. */
  comments: OurComment[];
  /** Ids of the comments we already answered with "fixed". */
  answered: Set<number>;
}

export async function ourReviewComments(
  client: GitHubClient,
  target: PullTarget,
  identity: Identity,
): Promise<OurComments> {
  const listed = await client.paginate(client.rest.pulls.listReviewComments, {
    owner: target.owner,
    repo: target.repo,
    pull_number: target.number,
    per_page: 100,
  });
  const result: OurComments = { comments: [], answered: new Set() };
  for (const comment of listed) {
    const keys = findingKeysOf(comment.body);
    const fixedReply = firstLine(comment.body) === FIXED_MARKER && comment.in_reply_to_id !== undefined;
    if ((keys.length === 0 && !fixedReply) || !(await identity.isOurs(comment.user))) continue;
    if (fixedReply) result.answered.add(comment.in_reply_to_id as number);
    else if (comment.in_reply_to_id === undefined) result.comments.push({ id: comment.id, keys });
  }
  return result;
}

interface Thread {
  id: string;
  isResolved: boolean;
  viewerCanResolve: boolean;
}

const THREADS_QUERY = `query($owner: String!, $repo: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { id isResolved viewerCanResolve comments(first: 1) { nodes { databaseId } } }
      }
    }
  }
}`;

const RESOLVE_MUTATION = `mutation($threadId: ID!) {
  resolveReviewThread(input: { threadId: $threadId }) { thread { id isResolved } }
}`;

interface ThreadsPage {
  repository: {
    pullRequest: {
      reviewThreads: {
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        nodes: (Thread & { comments: { nodes: { databaseId: number | null }[] } })[];
      };
    } | null;
  } | null;
}

/** The pull request's review threads by the REST id of their first comment. */
async function threadsByFirstComment(client: GitHubClient, target: PullTarget): Promise<Map<number, Thread>> {
  const threads = new Map<number, Thread>();
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const data: ThreadsPage = await client.graphql<ThreadsPage>(THREADS_QUERY, {
      owner: target.owner,
      repo: target.repo,
      number: target.number,
      cursor,
    });
    const connection = data.repository?.pullRequest?.reviewThreads;
    if (connection === undefined) break;
    for (const node of connection.nodes) {
      const first = node.comments.nodes[0]?.databaseId;
      if (typeof first === 'number')
        threads.set(first, {
          id: node.id,
          isResolved: node.isResolved,
          viewerCanResolve: node.viewerCanResolve,
        });
    }
    if (!connection.pageInfo.hasNextPage) break;
    cursor = connection.pageInfo.endCursor;
  }
  return threads;
}

export interface StaleOutcome {
  resolved: number;
  replied: number;
  /** Why no thread was looked at, when none was. */
  skipped: string | null;
}

/** Resolves (or answers) the threads of our comments none of whose findings the review still has. */
export async function closeStaleThreads(
  client: GitHubClient,
  target: PullTarget & { headSha: string },
  review: Review,
  ours: OurComments,
): Promise<StaleOutcome> {
  const outcome: StaleOutcome = { resolved: 0, replied: 0, skipped: null };
  if (review.findings.some((f) => f.ruleId === 'review-incomplete')) {
    outcome.skipped = 'the review did not finish, so a missing finding proves nothing';
    return outcome;
  }
  const current = new Set(findingKeys(review.project, review.findings).values());
  const stale = ours.comments.filter((c) => c.keys.every((k) => !current.has(k)) && !ours.answered.has(c.id));
  if (stale.length === 0) return outcome;
  let threads: Map<number, Thread> | null;
  try {
    threads = await threadsByFirstComment(client, target);
  } catch {
    threads = null; // no GraphQL for this token: answer instead
  }
  for (const comment of stale) {
    const thread = threads?.get(comment.id);
    if (thread?.isResolved === true) continue;
    if (thread !== undefined && thread.viewerCanResolve) {
      try {
        await client.graphql(RESOLVE_MUTATION, { threadId: thread.id });
        outcome.resolved++;
        continue;
      } catch {
        // The token may read but not resolve threads: say it in a reply.
      }
    }
    await client.rest.pulls.createReplyForReviewComment({
      owner: target.owner,
      repo: target.repo,
      pull_number: target.number,
      comment_id: comment.id,
      body: `${FIXED_MARKER}\n✅ **Fixed**: the review of ${target.headSha.slice(0, 7)} no longer finds this.\n\n<sub>alembic-review</sub>\n`,
    });
    outcome.replied++;
  }
  return outcome;
}
