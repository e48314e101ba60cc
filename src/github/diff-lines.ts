// Which lines of which files the pull request's diff shows: GitHub accepts a
// review comment only on a line inside a hunk of the diff (added or context
// lines, RIGHT side). Read from the changed files' patches (all pages: a PR
// may change more than 100 files).
import parseDiff from 'parse-diff';
import type { GitHubClient } from './client.ts';
import type { PullTarget } from './comment.ts';

/** Repository-relative path → lines of the new version that are inside the diff. */
export type DiffLines = ReadonlyMap<string, ReadonlySet<number>>;

/** Lines of the new file that a hunk-only patch (as the API returns it) shows. */
export function commentableLines(patch: string): Set<number> {
  const lines = new Set<number>();
  for (const file of parseDiff(patch)) {
    for (const chunk of file.chunks) {
      for (const change of chunk.changes) {
        if (change.type === 'add') lines.add(change.ln);
        else if (change.type === 'normal') lines.add(change.ln2);
      }
    }
  }
  return lines;
}

export async function fetchDiffLines(client: GitHubClient, target: PullTarget): Promise<DiffLines> {
  const files = await client.paginate(client.rest.pulls.listFiles, {
    owner: target.owner,
    repo: target.repo,
    pull_number: target.number,
    per_page: 100,
  });
  const result = new Map<string, Set<number>>();
  for (const file of files) {
    // No patch: binary, too large, or only renamed; nothing there can take a comment.
    if (file.status === 'removed' || file.patch === undefined) continue;
    result.set(file.filename, commentableLines(file.patch));
  }
  return result;
}

export function inDiff(diff: DiffLines, file: string, line: number): boolean {
  return diff.get(file)?.has(line) === true;
}
