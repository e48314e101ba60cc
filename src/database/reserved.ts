// Databases created before they are needed. CREATE DATABASE copies
// template1 and costs a fifth of a second or more, while the server sits idle
// during most of the review: the databases every review asks for (the one the
// base goes into, the models databases) are created ahead, and handed out by
// the first createDatabase() of their purpose. One at a time, in the order
// reserved (the order they are needed in): at once, each would take as long
// as all of them, the first needed among them.
import type { AccessSummary } from './access.ts';
import type { DatabaseProvider, ProviderKind, ThrowawayDatabase } from './provider.ts';

export class ReservingProvider implements DatabaseProvider {
  readonly #inner: DatabaseProvider;
  readonly #reserved = new Map<string, Promise<ThrowawayDatabase | null>[]>();
  /** Reservations not started yet, in order; one is made at a time. */
  readonly #waiting: { purpose: string; made: (database: ThrowawayDatabase | null) => void }[] = [];
  #making = false;
  #version: Promise<string> | undefined;

  constructor(inner: DatabaseProvider) {
    this.#inner = inner;
  }

  /** Queues the creation of one empty database per entry (a purpose may repeat), behind those queued before. Never fails. */
  reserve(purposes: readonly string[]): void {
    const queued = purposes.map((purpose) => {
      let made: (database: ThrowawayDatabase | null) => void = () => undefined;
      const creating = new Promise<ThrowawayDatabase | null>((resolve) => {
        made = resolve;
      });
      this.#reserved.set(purpose, [...(this.#reserved.get(purpose) ?? []), creating]);
      return { purpose, made };
    });
    this.#waiting.push(...queued);
    void this.#makeNext();
  }

  async #makeNext(): Promise<void> {
    if (this.#making) return;
    this.#making = true;
    for (let next = this.#waiting.shift(); next !== undefined; next = this.#waiting.shift()) {
      // A reservation that fails costs nothing: createDatabase() then creates one as usual.
      next.made(await this.#inner.createDatabase(next.purpose).catch(() => null));
    }
    this.#making = false;
  }

  get kind(): ProviderKind {
    return this.#inner.kind;
  }

  get description(): string {
    return this.#inner.description;
  }

  get access(): AccessSummary | undefined {
    return this.#inner.access;
  }

  extensionsDecided(): Promise<readonly string[]> {
    return this.#inner.extensionsDecided();
  }

  get clientBinDir(): string | undefined {
    return this.#inner.clientBinDir;
  }

  get containerId(): string | undefined {
    return this.#inner.containerId;
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  async createDatabase(purpose: string, template?: ThrowawayDatabase): Promise<ThrowawayDatabase> {
    if (template === undefined) {
      const reserved = await this.#reserved.get(purpose)?.shift();
      if (reserved !== undefined && reserved !== null) return reserved;
    }
    return this.#inner.createDatabase(purpose, template);
  }

  createEarlyDatabase(purpose: string): Promise<ThrowawayDatabase> {
    return this.#inner.createEarlyDatabase(purpose);
  }

  addExtensions(database: ThrowawayDatabase): Promise<void> {
    return this.#inner.addExtensions(database);
  }

  dropDatabase(database: ThrowawayDatabase): Promise<void> {
    return this.#inner.dropDatabase(database);
  }

  /** The reservations nobody took are the provider's databases like any other: stop() drops them. */
  async stop(): Promise<void> {
    // Those not started are not made; the one being made is waited for.
    for (const waiting of this.#waiting.splice(0)) waiting.made(null);
    await Promise.allSettled([...this.#reserved.values()].flat());
    await this.#inner.stop();
  }

  /** Asked once: the cache key and the report both want it, and each ask is a connection. */
  serverVersion(): Promise<string> {
    this.#version ??= this.#inner.serverVersion();
    return this.#version;
  }
}
