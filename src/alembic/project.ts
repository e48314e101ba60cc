// Opening the project through the bridge: which Python and Alembic run it,
// where the migrations live, and the revision graph. Bridge errors about the
// user's project become UsageErrors (exit 2) with a message that names the
// problem; anything else is a bug in the tool.
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { Options } from '../options.ts';
import { Bridge, BridgeFailure, RevisionTimeout, resolvePython } from './bridge.ts';
import { unsandboxed } from './sandbox.ts';
import type { HelloResult, LoadResult } from './protocol.ts';

export interface ProjectInfo {
  python: string;
  hello: HelloResult;
  load: LoadResult;
}

export function openBridge(options: Options, onStderr: (line: string) => void): Bridge {
  return new Bridge({
    python: resolvePython(options.projectDir, options.python),
    projectDir: options.projectDir,
    passEnv: options.passEnv,
    revisionTimeoutMs: options.revisionTimeoutMs,
    onStderr,
    ...(options.sandbox === 'off' ? { sandboxes: [unsandboxed('off')] } : {}),
  });
}

/** Turns a bridge error reply into what the user should read. */
export function explainBridgeError(error: unknown, python: string): unknown {
  if (error instanceof RevisionTimeout) {
    return new UsageError(
      'migration-env',
      `The project's code did not finish: ${error.message} (revision-timeout). Does env.py wait for something (a server, a lock, input)?`,
    );
  }
  if (error instanceof UsageError || !(error instanceof BridgeFailure)) return error;
  const where = (): string => {
    const file = error.payload.file;
    const line = error.payload.line;
    return typeof file === 'string'
      ? ` (${path.basename(file)}${typeof line === 'number' ? ` line ${line}` : ''})`
      : '';
  };
  switch (error.kind) {
    case 'python':
      return new UsageError(
        'python',
        `The project's Python cannot run Alembic: ${error.message}. Install the project's dependencies (alembic, SQLAlchemy and a PostgreSQL driver such as psycopg) into it, or pass --python with the interpreter that has them (tried: ${python}).`,
      );
    case 'project':
      return new UsageError('project', `The Alembic project cannot be opened: ${error.message}`);
    case 'graph':
      return new UsageError('graph', `The migration history cannot be read: ${error.message}`);
    case 'env':
      return new UsageError(
        'migration-env',
        `env.py failed before any migration ran${where()}: ${error.message}. Fix env.py or install what it imports into the project's Python (${python}).`,
        { detail: typeof error.payload.traceback === 'string' ? error.payload.traceback : undefined },
      );
    case 'permission':
      return new UsageError(
        'project',
        `The project's Python may not read the project: ${error.message}. Make the project directory and its files readable by the user alembic-review runs as.`,
      );
    case 'unsafe-database':
      return new UsageError('database', `Stopped for safety: ${error.message}`);
    default:
      return new Error(`internal error in the Python bridge: ${error.message}`, { cause: error });
  }
}

export async function inspectProject(bridge: Bridge, options: Options): Promise<ProjectInfo> {
  const python = resolvePython(options.projectDir, options.python);
  try {
    const hello = await bridge.call('hello', {
      readable: [options.projectDir, options.configFile, options.tomlFile].filter((p) => p !== null),
    });
    const load = await bridge.call('load', {
      configFile: options.configFile,
      tomlFile: options.tomlFile,
      iniSection: options.iniSection,
      ...(options.driver === undefined ? {} : { driver: options.driver }),
    });
    return { python, hello, load };
  } catch (error) {
    if (error instanceof RevisionTimeout) {
      throw new UsageError(
        'project',
        `Opening the project did not finish within ${Math.round(error.timeoutMs / 1000)} s (revision-timeout): importing its Alembic configuration, env.py or a revision file hangs. The bridge was stopped.`,
      );
    }
    throw explainBridgeError(error, python);
  }
}
