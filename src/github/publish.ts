// Publishing a review to GitHub: annotations and the job summary (any token),
// then the sticky comment and the inline comments on the pull request. Used by
// the action (modes review and publish) and by `alembic-review publish`.
// Nothing here fails the run: a read-only token (fork PRs, Dependabot)
// degrades to annotations + job summary with one warning, and any other
// GitHub error is a warning too — the gate decides the outcome, not the API.
import path from 'node:path';
import * as core from '@actions/core';
import type { Review } from '../model.ts';
import { COMMENT_LIMIT, renderMarkdown } from '../render/markdown.ts';
import { annotate } from './annotations.ts';
import { createClient, httpStatus, isPermissionError, type GitHubClient } from './client.ts';
import { upsertStickyComment, type PullTarget } from './comment.ts';
import { blobUrl, readContext, type GitHubContext } from './context.ts';
import { fetchDiffLines } from './diff-lines.ts';
import { Identity } from './identity.ts';
import { writeJobSummary } from './job-summary.ts';
import { commentMarker } from './markers.ts';
import { readPullRequestRecord, readReport } from './report-file.ts';
import {
  MAX_INLINE_COMMENTS,
  commentedKeys,
  planInlineComments,
  postInlineComments,
} from './review-comments.ts';
import { closeStaleThreads, ourReviewComments } from './stale-threads.ts';

export const DOCS_FORKS =
  'https://github.com/alembic-review/alembic-review/blob/main/docs/github-action.md#fork-pull-requests';

export interface PublishLog {
  info: (line: string) => void;
  warning: (line: string) => void;
}

export interface PublishSettings {
  /** Token for the GitHub API; without one only annotations and the job summary are written. */
  token: string | undefined;
  comment: boolean;
  inlineComments: boolean;
  maxInlineComments?: number;
  /** Directory of the report, where pull-request.json is looked for (workflow_run events). */
  reportDir?: string;
  /** The gate's failure message, shown as the step's first annotation. */
  gateMessage?: string;
}

export interface PublishTarget extends PullTarget {
  /** The commit that was reviewed (inline comments are anchored to it). */
  headSha: string;
}

export interface PublishOutcome {
  commentUrl: string | null;
  commentCreated: boolean;
  inlineComments: number;
  /** Threads of inline comments whose findings are gone, resolved or answered as fixed. */
  resolvedThreads: number;
  annotations: number;
  jobSummary: boolean;
  /** The token could not write to the pull request. */
  readOnly: boolean;
  /** Why nothing was posted to the pull request, when nothing was. */
  skipped: string | null;
}

const coreLog: PublishLog = {
  info: (line) => {
    core.info(line);
  },
  warning: (line) => {
    core.warning(line);
  },
};

export const READ_ONLY_WARNING = `alembic-review cannot write to this pull request: the token is read-only (GitHub gives pull requests from forks and from Dependabot a read-only GITHUB_TOKEN) or the job lacks \`permissions: pull-requests: write\`. The review is in the job summary and in the annotations. To get the comment on fork pull requests, use the analyze/publish workflow pair: ${DOCS_FORKS}`;

/** The pull request to publish to, or why there is none. */
export async function resolveTarget(
  client: GitHubClient,
  context: GitHubContext,
  reportDir: string | undefined,
): Promise<{ target: PublishTarget } | { skip: string }> {
  const { owner, repo } = context.repository;
  if (context.pullRequest !== null) {
    return {
      target: { owner, repo, number: context.pullRequest.number, headSha: context.pullRequest.headSha },
    };
  }
  const run = context.workflowRun;
  if (run === null)
    return { skip: `this run is not for a pull request (event: ${context.eventName || 'unknown'})` };
  // The report and its pull-request.json come from a run of the PR's own code:
  // trust the PR number only if that PR's head is the commit the run analyzed.
  const record = reportDir === undefined ? null : await readPullRequestRecord(reportDir);
  if (record === null)
    return { skip: 'the report has no pull-request.json: the analyzed run was not for a pull request' };
  if (record.headSha !== run.headSha) {
    return {
      skip: `pull-request.json names commit ${record.headSha}, but the triggering run analyzed ${run.headSha}`,
    };
  }
  const pull = await client.rest.pulls.get({ owner, repo, pull_number: record.number });
  if (pull.data.head.sha !== run.headSha) {
    return {
      skip: `pull request #${record.number} is now at ${pull.data.head.sha.slice(0, 7)}, not at the analyzed commit ${run.headSha.slice(0, 7)}: the run for the newer commit publishes its own review`,
    };
  }
  return { target: { owner, repo, number: record.number, headSha: run.headSha } };
}

function reviewedSha(context: GitHubContext): string | undefined {
  return context.pullRequest?.headSha ?? context.workflowRun?.headSha ?? process.env.GITHUB_SHA;
}

