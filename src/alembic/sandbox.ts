// Where the project's Python runs, so that it cannot read the job's secrets:
// the tokens in the environment of this process (and of the CI runner's), all
// readable through /proc/<pid>/environ by any process of the same user.
//
// Chosen at run time, best first (each one is probed with `true`):
//   as root              → as nobody, in a PID namespace of its own
//                          (unshare + setpriv; without unshare: as nobody)
//   passwordless sudo    → the same through `sudo -n` (GitHub's hosted runners)
//   user namespaces      → the same user in a user + PID namespace of its own
//   none of these        → as this user, with a notice in the review
// A PID namespace hides every process outside it (its /proc shows only its
// own) and dies with its first process; another user cannot read this
// process's /proc entries at all. When that user cannot read the project (the
// bridge cannot start or open it), the bridge falls back to the next choice:
// the same user in a PID namespace, capabilities and groups dropped.
// Nothing secret is on these command lines (they are world-readable): URLs
// and passwords go over the bridge's stdin.
import { execFile } from 'node:child_process';
import { constants as fsConstants, cpSync, readFileSync, readdirSync } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { lookupAccount, type Account } from '../system/accounts.ts';
import { chownTree } from '../system/chown-tree.ts';

const execFileAsync = promisify(execFile);

export type SandboxKind = 'other-user' | 'pid-namespace' | 'none';

export interface Launch {
  file: string;
  args: string[];
}

export interface Sandbox {
  readonly kind: SandboxKind;
  /** For the report: "as nobody (uid 65534) in a PID namespace of its own". */
  readonly description: string;
  /** What it does not contain, for a notice (undefined: nothing we know of). */
  readonly caveat: string | undefined;
  /** The command line that runs `python args` inside; `envNames` are the variables it must keep. */
  launch(python: string, args: string[], envNames: readonly string[]): Launch;
  /** Kills the child's process group (and with it the namespace). */
  kill(pid: number): Promise<void>;
  /**
   * A private HOME/TMPDIR the child owns, and (for another user) a copy of the
   * bridge it can read. Created once; removed by dispose().
   */
  prepare(bridgeDir: string): Promise<{ home: string; bridgeDir: string }>;
  dispose(): Promise<void>;
}

const PID_NAMESPACE = ['--pid', '--fork', '--mount-proc', '--kill-child'];
/** Nothing to gain back: no capabilities, no groups, no setuid binaries. */
function dropPrivileges(account: Account | undefined): string[] {
  return [
    ...(account === undefined ? [] : [`--reuid=${account.uid}`, `--regid=${account.gid}`]),
    '--clear-groups',
    '--no-new-privs',
    '--inh-caps=-all',
    '--bounding-set=-all',
  ];
}

async function succeeds(file: string, args: string[]): Promise<boolean> {
  try {
    await execFileAsync(file, args, { timeout: 5000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    return true;
  } catch {
    return false;
  }
}

/** Pids of every descendant of a process, from /proc (Linux; empty elsewhere). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields resume after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop() ?? -1) ?? []) {
      found.push(child);
      stack.push(child);
    }
  }
  return found;
}

/**
 * Kills the child's process group and every descendant of it (a process the
 * project started in a session of its own left the group, not the tree: the
 * bridge is a subreaper). In a PID namespace the group's end ends them anyway.
 */
export function killGroup(pid: number): void {
  const tree = descendantsOf(pid);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
  for (const descendant of tree) {
    try {
      process.kill(descendant, 'SIGKILL');
    } catch {
      // gone, or not ours to kill
    }
  }
}

abstract class BaseSandbox implements Sandbox {
  abstract readonly kind: SandboxKind;
  abstract readonly description: string;
  readonly caveat: string | undefined = undefined;
  /** The account the child runs as, when it is another one. */
  protected readonly account: Account | undefined;
  #private: Promise<{ home: string; bridgeDir: string }> | undefined;
  #home: string | undefined;

  constructor(account?: Account) {
    this.account = account;
  }

  abstract launch(python: string, args: string[], envNames: readonly string[]): Launch;

  kill(pid: number): Promise<void> {
    killGroup(pid);
    return Promise.resolve();
  }

  prepare(bridgeDir: string): Promise<{ home: string; bridgeDir: string }> {
    this.#private ??= this.#prepare(bridgeDir);
    return this.#private;
  }

  async #prepare(bridgeDir: string): Promise<{ home: string; bridgeDir: string }> {
    const home = await mkdtemp(path.join(tmpdir(), 'alembic-review-home-'));
    this.#home = home;
    let readableBridge = bridgeDir;
    if (this.account !== undefined) {
      // The installed bridge may sit where that user cannot read (a home directory).
      // Copied at once, not file by file between the run's other callbacks: the bridge's start waits for it.
      readableBridge = path.join(home, 'bridge');
      cpSync(bridgeDir, readableBridge, {
        recursive: true,
        filter: (source) => !source.includes('__pycache__'),
      });
      await this.handOver(home);
    }
    return { home, bridgeDir: readableBridge };
  }

  /** Makes the private directory the child's own. */
  protected handOver(home: string): Promise<void> {
    const account = this.account;
    if (account === undefined) return Promise.resolve();
    chownTree(home, account);
    return Promise.resolve();
  }

  async dispose(): Promise<void> {
    // A teardown may arrive while the directory is being made: wait for it, then remove it.
    await this.#private?.catch(() => undefined);
    const home = this.#home;
    this.#home = undefined;
    this.#private = undefined;
    if (home !== undefined) await this.remove(home);
  }

  protected async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
  }
}

