// Which revisions are new: by git (files added under the version locations
// since --base, or since the merge-base with the default branch), or by
// --since REV (every descendant of REV).
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { changedFiles, defaultBase, repositoryRoot, resolveCommit } from '../alembic/git.ts';
import type { BridgeRevision, LoadResult } from '../alembic/protocol.ts';
import { UsageError } from '../errors.ts';
import type { Options } from '../options.ts';
import { firstFew } from '../render/words.ts';
import { descendantsOf, makePlan, resolveRevision, type ReplayPlan } from './plan.ts';

export interface Changes {
  plan: ReplayPlan;
  /** What the review compares against, for the report ("main (3f2a9c1)" or "since abc123"). */
  base: string;
  /** The base commit (full sha), or null with --since (no commit to compare with). */
  baseCommit: string | null;
  /** Repository root (or the project directory outside git). */
  root: string;
  /** Absolute path → repository-relative POSIX path. */
  relative: (file: string) => string;
}

function relativeTo(root: string): (file: string) => string {
  return (file) => path.relative(root, file).split(path.sep).join('/');
}

/** A Python file under a folder named versions or migrations. */
const MIGRATION_FILE = /(^|\/)(versions|migrations)\/(.+\/)?[^/]+\.py$/;

/**
 * No new revision, while the change adds Python files under a folder named
 * versions or migrations outside the version locations: the tool is looking
 * in the wrong place (a config built in code, a named ini section).
 */
async function refuseMissedRevisions(
  root: string,
  sha: string,
  baseRef: string,
  load: LoadResult,
  relative: (file: string) => string,
): Promise<void> {
  const everything = await changedFiles(root, sha, [root]);
  // Alembic reads the files directly in a version location (and deeper ones only
  // with recursive_version_locations, which then are loaded revisions).
  const loaded = new Set(load.revisions.map((r) => r.path));
  const inside = (file: string): boolean =>
    loaded.has(file) || load.versionLocations.some((d) => path.dirname(file) === d);
  const missed = [...everything.added]
    .map((file) => realpathOrSelf(file))
    .filter(
      (file) =>
        !inside(file) && MIGRATION_FILE.test(relative(file)) && !/(^|\/)(env|__init__)\.py$/.test(file),
    )
    .map(relative)
    .sort();
  if (missed.length === 0) return;
  const searched =
    load.versionLocations.length === 0
      ? '(none)'
      : load.versionLocations.map((d) => relative(d) || '.').join(', ');
  throw new UsageError(
    'project',
    `The change adds ${missed.length === 1 ? 'a Python file' : `${missed.length} Python files`} under a migrations folder (${firstFew(missed, 5)}) but no new revision was found: the review searched the version locations ${searched} (${load.revisions.length} revisions) and compared with ${baseRef}. Point the tool at the project's real Alembic configuration: --config FILE (alembic-config), --name SECTION (ini-section) for a named section of alembic.ini, or --config-factory package.module:function (config-factory) when the project builds its Config in code with several version_locations.`,
  );
}

function realpathOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * The Python files the change adds or modifies (absolute paths), known before
 * the project is opened: where its revisions are, when the review must choose
 * among named ini sections. Empty with --since or outside git.
 */
export async function changedPythonFiles(options: Options): Promise<string[]> {
  if (options.since !== undefined) return [];
  const gitRoot = await repositoryRoot(options.projectDir);
  if (gitRoot === null) return [];
  const root = realpathSync(gitRoot);
  try {
    const sha =
      options.base === undefined ? (await defaultBase(root))?.sha : await resolveCommit(root, options.base);
    if (sha === undefined) return [];
    const changed = await changedFiles(root, sha, [root]);
    return [...changed.added, ...changed.modified].filter((file) => file.endsWith('.py'));
  } catch {
    return []; // findChanges says what is wrong with the base
  }
}

export async function findChanges(options: Options, load: LoadResult): Promise<Changes> {
  const gitRoot = await repositoryRoot(options.projectDir);
  const root = realpathSync(gitRoot ?? options.projectDir);
  const relative = relativeTo(root);

  if (options.since !== undefined) {
    const since = resolveRevision(load.revisions, options.since);
    const descendants = descendantsOf(load.revisions, since.id);
    return {
      plan: makePlan(load.revisions, (r) => descendants.has(r.id), new Set()),
      base: `revision ${since.id}`,
      baseCommit: null,
      root,
      relative,
    };
  }
  if (gitRoot === null) {
    throw new UsageError(
      'git',
      `${options.projectDir} is not inside a git repository, so the new revisions cannot be found from git. Pass --since REV to review every revision after REV.`,
    );
  }
  let baseRef = options.base;
  let sha: string;
  if (baseRef === undefined) {
    const found = await defaultBase(root);
    if (found === null) {
      throw new UsageError(
        'git',
        `No base to compare with: pass --base REF (for example --base origin/main), or --since REV. The repository at ${root} has no main or master branch to default to.`,
      );
    }
    baseRef = found.ref;
    sha = found.sha;
  } else {
    sha = await resolveCommit(root, baseRef);
  }
  const changed = await changedFiles(root, sha, load.versionLocations);
  const isNew = (r: BridgeRevision): boolean => changed.added.has(r.path);
  let plan = makePlan(load.revisions, isNew, changed.modified);
  // Edited revisions run again with what descends from them, unless that is most of the
  // history (a change that reformats every revision file): then only the new ones run.
  if (plan.replayed.length > options.maxNewRevisions)
    plan = makePlan(load.revisions, isNew, changed.modified, { replayModified: false });
  if (plan.newRevisions.length === 0) await refuseMissedRevisions(root, sha, baseRef, load, relative);
  return {
    plan,
    base: `${baseRef} (${sha.slice(0, 7)})`,
    baseCommit: sha,
    root,
    relative,
  };
}
