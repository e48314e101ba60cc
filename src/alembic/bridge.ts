// The Python bridge: one child process running the alembic_review_bridge
// package (src/bridge, shipped as dist/bridge) with the project's
// Python, in the project directory, with a minimal environment. Requests and
// replies are JSON lines; long commands stream events (statements, step
// boundaries). A per-revision watchdog kills the child's whole process group
// when a revision runs longer than allowed.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { UsageError } from '../errors.ts';
import { onTeardown } from '../teardown.ts';
import type { BridgeEvent, BridgeReply, BridgeRequestMap } from './protocol.ts';

/** Variables the child may inherit; everything else (tokens, INPUT_*, ACTIONS_*, ...) is dropped. */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'PYTHONPATH', 'SYSTEMROOT'];
/** Never inherited unless a user names them in pass-env. */
const SECRET = /(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|_KEY$|^INPUT_|^ACTIONS_|^GITHUB_|^RUNNER_)/i;

const LAUNCHER = 'alembic-review-bridge.py';

/** The bridge's launcher script, next to the alembic_review_bridge package. */
export function bridgeScriptPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // From source: src/bridge/ (this file is src/alembic/bridge.ts). Bundled:
  // dist/bridge/, and this code may sit in dist/ or in dist/chunks/.
  const candidates = [path.join(here, '..', 'bridge', LAUNCHER), path.join(here, 'bridge', LAUNCHER)];
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

/** The Python to run the project's code with: explicit, the project's .venv, else python3. */
export function resolvePython(projectDir: string, explicit: string | undefined): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  for (const candidate of ['.venv/bin/python', 'venv/bin/python']) {
    const full = path.join(projectDir, candidate);
    if (existsSync(full)) return full;
  }
  return 'python3';
}

/** The names of pass-env that look secret: passed, because the user named them. */
export function secretLooking(names: readonly string[]): string[] {
  return names.filter((name) => SECRET.test(name));
}

export function pythonEnvironment(passthrough: readonly string[], source: NodeJS.ProcessEnv = process.env) {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = source[name];
    if (value !== undefined && !SECRET.test(name)) env[name] = value;
  }
  // What the user names is passed as named, secret-looking names included.
  for (const name of passthrough) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  env.PYTHONDONTWRITEBYTECODE = '1';
  env.PYTHONUNBUFFERED = '1';
  env.PYTHONIOENCODING = 'utf-8';
  return env;
}

export interface BridgeOptions {
  python: string;
  projectDir: string;
  /** Extra environment variables (by name) the project's env.py needs. */
  passEnv: readonly string[];
  /** Kill the child when one revision runs longer than this. */
  revisionTimeoutMs: number;
  /** Called with every line the child writes to stderr. */
  onStderr?: (line: string) => void;
}

export class RevisionTimeout extends Error {
  readonly revision: string;
  readonly timeoutMs: number;
  constructor(revision: string, timeoutMs: number) {
    super(
      `revision ${revision} did not finish within ${Math.round(timeoutMs / 1000)} s; its process group was killed`,
    );
    this.name = 'RevisionTimeout';
    this.revision = revision;
    this.timeoutMs = timeoutMs;
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onEvent: ((event: BridgeEvent) => void) | undefined;
}

export class Bridge {
  private readonly options: BridgeOptions;
  private child: ResultPromise | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly stderrTail: string[] = [];
  private exited: Error | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private releaseTeardown: (() => Promise<void>) | undefined;
  /** Commands that set up the child's state, re-sent after a restart. */
  private readonly setup: { cmd: keyof BridgeRequestMap; args: unknown }[] = [];

  constructor(options: BridgeOptions) {
    this.options = options;
  }

