// Progress output on stderr: one line per pipeline stage with its elapsed
// time, and the timings that end up in the report.

export class Progress {
  readonly timings: Record<string, number> = {};
  private readonly write: (line: string) => void;
  private readonly started = Date.now();

  constructor(write: (line: string) => void) {
    this.write = write;
  }

  /** Runs one stage, printing when it starts and how long it took. */
  async stage<T>(name: string, fn: () => T | Promise<T>, describe?: (result: T) => string): Promise<T> {
    const start = performance.now();
    this.write(`${this.clock()} ${name} …`);
    try {
      const result = await fn();
      const ms = performance.now() - start;
      this.timings[name] = Math.round(ms);
      const detail = describe === undefined ? '' : `: ${describe(result)}`;
      this.write(`${this.clock()} ${name} done in ${formatMs(ms)}${detail}`);
      return result;
    } catch (error) {
      this.timings[name] = Math.round(performance.now() - start);
      throw error;
    }
  }

  note(message: string): void {
    this.write(`${this.clock()}   ${message}`);
  }

  private clock(): string {
    return `[${((Date.now() - this.started) / 1000).toFixed(1).padStart(5)}s]`;
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