/** As root: setpriv to another user, in a PID namespace when unshare works. */
class RootSandbox extends BaseSandbox {
  readonly kind: SandboxKind;
  readonly description: string;
  override readonly caveat: string | undefined;
  readonly #pidNamespace: boolean;

  constructor(account: Account | undefined, pidNamespace: boolean) {
    super(account);
    this.#pidNamespace = pidNamespace;
    this.kind = account === undefined ? 'pid-namespace' : 'other-user';
    const where = pidNamespace ? ' in a PID namespace of its own' : '';
    this.description =
      account === undefined
        ? `as root without capabilities${where}`
        : `as ${account.name} (uid ${account.uid})${where}`;
    this.caveat =
      account === undefined
        ? "the project's code ran as root (without capabilities, in a PID namespace of its own): it could not see other processes, but it could read and write what root owns, the Docker socket included"
        : undefined;
  }

  launch(python: string, args: string[]): Launch {
    const setpriv = [...dropPrivileges(this.account), '--', python, ...args];
    return this.#pidNamespace
      ? { file: 'unshare', args: [...PID_NAMESPACE, '--', 'setpriv', ...setpriv] }
      : { file: 'setpriv', args: setpriv };
  }
}

/** Not root, passwordless sudo: the same as root, through sudo -n. */
class SudoSandbox extends BaseSandbox {
  readonly kind: SandboxKind;
  readonly description: string;
  readonly #self: Account;

  constructor(account: Account | undefined, self: Account) {
    super(account);
    this.#self = self;
    this.kind = account === undefined ? 'pid-namespace' : 'other-user';
    const who = account ?? self;
    this.description = `as ${who.name} (uid ${who.uid}, no groups) in a PID namespace of its own (through sudo)`;
  }

  launch(python: string, args: string[], envNames: readonly string[]): Launch {
    return {
      file: 'sudo',
      args: [
        '-n',
        ...(envNames.length === 0 ? [] : [`--preserve-env=${envNames.join(',')}`]),
        '--',
        'unshare',
        ...PID_NAMESPACE,
        '--',
        'setpriv',
        ...dropPrivileges(this.account ?? this.#self),
        '--',
        python,
        ...args,
      ],
    };
  }

  // sudo and unshare run as root: only root can signal the group.
  override async kill(pid: number): Promise<void> {
    killGroup(pid);
    await execFileAsync('sudo', ['-n', 'kill', '-KILL', '--', `-${pid}`], { timeout: 5000 }).catch(
      () => undefined,
    );
  }

  protected override async handOver(home: string): Promise<void> {
    const account = this.account;
    if (account === undefined) return;
    await execFileAsync('sudo', ['-n', 'chown', '-R', `${account.uid}:${account.gid}`, '--', home], {
      timeout: 10_000,
    });
  }

  protected override async remove(dir: string): Promise<void> {
    if (this.account === undefined) {
      await super.remove(dir);
      return;
    }
    await execFileAsync('sudo', ['-n', 'rm', '-rf', '--', dir], { timeout: 30_000 }).catch(() =>
      super.remove(dir),
    );
  }
}

/** Not root, no sudo: a user namespace (same user) with a PID namespace inside. */
class UserNamespaceSandbox extends BaseSandbox {
  readonly kind = 'pid-namespace' as const;
  readonly description = 'as this user in a user and PID namespace of its own';
  override readonly caveat =
    "the project's code ran as the same user (in a PID namespace of its own, so it could not read other processes), with that user's groups and files";

