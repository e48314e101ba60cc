// Everything the tool starts (containers, clusters, databases, roles, child
// processes) registers its cleanup here. Cleanups run in reverse order on
// normal completion, on errors, and on SIGTERM/SIGINT, each at most once.
// After a signal the run is "cancelled": nothing new may be started, and the
// errors that the teardown causes in the pipeline (a killed child, a dropped
// database) are not reported — one line says the review was cancelled.

type Cleanup = () => Promise<void> | void;

interface Entry {
  name: string;
  run: Cleanup;
}

const stack: Entry[] = [];
/** Cleanups started by their owner (stop(), close()) that have not finished yet. */
const running = new Set<Promise<void>>();
let signalsInstalled = false;
let cancelled: { signal: NodeJS.Signals; code: number } | undefined;

/** Runs a cleanup, tracked until it ends: a teardown racing with it waits for it. */
async function runTracked(entry: Entry): Promise<void> {
  const promise = Promise.resolve().then(entry.run);
  const settled = promise.then(
    () => undefined,
    () => undefined,
  );
  running.add(settled);
  try {
    await promise;
  } finally {
    running.delete(settled);
  }
}

/** Registers a cleanup; returns a function that runs it now (and unregisters it). */
export function onTeardown(name: string, run: Cleanup): () => Promise<void> {
  const entry: Entry = { name, run };
  stack.push(entry);
  return async () => {
    const index = stack.indexOf(entry);
    if (index === -1) return;
    stack.splice(index, 1);
    await runTracked(entry);
  };
}

/**
 * Runs every registered cleanup, newest first, and waits for the ones already
 * under way (started by their owner or by another teardownAll). Failures are
 * reported, not thrown.
 */
export async function teardownAll(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  while (stack.length > 0 || running.size > 0) {
    const entry = stack.pop();
    if (entry === undefined) {
      await Promise.all([...running]);
      continue;
    }
    try {
      await runTracked(entry);
    } catch (error) {
      log(
        `alembic-review: cleanup of ${entry.name} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/** Set once SIGTERM or SIGINT arrived: the signal and the exit code it ends with. */
export function cancellation(): { signal: NodeJS.Signals; code: number } | undefined {
  return cancelled;
}

/** For code about to start something (a child, a database): refuse once the run is cancelled. */
export function throwIfCancelled(): void {
  if (cancelled !== undefined) throw new Cancelled(cancelled.signal);
}

export class Cancelled extends Error {
  constructor(signal: NodeJS.Signals) {
    super(`the review was cancelled (${signal})`);
    this.name = 'Cancelled';
  }
}

export function pendingTeardowns(): string[] {
  return stack.map((e) => e.name);
}

/**
 * On SIGTERM/SIGINT: tear everything down, then exit 128+signal. The handlers
 * stay registered (process.on, not once): libraries such as signal-exit
 * re-raise a signal when they believe they are its only listener, which would
 * kill the process before the cleanup has run.
 */
export function installSignalHandlers(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  let handling = false;
  const handle = (signal: NodeJS.Signals, code: number): void => {
    if (handling) return;
    handling = true;
    cancelled = { signal, code };
    process.stderr.write(`alembic-review: received ${signal}: review cancelled, cleaning up\n`);
    void teardownAll().finally(() => process.exit(code));
  };
  process.on('SIGTERM', () => {
    handle('SIGTERM', 143);
  });
  // A crash outside the pipeline's own error handling: one line, cleanup, exit 2.
  const crash = (error: unknown): void => {
    if (handling) return;
    handling = true;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `alembic-review: internal error: ${message}. This is a bug in alembic-review; please report it.\n`,
    );
    if (process.argv.includes('--verbose') && error instanceof Error)
      process.stderr.write(`${error.stack ?? ''}\n`);
    void teardownAll().finally(() => process.exit(2));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  process.on('SIGINT', () => {
    handle('SIGINT', 130);
  });
}
