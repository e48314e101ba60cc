// The Python bridge: one child process running the alembic_review_bridge
// package (src/bridge, shipped as dist/bridge) with the project's
// Python, in the project directory, with a minimal environment, in the best
// sandbox this machine offers (./sandbox.ts). Requests and replies are JSON
// lines; long commands stream events (statements, step boundaries). A
// watchdog kills the child's whole process group when a call into the
// project's code (loading env.py, the models, one revision) runs longer than
// allowed.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { UsageError } from '../errors.ts';
import { cancellation, onTeardown, throwIfCancelled } from '../teardown.ts';
import type { BridgeEvent, BridgeReply, BridgeRequestMap } from './protocol.ts';
import { absoluteExecutable, availableSandboxes, killGroup, type Sandbox } from './sandbox.ts';

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
  /** Kill the child when one call into the project's code (one revision) runs longer than this. */
  revisionTimeoutMs: number;
  /** Called with every line the child writes to stderr. */
  onStderr?: (line: string) => void;
  /** Where the child may run, best first (default: what this machine offers). */
  sandboxes?: readonly Sandbox[];
}

/** A call into the project's code that ran past revision-timeout; the child was killed. */
export class RevisionTimeout extends Error {
  /** The revision running then, or null outside any revision (env.py, the models, the ORM test). */
  readonly revision: string | null;
  readonly timeoutMs: number;
  readonly command: string;
  constructor(revision: string | null, timeoutMs: number, command: string) {
    super(
      `${revision === null ? `the ${command} step (the project's own code)` : `revision ${revision}`} did not finish within ${Math.round(timeoutMs / 1000)} s; the bridge was killed`,
    );
    this.name = 'RevisionTimeout';
    this.revision = revision;
    this.timeoutMs = timeoutMs;
    this.command = command;
  }
}

interface Pending {
  cmd: keyof BridgeRequestMap;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onEvent: ((event: BridgeEvent) => void) | undefined;
}

/**
 * Commands that open the project: when they fail in a sandbox, the next
 * sandbox may do better. Creating a Flask app is one: apps write into their
 * own tree when created (CTFd its secret key file, others upload folders).
 */
const OPENING: readonly string[] = ['hello', 'load', 'flask-app'];
const PERMISSION = /permission denied|PermissionError|EACCES|not permitted|cannot read/i;

export class Bridge {
  private readonly options: BridgeOptions;
  private child: ResultPromise | undefined;
  private starting: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly stderrTail: string[] = [];
  private exited: Error | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private releaseTeardown: (() => Promise<void>) | undefined;
  /** Commands that set up the child's state, re-sent after a restart. */
  private readonly setup: { cmd: keyof BridgeRequestMap; args: unknown }[] = [];
  private sandboxes: Sandbox[] | undefined;
  private fellBack: string[] = [];
  private restartCount = 0;

  constructor(options: BridgeOptions) {
    this.options = options;
    if (options.sandboxes !== undefined) this.sandboxes = [...options.sandboxes];
  }

  /** Where the child runs (once it has started). */
  get sandbox(): Sandbox | undefined {
    return this.sandboxes?.[0];
  }

  /** Why a better sandbox could not be used, one sentence each. */
  get sandboxFallbacks(): readonly string[] {
    return this.fellBack;
  }

  private async spawnChild(): Promise<void> {
    throwIfCancelled();
    this.sandboxes ??= await availableSandboxes();
    const sandbox = this.sandboxes[0];
    if (sandbox === undefined) throw new Error('no sandbox to run the bridge in');
    const { projectDir } = this.options;
    const python = await absoluteExecutable(this.options.python);
    throwIfCancelled();
    // Registered before the private directory exists, so that a teardown removes it too.
    const release = onTeardown('python bridge', async () => {
      await this.kill();
      await sandbox.dispose();
    });
    this.releaseTeardown = release;
    const own = await sandbox.prepare(path.dirname(bridgeScriptPath()));
    throwIfCancelled();
    const env = pythonEnvironment(this.options.passEnv);
    env.HOME = own.home;
    env.TMPDIR = own.home;
    const launch = sandbox.launch(python, ['-u', path.join(own.bridgeDir, LAUNCHER)], Object.keys(env));
    const child = execa(launch.file, launch.args, {
      cwd: projectDir,
      env,
      extendEnv: false,
      detached: true, // own process group, so a kill reaches the migration's children too
      buffer: false,
      reject: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    this.child = child;

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
      const error = this.spawnError(
        result.failed ? result.originalMessage : undefined,
        result.exitCode,
        launch.file !== python,
      );
      this.exited = error;
      for (const entry of this.pending.values()) entry.reject(error);
      this.pending.clear();
      this.clearWatchdog();
    });
  }

