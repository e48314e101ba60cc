// The project as it was at the base commit, for what must come from the base
// commit's own code rather than the pull request's: its models (the drift
// `main` already has, a base built from models, the release still running
// during a deploy) and its revision graph. Its files come from `git archive`
// into a temporary directory (no work tree, nothing changed in the
// repository), and a bridge process of its own opens it, so that no module of
// the pull request's tree is imported there.
import { chmod, copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Bridge } from '../alembic/bridge.ts';
import { openBridge } from '../alembic/open-bridge.ts';
import { loadArgs, prewarm } from '../alembic/project.ts';
import type { LoadResult } from '../alembic/protocol.ts';
import { errorMessage } from '../errors.ts';
import { firstFew, plural } from '../render/words.ts';
import type { Options } from '../options.ts';
import { onTeardown } from '../teardown.ts';
import type { Changes } from './changes.ts';

export interface BaseTree {
  /** The base commit (full sha). */
  commit: string;
  /** Temporary directory holding the base commit's files. */
  root: string;
  /** The project's directory inside it. */
  projectDir: string;
  /** A bridge process of its own, with the base commit's project loaded. */
  bridge: Bridge;
  load: LoadResult;
  /** A path inside the base tree → the repository-relative path of the same file. */
  relative: (file: string) => string;
  close: () => Promise<void>;
}

/** Why the base commit's code could not be opened (the review goes on without it). */
export interface BaseTreeUnavailable {
  unavailable: string;
}

export const NO_BASE_COMMIT: BaseTreeUnavailable = {
  unavailable: 'there is no base commit (--since names a revision)',
};

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * `git archive` of the commit, unpacked into a fresh temporary directory.
 * A clone may lack the contents of some files (a partial clone, a mirror
 * without its largest blobs): then the tree is unpacked without them, and
 * `missing` names them.
 */
export async function extractCommit(
  repositoryRoot: string,
  commit: string,
): Promise<{ root: string; missing: string[] }> {
  const root = await mkdtemp(path.join(tmpdir(), 'alembic-review-base-'));
  // The bridge may run as an unprivileged user: it must be able to read the tree.
  await chmod(root, 0o755);
  const unpack = (pathspecs: string[]) =>
    execa('git', ['archive', '--format=tar', commit, ...pathspecs], {
      cwd: repositoryRoot,
      buffer: false,
    }).pipe('tar', ['-x', '-C', root]);
  try {
    await unpack([]);
    return { root, missing: [] };
  } catch (error) {
    const missing = await absentBlobs(repositoryRoot, commit).catch(() => []);
    await rm(root, { recursive: true, force: true });
    if (missing.length === 0) throw error;
    await mkdir(root, { mode: 0o755 });
    await chmod(root, 0o755);
    await unpack(['--', '.', ...missing.map((file) => `:(exclude,literal)${file}`)]);
    return { root, missing };
  }
}

/** Files of the commit whose contents this clone does not have. */
async function absentBlobs(repositoryRoot: string, commit: string): Promise<string[]> {
  const git = { cwd: repositoryRoot, env: { GIT_NO_LAZY_FETCH: '1' } };
  const tree = await execa('git', ['ls-tree', '-r', '-z', '--full-tree', commit], git);
  const blobs = new Map<string, string[]>();
  for (const entry of tree.stdout.split('\0')) {
    const match = /^\d+ blob ([0-9a-f]+)\t(.+)$/s.exec(entry);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    blobs.set(match[1], [...(blobs.get(match[1]) ?? []), match[2]]);
  }
  const checked = await execa('git', ['cat-file', '--batch-check=%(objectname)'], {
    ...git,
    input: [...blobs.keys()].join('\n') + '\n',
  });
  return checked.stdout
    .split('\n')
    .filter((line) => line.endsWith(' missing'))
    .flatMap((line) => blobs.get(line.slice(0, -' missing'.length)) ?? []);
}

/** A generated module worth copying is small; more than this many is not a version file. */
const GENERATED_MAX_BYTES = 256 * 1024;
const GENERATED_MAX_FILES = 20;

/**
 * Python modules that git ignores but that sit next to tracked code in the
 * work tree: files a build or an install writes into the package (a version
 * or build-info module). `git archive` cannot have them, and the package may
 * not import without them. Ignored directories (.venv, node_modules) are not
 * entered.
 */
export async function generatedModules(repositoryRoot: string): Promise<string[]> {
  const git = (args: string[]) => execa('git', args, { cwd: repositoryRoot });
  const [ignored, tracked] = await Promise.all([
    git(['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory', '--', '*.py']),
    git(['ls-files', '-z', '--', '*.py']),
  ]);
  const packages = new Set(
    tracked.stdout
      .split('\0')
      .filter((f) => f !== '')
      .map((f) => path.posix.dirname(f)),
  );
  const found: string[] = [];
  for (const file of ignored.stdout.split('\0')) {
    if (!file.endsWith('.py') || !packages.has(path.posix.dirname(file))) continue;
    const size = await stat(path.join(repositoryRoot, file)).then(
      (s) => (s.isFile() ? s.size : Infinity),
      () => Infinity,
    );
    if (size <= GENERATED_MAX_BYTES) found.push(file);
  }
  return found.length > GENERATED_MAX_FILES ? [] : found;
}

