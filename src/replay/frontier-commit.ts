// The commit whose revisions end at the frontier. When a change edits applied
// revisions, the replay's base is below them (the frontier); a history that
// does not replay from empty can still get such a base the way it gets any
// fresh database, from models: those of the last commit before the first of
// the revisions above the frontier was added, when the models described the
// schema at the frontier.
import { execa } from 'execa';
import type { BridgeRevision } from '../alembic/protocol.ts';
import { errorMessage } from '../errors.ts';
import type { Changes } from './changes.ts';
import { appliedAboveFrontier } from './plan.ts';

export interface FrontierCommit {
  commit: string;
  /** The commit that added the first revision file above the frontier (the one after `commit`). */
  addedBy: string;
}

/** The commit, or why there is none (then the base comes from the base commit's models, past the edits). */
export async function commitAtFrontier(
  changes: Changes,
  revisions: readonly BridgeRevision[],
): Promise<FrontierCommit | { unavailable: string }> {
  const { plan, baseCommit } = changes;
  if (baseCommit === null) return { unavailable: 'there is no base commit (--since names a revision)' };
  const above = appliedAboveFrontier(plan).map((r) => changes.relative(r.path));
  const frontier = revisions.filter((r) => plan.frontier.includes(r.id)).map((r) => changes.relative(r.path));
  if (above.length === 0) return { unavailable: 'no applied revision is above the frontier' };
  const git = (args: string[]) => execa('git', args, { cwd: changes.root });
  try {
    const log = await git(['log', '--diff-filter=A', '--format=%H', baseCommit, '--', ...above]);
    const addedBy = log.stdout
      .split('\n')
      .filter((line) => line !== '')
      .at(-1);
    if (addedBy === undefined)
      return { unavailable: `git log finds no commit that added ${above[0] ?? '?'}` };
    const parent = await git(['rev-parse', '--verify', '--quiet', `${addedBy}^`]).catch(() => null);
    const commit = parent?.stdout.trim();
    if (commit === undefined || commit === '')
      return { unavailable: `${addedBy.slice(0, 7)}, which added the first of them, has no parent` };
    // That commit has every frontier revision and none above it, or it is not the frontier's.
    const present = async (file: string) =>
      git(['cat-file', '-e', `${commit}:${file}`]).then(
        () => true,
        () => false,
      );
    for (const file of frontier)
      if (!(await present(file))) return { unavailable: `${file} does not exist at ${commit.slice(0, 7)}` };
    for (const file of above)
      if (await present(file)) return { unavailable: `${file} exists at ${commit.slice(0, 7)} already` };
    return { commit, addedBy };
  } catch (error) {
    return { unavailable: `git: ${errorMessage(error)}` };
  }
}
