// A Python bridge on a test project, as the review opens one, for tests of
// single bridge commands. Each bridge is kept in the caller's list, to be
// closed after the tests (closeBridges).
import path from 'node:path';
import { Bridge } from '../../src/alembic/bridge.ts';
import type { LoadArgs, LoadResult } from '../../src/alembic/protocol.ts';
import type { DatabaseProvider } from '../../src/database/provider.ts';
import { resolveOptions, type Options } from '../../src/options.ts';
import type { ReplayContext } from '../../src/replay/replay.ts';
import { VENV, type AlembicProject } from './alembic-project.ts';

export const PYTHON = path.join(VENV, 'bin/python');

/** A bridge on `project` (not started until its first call), kept in `bridges`. */
export function projectBridge(
  project: AlembicProject,
  bridges: Bridge[],
  python = PYTHON,
): { bridge: Bridge; options: Options } {
  const options = resolveOptions({ projectDir: project.dir, python });
  const bridge = new Bridge({ python, projectDir: project.dir, passEnv: [], revisionTimeoutMs: 60_000 });
  bridges.push(bridge);
  return { bridge, options };
}

/** projectBridge with the project loaded (`args` added to the load's). */
export async function loadedBridge(
  project: AlembicProject,
  bridges: Bridge[],
  { python = PYTHON, args = {} }: { python?: string; args?: Partial<LoadArgs> } = {},
): Promise<{ bridge: Bridge; options: Options; load: LoadResult }> {
  const { bridge, options } = projectBridge(project, bridges, python);
  const load = await bridge.call('load', {
    configFile: options.configFile,
    tomlFile: options.tomlFile,
    ...args,
  });
  return { bridge, options, load };
}

/** What the replay's steps need of a run, for a bridge and a provider. */
export function replayContext(bridge: Bridge, provider: DatabaseProvider, python = PYTHON): ReplayContext {
  return { bridge, python, provider, urlEnv: [], extensions: [], log: () => undefined };
}

export async function closeBridges(bridges: Bridge[]): Promise<void> {
  for (const bridge of bridges.splice(0)) await bridge.close();
}
