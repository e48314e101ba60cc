// The sticky comment: one per project on the pull request, found again by its
// hidden marker, created once and then updated in place on every push. Stray
// duplicates (two jobs racing, an old version's leftovers) are deleted.
import type { GitHubClient } from './client.ts';
import type { Identity } from './identity.ts';
import { hasCommentMarker } from './markers.ts';

export interface PullTarget {
  owner: string;
  repo: string;
  number: number;
}

export interface StickyComment {
  id: number;
  url: string;
  created: boolean;
  /** Duplicates deleted. */
  removed: number;
}

export async function upsertStickyComment(
  client: GitHubClient,
  target: PullTarget,
  identity: Identity,
  marker: string,
  body: string,
): Promise<StickyComment> {
  const { owner, repo, number } = target;
  const comments = await client.paginate(client.rest.issues.listComments, {
    owner,
    repo,
    issue_number: number,
    per_page: 100,
  });
  const ours: typeof comments = [];
  for (const comment of comments) {
    if (hasCommentMarker(comment.body, marker) && (await identity.isOurs(comment.user))) ours.push(comment);
  }
  ours.sort((a, b) => a.id - b.id);
  const [keep, ...duplicates] = ours;
  if (keep === undefined) {
    const created = await client.rest.issues.createComment({ owner, repo, issue_number: number, body });
    return { id: created.data.id, url: created.data.html_url, created: true, removed: 0 };
  }
  const updated = await client.rest.issues.updateComment({ owner, repo, comment_id: keep.id, body });
  let removed = 0;
  for (const duplicate of duplicates) {
    await client.rest.issues.deleteComment({ owner, repo, comment_id: duplicate.id });
    removed++;
  }
  return { id: updated.data.id, url: updated.data.html_url, created: false, removed };
}
