// Where alembic-review keeps what it may reuse between runs of one user: the
// warm bases (cache-dir) and the CLI's compiled code.
import { homedir } from 'node:os';
import path from 'node:path';

/** $XDG_CACHE_HOME/alembic-review, else ~/.cache/alembic-review. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME ?? '';
  const home = env.HOME ?? '';
  const root = path.isAbsolute(xdg) ? xdg : path.join(home === '' ? homedir() : home, '.cache');
  return path.join(root, 'alembic-review');
}
