// The bridge on a project, for the options: the review's is started and
// greeted as soon as the options are known. The CLI does so before it loads
// the review's modules, so the project's Python starts (and imports Alembic
// and SQLAlchemy) while they load; inspectProject reads the hello's reply.
import type { Options } from '../options.ts';
import { Bridge, resolvePython } from './bridge.ts';
import type { HelloResult } from './protocol.ts';
import { unsandboxed } from './sandbox.ts';

/** A bridge on a project directory (the pull request's, or the base commit's tree) with the options' limits. */
export function openBridge(
  options: Options,
  onStderr: (line: string) => void,
  at: { projectDir: string; python: string } = {
    projectDir: options.projectDir,
    python: resolvePython(options.projectDir, options.python),
  },
): Bridge {
  return new Bridge({
    python: at.python,
    projectDir: at.projectDir,
    passEnv: options.passEnv,
    revisionTimeoutMs: options.revisionTimeoutMs,
    onStderr,
    ...(options.sandbox === 'off' ? { sandboxes: [unsandboxed('off')] } : {}),
  });
}

/** The project's bridge with its hello already sent (its child starts now). */
export interface GreetedBridge {
  bridge: Bridge;
  /** The hello's reply; explained where it is read (inspectProject). */
  hello: Promise<HelloResult>;
}

export function greetedBridge(options: Options, onStderr: (line: string) => void): GreetedBridge {
  const bridge = openBridge(options, onStderr);
  const hello = greet(bridge, options);
  hello.catch(() => undefined); // read by inspectProject
  return { bridge, hello };
}

/** hello: the interpreter, its Alembic and SQLAlchemy, and whether the project is readable as the child's user. */
export function greet(bridge: Bridge, options: Options): Promise<HelloResult> {
  return bridge.call('hello', {
    readable: [options.projectDir, options.configFile, options.tomlFile].filter((p) => p !== null),
  });
}
