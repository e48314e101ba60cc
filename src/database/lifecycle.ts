// Shared bookkeeping for providers: a cleanup that runs at most once, is
// registered with the teardown registry as soon as there is something to
// clean up, and can also be run directly by stop().
import { onTeardown } from '../teardown.ts';

export type Log = (line: string) => void;

export class Cleanup {
  readonly #name: string;
  readonly #run: () => Promise<void>;
  #promise: Promise<void> | undefined;
  #unregister: (() => Promise<void>) | undefined;

  constructor(name: string, run: () => Promise<void>) {
    this.#name = name;
    this.#run = run;
  }

  /** Registers with onTeardown() (once); call as soon as something exists. */
  arm(): void {
    if (this.#unregister !== undefined || this.#promise !== undefined) return;
    this.#unregister = onTeardown(this.#name, () => this.run());
  }

  get armed(): boolean {
    return this.#unregister !== undefined;
  }

  /** Runs the cleanup (at most once; later calls wait for the first). */
  async run(): Promise<void> {
    this.#promise ??= this.#run();
    const unregister = this.#unregister;
    this.#unregister = undefined;
    // Removes the registry entry; a no-op when teardownAll() got here first.
    if (unregister !== undefined) await unregister();
    await this.#promise;
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