/** Copies the work tree's generated modules the base tree lacks; returns those copied. */
async function addGeneratedModules(repositoryRoot: string, root: string): Promise<string[]> {
  const copied: string[] = [];
  for (const file of await generatedModules(repositoryRoot).catch(() => [])) {
    const target = path.join(root, file);
    if (await exists(target)) continue;
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(path.join(repositoryRoot, file), target);
    copied.push(file);
  }
  return copied;
}

/** The base-tree equivalent of a file of the pull request's tree. */
function inBase(repositoryRoot: string, root: string, file: string): string {
  return path.join(root, path.relative(repositoryRoot, file));
}

export async function openBaseTree(
  options: Options,
  changes: Changes,
  python: string,
  onStderr: (line: string) => void,
  log: (line: string) => void = () => undefined,
): Promise<BaseTree | BaseTreeUnavailable> {
  const commit = changes.baseCommit;
  if (commit === null) return NO_BASE_COMMIT;
  return openTreeAt(commit, options, changes, python, onStderr, log);
}

/** The project as it was at any commit of the repository (the base commit, or one before it). */
export async function openTreeAt(
  commit: string,
  options: Options,
  changes: Changes,
  python: string,
  onStderr: (line: string) => void,
  log: (line: string) => void = () => undefined,
): Promise<BaseTree | BaseTreeUnavailable> {
  return loadTree(await startTreeAt(commit, changes.root, options, python, onStderr, log), options);
}

/** A commit's tree unpacked and its bridge's Python started, its project not yet loaded. */
export interface StartedTree {
  commit: string;
  repositoryRoot: string;
  root: string;
  projectDir: string;
  bridge: Bridge;
  /** Stops the bridge and removes the tree; once, however often it is called. */
  close: () => Promise<void>;
}

/**
 * The part of opening a commit's project that needs only git: the tree
 * unpacked, the bridge started and its Python's imports made (hello). Started
 * while the pull request's project opens; loadTree() loads it after.
 */
export async function startTreeAt(
  commit: string,
  repositoryRoot: string,
  options: Options,
  python: string,
  onStderr: (line: string) => void,
  log: (line: string) => void = () => undefined,
): Promise<StartedTree | BaseTreeUnavailable> {
  let root: string;
  try {
    const extracted = await extractCommit(repositoryRoot, commit);
    root = extracted.root;
    if (extracted.missing.length > 0)
      log(
        `the base commit's tree lacks ${plural(extracted.missing.length, 'file')} whose contents this clone does not have (${firstFew(extracted.missing, 3)}): opened without them`,
      );
  } catch (error) {
    return { unavailable: `git archive ${commit.slice(0, 7)} failed: ${errorMessage(error)}` };
  }
  const generated = await addGeneratedModules(repositoryRoot, root).catch(() => []);
  if (generated.length > 0)
    log(
      `the base commit's tree got ${generated.length === 1 ? 'a module' : `${generated.length} modules`} git ignores from the work tree, written there by a build or an install (${firstFew(generated, 3)})`,
    );
  const removeTree = onTeardown('base commit tree', () => rm(root, { recursive: true, force: true }));
  const projectDir = inBase(repositoryRoot, root, options.projectDir);
  const configFile = options.configFile === null ? null : inBase(repositoryRoot, root, options.configFile);
  for (const [what, file] of [
    ['the project directory', projectDir],
    ['the Alembic configuration', configFile],
  ] as const) {
    if (file !== null && !(await exists(file))) {
      await removeTree();
      return { unavailable: `${what} does not exist at the base commit ${commit.slice(0, 7)}` };
    }
  }

  const bridge = openBridge(options, onStderr, { projectDir, python });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await bridge.close();
      await removeTree();
    })());
  try {
    await bridge.call('hello', {});
  } catch (error) {
    await close();
    return { unavailable: cannotOpen(commit, error) };
  }
  return { commit, repositoryRoot, root, projectDir, bridge, close };
}

/** Loads the started tree's project with the review's final options (a named section the change chose). */
export async function loadTree(
  started: StartedTree | BaseTreeUnavailable,
  options: Options,
): Promise<BaseTree | BaseTreeUnavailable> {
  if ('unavailable' in started) return started;
  const { commit, repositoryRoot, root, bridge, close } = started;
  const here = (file: string): string => inBase(repositoryRoot, root, file);
  const configFile = options.configFile === null ? null : here(options.configFile);
  const tomlFile = options.tomlFile === null ? null : here(options.tomlFile);
  try {
    const load = await bridge.call('load', {
      configFile,
      tomlFile: tomlFile !== null && (await exists(tomlFile)) ? tomlFile : null,
      ...loadArgs(options, here),
      rebase: { from: repositoryRoot, to: root },
      // Only the graph is read there: parsing hundreds of revision files for their operations is not free.
      staticFacts: false,
    });
    prewarm(bridge, load);
    return {
      commit,
      root,
      projectDir: started.projectDir,
      bridge,
      load,
      relative: (file) => path.relative(root, file).split(path.sep).join('/'),
      close,
    };
  } catch (error) {
    await close();
    return { unavailable: cannotOpen(commit, error) };
  }
}

function cannotOpen(commit: string, error: unknown): string {
  return `the project at the base commit ${commit.slice(0, 7)} cannot be opened: ${errorMessage(error)}`;
}

export function isBaseTree(value: BaseTree | BaseTreeUnavailable): value is BaseTree {
  return !('unavailable' in value);
}
