// Inline comments on the exact migration lines, posted as one review with
// event COMMENT (never APPROVE / REQUEST_CHANGES: the gate is the check).
// Only lines inside the PR's diff can take a comment; at most `limit` per
// review; a finding already commented on an earlier push (its key is in the
// hidden marker of one of our comments) is not commented again. What is not
// commented inline is in the sticky comment anyway.
import type { Finding, Review } from '../model.ts';
import { findingKey } from '../render/finding-key.ts';
import { renderInlineComment } from '../render/inline.ts';
import { sortFindings } from '../render/sections.ts';
import { plural } from '../render/words.ts';
import type { GitHubClient } from './client.ts';
import type { PullTarget } from './comment.ts';
import { inDiff, type DiffLines } from './diff-lines.ts';
import type { Identity } from './identity.ts';
import { findingKeysOf, findingsMarker } from './markers.ts';

/** GitHub posts a review with many comments, but a reviewer reads about this many. */
export const MAX_INLINE_COMMENTS = 30;

export interface InlinePlan {
  /** One entry per file:line, findings in severity order. */
  comments: { path: string; line: number; findings: Finding[]; keys: string[] }[];
  alreadyCommented: number;
  outsideDiff: number;
  overLimit: number;
}

export interface InlineResult extends InlinePlan {
  reviewUrl: string | null;
}

/** Which findings get an inline comment this time (pure: the tests check it directly). */
export function planInlineComments(
  review: Review,
  diff: DiffLines,
  commented: ReadonlySet<string>,
  limit: number = MAX_INLINE_COMMENTS,
): InlinePlan {
  const plan: InlinePlan = { comments: [], alreadyCommented: 0, outsideDiff: 0, overLimit: 0 };
  const byLine = new Map<string, InlinePlan['comments'][number]>();
  const groups: InlinePlan['comments'] = [];
  for (const finding of sortFindings(review.findings)) {
    if (finding.severity === 'notice' || finding.file === undefined || finding.line === undefined) continue;
    const key = findingKey(review.project, finding);
    if (commented.has(key)) {
      plan.alreadyCommented++;
      continue;
    }
    if (!inDiff(diff, finding.file, finding.line)) {
      plan.outsideDiff++;
      continue;
    }
    const where = `${finding.file}:${finding.line}`;
    let group = byLine.get(where);
    if (group === undefined) {
      group = { path: finding.file, line: finding.line, findings: [], keys: [] };
      byLine.set(where, group);
      groups.push(group);
    }
    group.findings.push(finding);
    group.keys.push(key);
  }
  plan.comments = groups.slice(0, limit);
  plan.overLimit = groups.slice(limit).reduce((sum, g) => sum + g.findings.length, 0);
  return plan;
}

/** Finding keys of the inline comments this tool already left on the pull request. */
export async function commentedFindings(
  client: GitHubClient,
  target: PullTarget,
  identity: Identity,
): Promise<Set<string>> {
  const comments = await client.paginate(client.rest.pulls.listReviewComments, {
    owner: target.owner,
    repo: target.repo,
    pull_number: target.number,
    per_page: 100,
  });
  const keys = new Set<string>();
  for (const comment of comments) {
    const found = findingKeysOf(comment.body);
    if (found.length > 0 && (await identity.isOurs(comment.user))) for (const key of found) keys.add(key);
  }
  return keys;
}

function reviewBody(plan: InlinePlan, commentUrl: string | null): string {
  const findings = plan.comments.reduce((sum, c) => sum + c.findings.length, 0);
  const summary = commentUrl === null ? 'the summary comment' : `[the summary comment](${commentUrl})`;
  const lines = [
    `**alembic-review**: ${plural(findings, 'finding')} on lines of this pull request. The whole review is in ${summary}.`,
  ];
  if (plan.overLimit > 0) {
    lines.push(
      `${plural(plan.overLimit, 'more finding')} on other lines (at most ${MAX_INLINE_COMMENTS} inline comments per review) are listed there.`,
    );
  }
  return lines.join('\n\n');
}

export async function postInlineComments(
  client: GitHubClient,
  target: PullTarget,
  plan: InlinePlan,
  options: { review: Review; commitId: string; commentUrl: string | null },
): Promise<InlineResult> {
  if (plan.comments.length === 0) return { ...plan, reviewUrl: null };
  const response = await client.rest.pulls.createReview({
    owner: target.owner,
    repo: target.repo,
    pull_number: target.number,
    commit_id: options.commitId,
    event: 'COMMENT',
    body: reviewBody(plan, options.commentUrl),
    comments: plan.comments.map((c) => ({
      path: c.path,
      line: c.line,
      side: 'RIGHT',
      body: `${findingsMarker(c.keys)}\n${renderInlineComment(c.findings, options.review.project)}`,
    })),
  });
  return { ...plan, reviewUrl: response.data.html_url };
}
