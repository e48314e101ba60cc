// Databases created before they are needed. CREATE DATABASE copies
// template1 and costs a fifth of a second, while the server sits idle during
// most of the review: the databases every review asks for (the one the base
// is built in, the models databases) are created as soon as the server runs,
// and handed out by the first createDatabase() of their purpose.
import type { AccessSummary } from './access.ts';
import type { DatabaseProvider, ProviderKind, ThrowawayDatabase } from './provider.ts';

export class ReservingProvider implements DatabaseProvider {
  readonly #inner: DatabaseProvider;
  readonly #reserved = new Map<string, Promise<ThrowawayDatabase | null>[]>();
  #version: Promise<string> | undefined;

  constructor(inner: DatabaseProvider) {
    this.#inner = inner;
  }

  /** Starts creating one empty database per entry (a purpose may repeat). Never fails. */
  reserve(purposes: readonly string[]): void {
    for (const purpose of purposes) {
      // A reservation that fails costs nothing: createDatabase() then creates one as usual.
      const creating = this.#inner.createDatabase(purpose).catch(() => null);
      this.#reserved.set(purpose, [...(this.#reserved.get(purpose) ?? []), creating]);
    }
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

  dropDatabase(database: ThrowawayDatabase): Promise<void> {
    return this.#inner.dropDatabase(database);
  }

  /** The reservations nobody took are the provider's databases like any other: stop() drops them. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.#reserved.values()].flat());
    await this.#inner.stop();
  }

  /** Asked once: the cache key and the report both want it, and each ask is a connection. */
  serverVersion(): Promise<string> {
    this.#version ??= this.#inner.serverVersion();
    return this.#version;
  }
}
