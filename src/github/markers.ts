// Hidden markers that let the publisher find its own comments again: one per
// project for the sticky comment, and the keys of the findings an inline
// comment is about. Markers only count on the first line of a comment written
// by a bot (or by the token's own user), so nobody can hide a finding or
// capture the sticky comment by quoting a marker.

const COMMENT_PREFIX = '<!-- alembic-review:comment project=';
// v2: keys without line numbers (see render/finding-key.ts); comments with older keys are left alone.
const FINDINGS_PREFIX = '<!-- alembic-review:findings/v2 ';

/** The sticky comment's marker; the project is encoded so that no path can end the HTML comment. */
export function commentMarker(project: string): string {
  return `${COMMENT_PREFIX}${encodeURIComponent(project)} -->`;
}

export function findingsMarker(keys: readonly string[]): string {
  return `${FINDINGS_PREFIX}${keys.join(' ')} -->`;
}

export function firstLine(body: string | null | undefined): string {
  return (body ?? '').split('\n', 1)[0]?.trim() ?? '';
}

export function hasCommentMarker(body: string | null | undefined, marker: string): boolean {
  return firstLine(body) === marker;
}

/** The finding keys of an inline comment's marker (none when the first line is not one). */
export function findingKeysOf(body: string | null | undefined): string[] {
  const line = firstLine(body);
  if (!line.startsWith(FINDINGS_PREFIX) || !line.endsWith(' -->')) return [];
  return line
    .slice(FINDINGS_PREFIX.length, -' -->'.length)
    .split(' ')
    .filter((key) => /^[0-9a-f]{16}$/.test(key));
}

export interface Author {
  login: string;
  type: string;
}