async function postToPullRequest(
  client: GitHubClient,
  review: Review,
  context: GitHubContext,
  target: PublishTarget,
  settings: PublishSettings,
  log: PublishLog,
  outcome: PublishOutcome,
): Promise<void> {
  const identity = new Identity(client);
  const fileUrl = (file: string, line?: number): string => blobUrl(context, target.headSha, file, line);
  if (settings.comment) {
    const body = renderMarkdown(review, {
      preamble: commentMarker(review.project),
      maxLength: COMMENT_LIMIT - 512,
      fileUrl,
      fullReport: { label: 'job summary of the workflow run', url: review.runUrl },
    });
    const sticky = await upsertStickyComment(client, target, identity, commentMarker(review.project), body);
    outcome.commentUrl = sticky.url;
    outcome.commentCreated = sticky.created;
    log.info(
      `alembic-review: ${sticky.created ? 'created' : 'updated'} the review comment ${sticky.url}${sticky.removed > 0 ? ` (deleted ${sticky.removed} duplicates)` : ''}`,
    );
  }
  if (settings.inlineComments) {
    const diff = await fetchDiffLines(client, target);
    const ours = await ourReviewComments(client, target, identity);
    const commented = commentedKeys(ours);
    const plan = planInlineComments(
      review,
      diff,
      commented,
      settings.maxInlineComments ?? MAX_INLINE_COMMENTS,
    );
    try {
      const posted = await postInlineComments(client, target, plan, {
        review,
        commitId: target.headSha,
        commentUrl: outcome.commentUrl,
      });
      outcome.inlineComments = posted.comments.length;
      log.info(
        `alembic-review: ${posted.comments.length} inline comments posted; ${plan.alreadyCommented} findings already commented on earlier pushes, ${plan.outsideDiff} outside the diff, ${plan.overLimit} over the limit`,
      );
    } catch (error) {
      // 422: GitHub refused a line (the commit moved on, or the diff changed since it was read).
      if (httpStatus(error) !== 422) throw error;
      log.warning(
        `alembic-review: GitHub refused the inline comments (${(error as Error).message}); the findings are in the review comment.`,
      );
    }
    const stale = await closeStaleThreads(client, target, review, ours);
    outcome.resolvedThreads = stale.resolved + stale.replied;
    if (stale.resolved + stale.replied > 0) {
      log.info(
        `alembic-review: ${stale.resolved} review threads of fixed findings resolved${stale.replied > 0 ? `, ${stale.replied} answered as fixed (the token may not resolve threads)` : ''}`,
      );
    }
  }
}

export async function publishReview(
  review: Review,
  context: GitHubContext,
  settings: PublishSettings,
  log: PublishLog = coreLog,
): Promise<PublishOutcome> {
  const sha = reviewedSha(context);
  const outcome: PublishOutcome = {
    commentUrl: null,
    commentCreated: false,
    inlineComments: 0,
    resolvedThreads: 0,
    annotations: annotate(
      review,
      core,
      settings.gateMessage === undefined ? {} : { gateMessage: settings.gateMessage },
    ),
    jobSummary: await writeJobSummary(review, {
      fileUrl: sha === undefined ? undefined : (file, line) => blobUrl(context, sha, file, line),
    }),
    readOnly: false,
    skipped: null,
  };
  if (!settings.comment && !settings.inlineComments) {
    outcome.skipped = 'comment and inline-comments are off';
    return outcome;
  }
  if (settings.token === undefined || settings.token === '') {
    outcome.skipped = 'no GitHub token';
    log.warning(
      'alembic-review: no GitHub token (github-token input or GITHUB_TOKEN), so nothing is posted to the pull request.',
    );
    return outcome;
  }
  const client = createClient(settings.token, context.apiUrl);
  try {
    const resolved = await resolveTarget(client, context, settings.reportDir);
    if ('skip' in resolved) {
      outcome.skipped = resolved.skip;
      log.info(`alembic-review: no pull request comment: ${resolved.skip}.`);
      return outcome;
    }
    await postToPullRequest(client, review, context, resolved.target, settings, log, outcome);
  } catch (error) {
    if (isPermissionError(error)) {
      outcome.readOnly = true;
      outcome.skipped = 'the token cannot write to the pull request';
      log.warning(READ_ONLY_WARNING);
    } else {
      outcome.skipped = `GitHub API error: ${(error as Error).message}`;
      log.warning(
        `alembic-review: posting to the pull request failed: ${(error as Error).message}. The review is in the job summary and in the annotations.`,
      );
    }
  }
  return outcome;
}

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return /^(true|1|yes|on)$/i.test(value.trim());
}

/**
 * `alembic-review publish --report report.json`: posts a JSON report written
 * by an earlier review. Reads the workflow's environment (GITHUB_EVENT_PATH,
 * GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_TOKEN; ALEMBIC_REVIEW_COMMENT and
 * ALEMBIC_REVIEW_INLINE_COMMENTS = false turn those off).
 */
export async function publishReport(
  reportPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PublishOutcome> {
  const review = await readReport(reportPath);
  const context = readContext(env);
  return publishReview(review, context, {
    token: env.GITHUB_TOKEN,
    comment: flag(env.ALEMBIC_REVIEW_COMMENT, true),
    inlineComments: flag(env.ALEMBIC_REVIEW_INLINE_COMMENTS, true),
    reportDir: path.dirname(path.resolve(reportPath)),
  });
}
