// Inline comments on the exact migration lines, posted as one review with
// event COMMENT (never APPROVE / REQUEST_CHANGES: the gate is the check).
// Only lines inside the PR's diff can take a comment; at most `limit` per
// review; a finding already commented on an earlier push (its key is in the
// hidden marker of one of our comments) is not commented again. What is not
// commented inline is in the sticky comment anyway. A finding whose fix is an
// edit of lines the diff shows gets a GitHub suggestion block on exactly
// those lines (start_line..line), so that "Commit suggestion" makes the fix.
import type { Edit, Finding, Review } from '../model.ts';
import { findingKey, findingKeys } from '../render/finding-key.ts';
import { renderCompanionComment, renderInlineComment } from '../render/inline.ts';
import { sortFindings } from '../render/sections.ts';
import { plural } from '../render/words.ts';
import type { GitHubClient } from './client.ts';
import type { PullTarget } from './comment.ts';
import { inDiff, type DiffLines } from './diff-lines.ts';
import type { Identity } from './identity.ts';
import { findingsMarker } from './markers.ts';
import { ourReviewComments, type OurComments } from './stale-threads.ts';

/** GitHub posts a review with many comments, but a reviewer reads about this many. */
export const MAX_INLINE_COMMENTS = 30;

export interface InlineComment {
  path: string;
  /** The (last) line the comment is on. */
  line: number;
  /** First line, for a comment on several lines (a suggestion that replaces them). */
  startLine?: number;
  findings: Finding[];
  keys: string[];
  /** The edit the comment suggests (a GitHub suggestion block on lines startLine..line). */
  suggestion?: { finding: Finding; edit: Edit };
  /** A comment that only carries the rest of another comment's fix (e.g. in downgrade()). */
  companion?: boolean;
}

export interface InlinePlan {
  /** One entry per file:line (or per edited range), findings in severity order. */
  comments: InlineComment[];
  alreadyCommented: number;
  outsideDiff: number;
  overLimit: number;
}

export interface InlineResult extends InlinePlan {
  reviewUrl: string | null;
}

function editInDiff(diff: DiffLines, edit: Edit): boolean {
  for (let line = edit.startLine; line <= edit.endLine; line++)
    if (!inDiff(diff, edit.file, line)) return false;
  return true;
}

/** Moves a comment onto the lines of the first edit among its findings that the diff shows whole. */
function withSuggestion(group: InlineComment, diff: DiffLines): InlineComment[] {
  for (const finding of group.findings) {
    const edits = finding.suggestion?.edits ?? [];
    const own = edits.find(
      (e) => e.file === group.path && e.startLine <= group.line && group.line <= e.endLine,
    );
    if (own === undefined || !editInDiff(diff, own)) continue;
    const anchored: InlineComment = {
      ...group,
      line: own.endLine,
      ...(own.startLine < own.endLine ? { startLine: own.startLine } : {}),
      suggestion: { finding, edit: own },
    };
    const key = group.keys[group.findings.indexOf(finding)] ?? '';
    const rest = edits
      .filter((e) => e !== own && editInDiff(diff, e))
      .map((edit): InlineComment => ({
        path: edit.file,
        line: edit.endLine,
        ...(edit.startLine < edit.endLine ? { startLine: edit.startLine } : {}),
        findings: [finding],
        keys: [key],
        suggestion: { finding, edit },
        companion: true,
      }));
    return [anchored, ...rest];
  }
  return [group];
}

/** Which findings get an inline comment this time (pure: the tests check it directly). */
export function planInlineComments(
  review: Review,
  diff: DiffLines,
  commented: ReadonlySet<string>,
  limit: number = MAX_INLINE_COMMENTS,
): InlinePlan {
  const plan: InlinePlan = { comments: [], alreadyCommented: 0, outsideDiff: 0, overLimit: 0 };
  const keys = findingKeys(review.project, review.findings);
  const byLine = new Map<string, InlineComment>();
  const groups: InlineComment[] = [];
  for (const finding of sortFindings(review.findings)) {
    if (finding.severity === 'notice' || finding.file === undefined || finding.line === undefined) continue;
    const key = keys.get(finding) ?? findingKey(review.project, finding);
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
  const comments = groups.flatMap((g) => withSuggestion(g, diff));
  plan.comments = comments.slice(0, limit);
  plan.overLimit = comments
    .slice(limit)
    .filter((c) => c.companion !== true)
    .reduce((sum, c) => sum + c.findings.length, 0);
  return plan;
}

/** Finding keys of the inline comments this tool already left on the pull request. */
export function commentedKeys(ours: OurComments): Set<string> {
  return new Set(ours.comments.flatMap((c) => c.keys));
}

export async function commentedFindings(
  client: GitHubClient,
  target: PullTarget,
  identity: Identity,
): Promise<Set<string>> {
  return commentedKeys(await ourReviewComments(client, target, identity));
}

function commentBody(comment: InlineComment, project: string): string {
  const suggestion = comment.suggestion;
  if (comment.companion === true && suggestion !== undefined)
    return renderCompanionComment(suggestion.finding, suggestion.edit, project);
  return renderInlineComment(comment.findings, project, suggestion);
}

function reviewBody(plan: InlinePlan, commentUrl: string | null): string {
  const findings = plan.comments
    .filter((c) => c.companion !== true)
    .reduce((sum, c) => sum + c.findings.length, 0);
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
      ...(c.startLine === undefined ? {} : { start_line: c.startLine, start_side: 'RIGHT' as const }),
      line: c.line,
      side: 'RIGHT' as const,
      body: `${findingsMarker(c.keys)}\n${commentBody(c, options.review.project)}`,
    })),
  });
  return { ...plan, reviewUrl: response.data.html_url };
}
