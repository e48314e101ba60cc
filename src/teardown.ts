// Everything the tool starts (containers, clusters, databases, child
// processes) registers its cleanup here. Cleanups run in reverse order on
// normal completion, on errors, and on SIGTERM/SIGINT, each at most once.

type Cleanup = () => Promise<void> | void;

interface Entry {
  name: string;
  run: Cleanup;
}

const stack: Entry[] = [];
let signalsInstalled = false;

/** Registers a cleanup; returns a function that runs it now (and unregisters it). */
export function onTeardown(name: string, run: Cleanup): () => Promise<void> {
  const entry: Entry = { name, run };
  stack.push(entry);
  return async () => {
    const index = stack.indexOf(entry);
    if (index === -1) return;
    stack.splice(index, 1);
    await entry.run();
  };
}

/** Runs every registered cleanup, newest first. Failures are reported, not thrown. */
export async function teardownAll(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  while (stack.length > 0) {
    const entry = stack.pop();
    if (entry === undefined) break;
    try {
      await entry.run();
    } catch (error) {
      log(`alembic-review: cleanup of ${entry.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

export function pendingTeardowns(): string[] {
  return stack.map((e) => e.name);
}

/** On SIGTERM/SIGINT: tear everything down, then exit 128+signal. */
export function installSignalHandlers(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  const handle = (signal: NodeJS.Signals, code: number): void => {
    process.stderr.write(`alembic-review: received ${signal}, cleaning up\n`);
    void teardownAll().finally(() => process.exit(code));
  };
  process.once('SIGTERM', () => {
    handle('SIGTERM', 143);
  });
  process.once('SIGINT', () => {
    handle('SIGINT', 130);
  });
}
