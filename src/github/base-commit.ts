// The base commit of the pull request must be in the checkout for git to find
// the new revisions. actions/checkout fetches one commit by default; then the
// base is fetched (one commit deep: the diff against the work tree needs no
// history).
import { execa } from 'execa';
import { UsageError } from '../errors.ts';

async function hasCommit(cwd: string, sha: string): Promise<boolean> {
  const result = await execa('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd, reject: false });
  return result.exitCode === 0;
}

/** Makes sure `sha` is present; returns true when it had to be fetched. */
export async function ensureCommit(cwd: string, sha: string): Promise<boolean> {
  if (!/^[0-9a-f]{40}$/.test(sha))
    throw new UsageError('git', `The base commit "${sha}" is not a commit id.`);
  if (await hasCommit(cwd, sha)) return false;
  const fetched = await execa('git', ['fetch', '--no-tags', '--depth=1', 'origin', sha], {
    cwd,
    reject: false,
  });
  if (fetched.exitCode !== 0 || !(await hasCommit(cwd, sha))) {
    throw new UsageError(
      'git',
      `The pull request's base commit ${sha} is not in the checkout, and \`git fetch --depth=1 origin ${sha}\` failed: ${fetched.stderr.trim()}. Check out with fetch-depth: 0, or set base-ref.`,
    );
  }
  return true;
}