  launch(python: string, args: string[]): Launch {
    return {
      file: 'unshare',
      args: ['--user', '--map-current-user', ...PID_NAMESPACE, '--', python, ...args],
    };
  }
}

class NoSandbox extends BaseSandbox {
  readonly kind = 'none' as const;
  readonly description = 'as this user, without isolation';
  override readonly caveat: string;

  constructor(why: 'unavailable' | 'off') {
    super();
    this.caveat =
      why === 'off'
        ? 'the project\'s code ran as the same user as alembic-review, without a PID namespace (sandbox = "off"): it could read the environment of every process of that user, the CI job\'s tokens included'
        : "the project's code ran as the same user as alembic-review, without a PID namespace (this machine offers no unshare, passwordless sudo or user namespaces): it could read the environment of every process of that user, the CI job's tokens included";
  }

  launch(python: string, args: string[]): Launch {
    return { file: python, args };
  }
}

/** Running the child as this user, without isolation: where nothing better exists, or when asked. */
export function unsandboxed(why: 'unavailable' | 'off'): Sandbox {
  return new NoSandbox(why);
}

/** The user the child runs as when we can switch users. */
async function unprivilegedAccount(): Promise<Account | undefined> {
  const account = await lookupAccount('nobody');
  return account !== undefined && account.uid !== 0 ? account : undefined;
}

function selfAccount(): Account {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  let name = String(uid);
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry
  }
  return { uid, gid, name };
}

/** What the probes found, once per process (the machine does not change during a run): makers of fresh sandboxes. */
let probed: Promise<(() => Sandbox)[]> | undefined;

/**
 * The sandboxes this machine offers, best first, ending with none: new
 * instances on every call (each has its own private directory), from probes
 * run once per process, all in one round of processes (a few milliseconds).
 * Called early (startProbingSandboxes) the probes run while the CLI loads.
 */
export async function availableSandboxes(): Promise<Sandbox[]> {
  probed ??= probeSandboxes();
  return [...(await probed).map((make) => make()), unsandboxed('unavailable')];
}

/** Starts the probes now, for the first bridge to find them done. */
export function startProbingSandboxes(): void {
  availableSandboxes().catch(() => undefined);
}

async function probeSandboxes(): Promise<(() => Sandbox)[]> {
  if (process.platform !== 'linux') return [];
  const works = async (make: () => Sandbox): Promise<(() => Sandbox) | undefined> => {
    const probe = make().launch('true', [], []);
    return (await succeeds(probe.file, probe.args)) ? make : undefined;
  };
  const found = (makers: ((() => Sandbox) | undefined)[]) => makers.filter((m) => m !== undefined);
  if (process.getuid?.() === 0) {
    const nobody = await unprivilegedAccount();
    const [asNobody, asRoot] = await Promise.all([
      nobody === undefined ? undefined : works(() => new RootSandbox(nobody, true)),
      works(() => new RootSandbox(undefined, true)),
    ]);
    // No PID namespace here (no unshare, or it is not permitted): nobody still keeps the tokens out of reach.
    const asNobodyOnly =
      asNobody === undefined && nobody !== undefined
        ? await works(() => new RootSandbox(nobody, false))
        : undefined;
    return found([asNobody ?? asNobodyOnly, asRoot]);
  }
  const self = selfAccount();
  const [nobody, viaSudo, userNamespace] = await Promise.all([
    unprivilegedAccount(),
    works(() => new SudoSandbox(undefined, self)),
    works(() => new UserNamespaceSandbox()),
  ]);
  if (viaSudo === undefined) return found([userNamespace]);
  const other = nobody !== undefined && nobody.uid !== self.uid ? nobody : undefined;
  return found([other === undefined ? undefined : () => new SudoSandbox(other, self), viaSudo]);
}

/** The interpreter as an absolute path, so that no PATH of the sandbox decides which one runs. */
export async function absoluteExecutable(command: string): Promise<string> {
  if (command.includes('/')) return path.resolve(command);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return command;
}