  start(): void {
    const { python, projectDir } = this.options;
    const child = execa(python, ['-u', bridgeScriptPath()], {
      cwd: projectDir,
      env: pythonEnvironment(this.options.passEnv),
      extendEnv: false,
      detached: true, // own process group, so a kill reaches the migration's children too
      buffer: false,
      reject: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    this.child = child;
    this.releaseTeardown = onTeardown('python bridge', () => {
      this.kill();
    });

    createInterface({ input: child.stdout }).on('line', (line) => {
      if (this.child === child) this.onLine(line);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 60) this.stderrTail.shift();
      this.options.onStderr?.(line);
    });
    void child.then((result) => {
      if (this.child !== child) return; // an earlier child, replaced by restart()
      const error = this.spawnError(result.failed ? result.originalMessage : undefined, result.exitCode);
      this.exited = error;
      for (const entry of this.pending.values()) entry.reject(error);
      this.pending.clear();
      this.clearWatchdog();
    });
  }

  /** Sends one request; resolves with its result, streaming events to onEvent. */
  call<C extends keyof BridgeRequestMap>(
    cmd: C,
    args: BridgeRequestMap[C]['args'],
    onEvent?: (event: BridgeEvent) => void,
  ): Promise<BridgeRequestMap[C]['result']> {
    if (this.child === undefined) {
      this.start();
      for (const step of this.setup) void this.send(step.cmd, step.args).catch(() => undefined);
    }
    const reply = this.send(cmd, args, onEvent) as Promise<BridgeRequestMap[C]['result']>;
    // What set up the child's state is sent again to a restarted child, once it succeeded.
    if (cmd === 'load' || cmd === 'flask-app') {
      void reply.then(
        () => this.setup.push({ cmd, args }),
        () => undefined,
      );
    }
    return reply;
  }

  /** After a kill (revision time limit): the next call starts a new child with the same project loaded. */
  restart(): void {
    this.kill();
    void this.releaseTeardown?.();
    this.child = undefined;
    this.exited = undefined;
    this.pending.clear();
  }

  private send(
    cmd: keyof BridgeRequestMap,
    args: unknown,
    onEvent?: (event: BridgeEvent) => void,
  ): Promise<unknown> {
    if (this.exited !== undefined) return Promise.reject(this.exited);
    const id = this.nextId++;
    const child = this.child;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      child?.stdin?.write(`${JSON.stringify({ id, cmd, args })}\n`);
    });
  }

  /** The last lines the child wrote to stderr (for error messages). */
  stderr(): string {
    return this.stderrTail.join('\n');
  }

  get alive(): boolean {
    return this.child !== undefined && this.exited === undefined;
  }

  kill(): void {
    const pid = this.child?.pid;
    this.clearWatchdog();
    if (pid === undefined || this.exited !== undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    if (this.exited === undefined) {
      child.stdin?.end();
      const timer = setTimeout(() => {
        this.kill();
      }, 5000);
      await child.catch(() => undefined);
      clearTimeout(timer);
    }
    await this.releaseTeardown?.();
  }

  private onLine(line: string): void {
    let message: BridgeReply | (BridgeEvent & { id: number });
    try {
      message = JSON.parse(line) as BridgeReply | (BridgeEvent & { id: number });
    } catch {
      this.options.onStderr?.(`bridge: ${line}`);
      return;
    }
    const entry = this.pending.get(message.id ?? -1);
    if (entry === undefined) return;
    if ('ok' in message) {
      this.pending.delete(message.id ?? -1);
      this.clearWatchdog();
      if (message.ok) entry.resolve(message.result);
      else entry.reject(new BridgeFailure(message.error.kind, message.error.message, message.error));
      return;
    }
    if (message.event === 'step-start') this.armWatchdog(message.revision, entry);
    if (message.event === 'step-end') this.clearWatchdog();
    entry.onEvent?.(message);
  }

  private armWatchdog(revision: string, entry: Pending): void {
    this.clearWatchdog();
    const timeoutMs = this.options.revisionTimeoutMs;
    this.watchdog = setTimeout(() => {
      this.pending.clear();
      this.exited = new RevisionTimeout(revision, timeoutMs);
      entry.reject(this.exited);
      const pid = this.child?.pid;
      if (pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
  }

  private clearWatchdog(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private spawnError(spawnMessage: string | undefined, exitCode: number | undefined): Error {
    if (this.exited !== undefined) return this.exited;
    const { python } = this.options;
    if (spawnMessage !== undefined && /ENOENT|not found/i.test(spawnMessage)) {
      return new UsageError(
        'python',
        `Python not found: ${python}. Pass --python with the interpreter that has your project's dependencies, or create ${path.join(this.options.projectDir, '.venv')}.`,
      );
    }
    const tail = this.stderrTail.slice(-15).join('\n');
    return new UsageError(
      'python',
      `The Python bridge (${python}) exited unexpectedly${exitCode === undefined ? '' : ` with code ${exitCode}`}.${tail === '' ? '' : ` Its last output:\n${tail}`}`,
    );
  }
}

/** An error reply from the bridge: kind says whose fault it is. */
export class BridgeFailure extends Error {
  readonly kind: string;
  readonly payload: Record<string, unknown>;
  constructor(kind: string, message: string, payload: Record<string, unknown>) {
    super(message);
    this.name = 'BridgeFailure';
    this.kind = kind;
    this.payload = payload;
  }
}