  /**
   * Once the child is running (or failed to start: the next call says why).
   * A caller that is about to keep this process busy waits for it first, since
   * the sandbox's probes and the spawn are callbacks that would wait too.
   */
  async running(): Promise<void> {
    await this.starting?.catch(() => undefined);
  }

  private ensureStarted(): Promise<void> {
    if (this.child !== undefined) return Promise.resolve();
    this.starting ??= this.spawnChild().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Sends one request; resolves with its result, streaming events to onEvent. */
  async call<C extends keyof BridgeRequestMap>(
    cmd: C,
    args: BridgeRequestMap[C]['args'],
    onEvent?: (event: BridgeEvent) => void,
  ): Promise<BridgeRequestMap[C]['result']> {
    for (;;) {
      try {
        if (this.child === undefined) {
          await this.ensureStarted();
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
        return await reply;
      } catch (error) {
        if (!(await this.fallBack(cmd, error))) throw error;
      }
    }
  }

  /**
   * The project could not be opened in this sandbox (another user may not
   * read it): restart the child in the next one. True when it did.
   */
  private async fallBack(cmd: string, error: unknown): Promise<boolean> {
    const sandboxes = this.sandboxes;
    if (sandboxes === undefined || sandboxes.length < 2 || !OPENING.includes(cmd)) return false;
    if (error instanceof RevisionTimeout || cancellation() !== undefined) return false;
    const message = error instanceof Error ? error.message : String(error);
    // hello fails only on the interpreter or its libraries; load and flask-app on the project's files.
    if (cmd !== 'hello' && !PERMISSION.test(`${message}\n${this.stderr()}`)) return false;
    const failed = sandboxes.shift() as Sandbox;
    this.fellBack.push(
      `The project could not be opened ${failed.description} (${firstLine(message)}), so its code ran ${sandboxes[0]?.description ?? 'without isolation'}. Make the project and its Python readable (and the files it writes writable) by that user to get the stronger isolation.`,
    );
    await this.kill();
    await this.releaseTeardown?.();
    await failed.dispose();
    this.child = undefined;
    this.exited = undefined;
    this.pending.clear();
    this.stderrTail.length = 0;
    return true;
  }

  /** How many times the child was restarted: what a command left in the child (the models) is gone after one. */
  get restarts(): number {
    return this.restartCount;
  }

  /** After a kill (time limit): the next call starts a new child with the same project loaded. */
  async restart(): Promise<void> {
    this.restartCount++;
    await this.kill();
    await this.releaseTeardown?.();
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
      const entry: Pending = { cmd, resolve, reject, onEvent };
      this.pending.set(id, entry);
      // Every call runs the project's code (env.py, its models, its revisions): all are timed,
      // each from when the child gets to it (it answers in order).
      if (this.pending.size === 1) this.armWatchdog(null, entry);
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

  /** Kills the child and everything in its process group (its PID namespace with it). */
  async kill(): Promise<void> {
    const pid = this.child?.pid;
    this.clearWatchdog();
    if (pid === undefined || this.exited !== undefined) return;
    if (this.sandbox === undefined) killGroup(pid);
    else await this.sandbox.kill(pid);
  }

  async close(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const child = this.child;
    if (child === undefined) return;
    if (this.exited === undefined) {
      child.stdin?.end();
      const timer = setTimeout(() => {
        void this.kill();
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
      const next = this.pending.values().next();
      if (next.done !== true) this.armWatchdog(null, next.value);
      if (message.ok) entry.resolve(message.result);
      else entry.reject(new BridgeFailure(message.error.kind, message.error.message, message.error));
      return;
    }
    // One time limit per revision; what runs after the last one is timed too.
    if (message.event === 'step-start') this.armWatchdog(message.revision, entry);
    if (message.event === 'step-end') this.armWatchdog(null, entry);
    entry.onEvent?.(message);
  }

  private armWatchdog(revision: string | null, entry: Pending): void {
    this.clearWatchdog();
    const timeoutMs = this.options.revisionTimeoutMs;
    this.watchdog = setTimeout(() => {
      this.pending.clear();
      this.exited = new RevisionTimeout(revision, timeoutMs, entry.cmd);
      entry.reject(this.exited);
      // this.exited is set: kill() would think the child gone.
      const pid = this.child?.pid;
      const sandbox = this.sandbox;
      if (pid === undefined) return;
      if (sandbox === undefined) killGroup(pid);
      else void sandbox.kill(pid);
    }, timeoutMs);
  }

  private clearWatchdog(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private spawnError(
    spawnMessage: string | undefined,
    exitCode: number | undefined,
    wrapped: boolean,
  ): Error {
    if (this.exited !== undefined) return this.exited;
    const { python } = this.options;
    if (!wrapped && spawnMessage !== undefined && /ENOENT|not found/i.test(spawnMessage)) {
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

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim().replace(/[.\s]+$/, '');
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
