// Which revisions are new: by git (files added under the version locations
// since --base, or since the merge-base with the default branch), or by
// --since REV (every descendant of REV).
import { realpathSync } from 'node:fs';
import path from 'node:path';
import {
  changedFiles,
  defaultBase,
  repositoryRoot,
  resolveCommit,
  type ChangedFiles,
} from '../alembic/git.ts';
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
function refuseMissedRevisions(
  everything: ChangedFiles,
  baseRef: string,
  load: LoadResult,
  relative: (file: string) => string,
): void {
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

/** What git says about the change, asked once, while the project opens. */
export interface BaseComparison {
  /** The repository root (real path); null outside git. */
  gitRoot: string | null;
  /** The base and every file the change adds, modifies or deletes; null with --since or outside git. */
  against: { ref: string; sha: string; changed: ChangedFiles } | null;
}

/** Rejects (a UsageError) when there is no base to compare with or git fails. */
export async function compareWithBase(options: Options): Promise<BaseComparison> {
  const found = await repositoryRoot(options.projectDir);
  const gitRoot = found === null ? null : realpathSync(found);
  if (options.since !== undefined || gitRoot === null) return { gitRoot, against: null };
  let ref = options.base;
  let sha: string;
  if (ref === undefined) {
    const base = await defaultBase(gitRoot);
    if (base === null) {
      throw new UsageError(
        'git',
        `No base to compare with: pass --base REF (for example --base origin/main), or --since REV. The repository at ${gitRoot} has no main or master branch to default to.`,
      );
    }
    ref = base.ref;
    sha = base.sha;
  } else {
    sha = await resolveCommit(gitRoot, ref);
  }
  return { gitRoot, against: { ref, sha, changed: await changedFiles(gitRoot, sha, [gitRoot]) } };
}

/**
 * The Python files the change adds or modifies (absolute paths), known before
 * the project is opened: where its revisions are, when the review must choose
 * among named ini sections. Empty with --since or outside git.
 */
export async function changedPythonFiles(comparison: Promise<BaseComparison>): Promise<string[]> {
  try {
    const changed = (await comparison).against?.changed;
    if (changed === undefined) return [];
    return [...changed.added, ...changed.modified].filter((file) => file.endsWith('.py'));
  } catch {
    return []; // findChanges says what is wrong with the base
  }
}

/** The files of `changed` inside one of `dirs` (what `git diff -- DIR…` would list). */
function inside(changed: ChangedFiles, dirs: readonly string[]): ChangedFiles {
  const within = (file: string): boolean =>
    dirs.some((dir) => {
      const relative = path.relative(dir, file);
      return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
    });
  const only = (files: Set<string>): Set<string> => new Set([...files].filter(within));
  return { added: only(changed.added), modified: only(changed.modified), deleted: only(changed.deleted) };
}

export async function findChanges(
  options: Options,
  load: LoadResult,
  comparison: Promise<BaseComparison> = compareWithBase(options),
): Promise<Changes> {
  const { gitRoot, against } = await comparison;
  const root = gitRoot ?? realpathSync(options.projectDir);
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
  if (against === null) {
    throw new UsageError(
      'git',
      `${options.projectDir} is not inside a git repository, so the new revisions cannot be found from git. Pass --since REV to review every revision after REV.`,
    );
  }
  const { ref: baseRef, sha } = against;
  const changed = inside(against.changed, load.versionLocations);
  const isNew = (r: BridgeRevision): boolean => changed.added.has(r.path);
  let plan = makePlan(load.revisions, isNew, changed.modified);
  // Edited revisions run again with what descends from them, unless that is most of the
  // history (a change that reformats every revision file): then only the new ones run.
  if (plan.replayed.length > options.maxNewRevisions)
    plan = makePlan(load.revisions, isNew, changed.modified, { replayModified: false });
  if (plan.newRevisions.length === 0) refuseMissedRevisions(against.changed, baseRef, load, relative);
  return {
    plan,
    base: `${baseRef} (${sha.slice(0, 7)})`,
    baseCommit: sha,
    root,
    relative,
  };
}
