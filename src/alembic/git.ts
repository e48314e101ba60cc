// What the change under review touched, from git: the base commit and the
// files added, modified or deleted under the version locations between the
// base and the work tree (uncommitted and untracked files count: a local run
// reviews what is on disk).
import path from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../errors.ts';

/** Runs git; never throws for a non-zero exit. */
export async function git(
  cwd: string,
  args: string[],
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const result = await execa('git', args, { cwd, reject: false, stripFinalNewline: true });
  return { ok: result.exitCode === 0, stdout: result.stdout, stderr: result.stderr };
}

/** The repository's top-level directory, or null when dir is not in a git work tree. */
export async function repositoryRoot(dir: string): Promise<string | null> {
  const result = await git(dir, ['rev-parse', '--show-toplevel']);
  return result.ok ? result.stdout.trim() : null;
}

/** The commit a ref names, or a UsageError saying that it does not exist. */
export async function resolveCommit(root: string, ref: string): Promise<string> {
  const result = await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (!result.ok || result.stdout === '') {
    throw new UsageError(
      'git',
      `--base names "${ref}", which is not a commit in the repository at ${root}. Check the branch or tag name; in CI, check out with fetch-depth: 0 (or fetch the base branch) so that the base commit is present.`,
    );
  }
  return result.stdout.trim();
}

/** The default base for a local run: the merge-base of HEAD with the default branch. */
export async function defaultBase(root: string): Promise<{ ref: string; sha: string } | null> {
  const candidates: string[] = [];
  const originHead = await git(root, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']);
  if (originHead.ok && originHead.stdout !== '') candidates.push(originHead.stdout.trim());
  candidates.push('origin/main', 'origin/master', 'main', 'master');
  for (const ref of candidates) {
    const exists = await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    if (!exists.ok) continue;
    const mergeBase = await git(root, ['merge-base', 'HEAD', ref]);
    if (mergeBase.ok) return { ref, sha: mergeBase.stdout.trim() };
  }
  return null;
}

export interface ChangedFiles {
  added: Set<string>;
  modified: Set<string>;
  deleted: Set<string>;
}

/** Absolute paths of files changed under dirs between base and the work tree. */
export async function changedFiles(
  root: string,
  base: string,
  dirs: readonly string[],
): Promise<ChangedFiles> {
  const relative = dirs.map((d) => path.relative(root, d) || '.');
  const changed: ChangedFiles = { added: new Set(), modified: new Set(), deleted: new Set() };
  const diff = await git(root, ['diff', '--name-status', '--no-renames', '-z', base, '--', ...relative]);
  if (!diff.ok) throw new UsageError('git', `git diff against ${base} failed: ${diff.stderr.trim()}`);
  const fields = diff.stdout.split('\0').filter((f) => f !== '');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const status = fields[i] ?? '';
    const file = path.join(root, fields[i + 1] ?? '');
    if (status.startsWith('A')) changed.added.add(file);
    else if (status.startsWith('D')) changed.deleted.add(file);
    else changed.modified.add(file);
  }
  const untracked = await git(root, ['ls-files', '--others', '--exclude-standard', '-z', '--', ...relative]);
  if (untracked.ok) {
    for (const file of untracked.stdout.split('\0').filter((f) => f !== ''))
      changed.added.add(path.join(root, file));
  }
  return changed;
}
