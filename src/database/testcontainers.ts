// A PostgreSQL container started with @testcontainers/postgresql.
//
// Readiness: PostgreSqlContainer waits for a Docker health check running
// `pg_isready --host localhost` inside the container plus the mapped port
// listening. That check only passes once the final server listens on TCP (the
// official image's init-time server, and local/postgres:15's, listen on the
// Unix socket only), so it works for both without counting log lines. We use
// POSTGRES_DB=postgres, which also spares the images their second start.
//
// Docker is located the way testcontainers does it (DOCKER_HOST etc., which it
// reads itself); before handing over we ping that engine ourselves so a missing
// engine fails in ~2 s with a clear message instead of testcontainers' slow
// strategy discovery (which would also silently fall back to another socket).
//
// Locked down: a random superuser password (never on a command line: our
// health check does not need it, unlike testcontainers' default one), a
// pg_hba.conf of our own that accepts passwords only (the images' own files
// trust local connections inside the container), and the port published on
// 127.0.0.1 only when the engine is on this machine (testcontainers has no
// option for the host address: a subclass sets it just before the create).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { UsageError, errorMessage } from '../errors.ts';
import { throwIfCancelled } from '../teardown.ts';
import {
  CONTAINER_LABEL,
  imagePresent,
  pingDocker,
  removeLabelledContainers,
  resolveDockerEndpoint,
  ryukImage,
  type DockerEndpoint,
} from './docker.ts';
import type { AccessOptions } from './access.ts';
import { Cleanup, seconds, type Log } from './lifecycle.ts';
import type { DatabaseProvider } from './provider.ts';
import { newSuperuserPassword, ServerProvider } from './server.ts';

export const DEFAULT_POSTGRES_IMAGE = 'postgres:17';
const TMPFS_PATH = '/alembic-review-pgdata';
const HBA_FILE = '/etc/alembic-review/pg_hba.conf';
/** Password authentication only, for every connection (no trust, not even on the container's socket). */
const HBA_CONTENT = 'local all all scram-sha-256\nhost all all all scram-sha-256\n';
/** How long a teardown waits for a create request already sent to come back. */
const PENDING_CREATE_WAIT_MS = 10_000;

export interface TestcontainersOptions {
  /** Image to run; default postgres:17. */
  image?: string;
  log?: Log;
  /** Give up waiting for readiness after this long (default 120 s). */
  startupTimeoutMs?: number;
  /** The role the project's code gets (default: a restricted role of the run's own). */
  access?: AccessOptions;
}

/**
 * True when the engine's 127.0.0.1 is ours, so that a port published there is
 * reachable by us and by nobody off this machine. A socket alone does not say
 * so: inside a container (a CI job container with the host's socket mounted)
 * the engine's loopback is the host's. There, unless the engine's bridge
 * (docker0) is in our own network namespace, testcontainers' own host
 * resolution (the bridge gateway) is used and the port is published as usual.
 */
export function engineIsLocal(
  endpoint: DockerEndpoint,
  inContainer = existsSync('/.dockerenv'),
  bridgeIsOurs = existsSync('/sys/class/net/docker0'),
): boolean {
  if (endpoint.socketPath !== undefined) return !inContainer || bridgeIsOurs;
  return endpoint.host === '127.0.0.1' || endpoint.host === 'localhost' || endpoint.host === '[::1]';
}

/** Where a start is, as far as a teardown racing with it needs to know. */
interface StartGate {
  stopped: () => boolean;
  /** The create request has been (or is being) sent. */
  passed: boolean;
  containerId: string | undefined;
  loopback: boolean;
}

interface StartedContainer {
  getHost(): string;
  getPort(): number;
  getId(): string;
  stop(options?: { remove?: boolean; removeVolumes?: boolean; timeout?: number }): Promise<unknown>;
}

function imageHelp(image: string): string {
  return (
    `Pull it beforehand (docker pull ${image}), or pass an image that is present locally with ` +
    `--postgres-image IMAGE (any image that honours POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB like the ` +
    `official postgres image), or use --database embedded.`
  );
}

export class TestcontainersProvider extends ServerProvider implements DatabaseProvider {
  protected readonly label = 'testcontainers';
  readonly kind = 'testcontainers' as const;
  readonly image: string;
  /** Value of the alembic-review.run label on the container. */
  readonly runId = randomBytes(6).toString('hex');
  readonly #log: Log;
  readonly #startupTimeoutMs: number;
  readonly #password = newSuperuserPassword();
  readonly #endpoint: DockerEndpoint;
  readonly #cleanup: Cleanup;
  #container: StartedContainer | undefined;
  #starting: Promise<void> | undefined;
  #pendingStart: Promise<StartedContainer> | undefined;
  #stopped = false;

  readonly #gate: StartGate;

  constructor(options: TestcontainersOptions = {}) {
    super(options.access);
    this.image = options.image ?? DEFAULT_POSTGRES_IMAGE;
    this.#log = options.log ?? (() => undefined);
    this.#startupTimeoutMs = options.startupTimeoutMs ?? 120_000;
    this.#endpoint = resolveDockerEndpoint();
    this.#cleanup = new Cleanup(`container ${this.image}`, () => this.#removeContainer());
    this.#gate = {
      stopped: () => this.#stopped,
      passed: false,
      containerId: undefined,
      loopback: engineIsLocal(this.#endpoint),
    };
  }

  get description(): string {
    return `testcontainers (${this.image})`;
  }

  /** The running container's id, once started. */
  get containerId(): string | undefined {
    return this.#container?.getId();
  }

  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#stopped) throw new Error('provider already stopped');
    const began = performance.now();
    const endpoint = this.#endpoint;
    const ping = await pingDocker(endpoint);
    if (!ping.ok) {
      throw new UsageError(
        'database',
        `No Docker engine answers at ${endpoint.uri} (from ${endpoint.source}): ${ping.error}. ` +
          `--database testcontainers needs a running Docker engine: start it or point DOCKER_HOST at one, ` +
          `or use --database embedded (local PostgreSQL binaries) or --database-url URL (an existing server).`,
      );
    }
    const present = await imagePresent(endpoint, this.image).catch(() => false);
    this.#log(
      present
        ? `starting container ${this.image} (Docker ${ping.version} at ${endpoint.uri}) …`
        : `pulling ${this.image} and starting a container (Docker ${ping.version} at ${endpoint.uri}) …`,
    );

    // testcontainers looks for the host the container's port is reached on;
    // inside a container it asks the bridge network for its gateway and, when
    // the engine does not record one, runs an alpine container to find it,
    // which hangs without a registry. We know the answer when it is ours.
    if (this.#gate.loopback && process.env.TESTCONTAINERS_HOST_OVERRIDE === undefined) {
      process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
    }
    // Loaded on demand: testcontainers is large and most runs do not need it.
    // In the bundle this CommonJS package arrives as the default export.
    const loaded = await import('@testcontainers/postgresql');
    const { PostgreSqlContainer } =
      'PostgreSqlContainer' in loaded ? loaded : (loaded as unknown as { default: typeof loaded }).default;
    const gate = this.#gate;
    class LockedPostgreSqlContainer extends PostgreSqlContainer {
      protected override beforeContainerCreated(): Promise<void> {
        // A teardown has begun: no container may appear after it.
        if (gate.stopped()) return Promise.reject(new Error('provider stopped while starting'));
        gate.passed = true;
        if (gate.loopback) {
          type Bindings = Record<string, { HostIp?: string; HostPort?: string }[]>;
          const bindings = (this.hostConfig.PortBindings ?? {}) as Bindings;
          for (const [port, hosts] of Object.entries(bindings)) {
            bindings[port] = hosts.map((h) => ({ ...h, HostIp: '127.0.0.1' }));
          }
          this.hostConfig.PortBindings = bindings;
        }
        return Promise.resolve();
      }

      protected override containerCreated(containerId: string): Promise<void> {
        gate.containerId = containerId;
        return gate.stopped()
          ? Promise.reject(new Error('provider stopped while starting'))
          : Promise.resolve();
      }
    }
    const container = new LockedPostgreSqlContainer(this.image)
      .withDatabase('postgres')
      .withUsername('postgres')
      .withPassword(this.#password)
      .withLabels({ [CONTAINER_LABEL]: this.runId, 'alembic-review': 'true' })
      // The data directory on a tmpfs: initdb inside the container takes about
      // half as long (measured 1.5-2.0 s vs 3.2-3.5 s to ready). PGDATA is
      // honoured by the official images (whose default differs between 17 and
      // 18) and by scripts/build-postgres-image.sh's.
      .withTmpFs({ [TMPFS_PATH]: 'rw' })
      .withEnvironment({ PGDATA: `${TMPFS_PATH}/data` })
      .withCopyContentToContainer([{ content: HBA_CONTENT, target: HBA_FILE, mode: 0o644 }])
      .withCommand([
        'postgres',
        '-c',
        `hba_file=${HBA_FILE}`,
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ])
      // testcontainers' own check has PGPASSWORD on its command line (visible in
      // the host's process list); pg_isready needs no password.
      .withHealthCheck({
        test: ['CMD-SHELL', 'pg_isready --host localhost --username postgres --dbname postgres'],
        interval: 250,
        timeout: 1000,
        retries: 1000,
      })
      .withStartupTimeout(this.#startupTimeoutMs);

    // From here on a container may exist: removal goes by our label, so it also
    // works when SIGTERM arrives before start() has returned.
    if (this.#isStopped()) throw new Error('provider stopped while starting');
    throwIfCancelled();
    this.#cleanup.arm();
    let started: StartedContainer;
    try {
      const starting = container.start();
      this.#pendingStart = starting;
      started = await starting;
    } catch (error) {
      const stoppedMeanwhile = this.#isStopped();
      this.#pendingStart = undefined;
      await this.#cleanup.run().catch(() => undefined);
      if (stoppedMeanwhile) throw new Error('provider stopped while starting', { cause: error });
      throw await this.#explainStartFailure(error, present);
    }
    this.#container = started;
    if (this.#isStopped()) {
      // stop() or a teardown ran meanwhile; its cleanup waited for this start
      // and removes the container now.
      await this.#cleanup.run();
      throw new Error('provider stopped while starting');
    }
    const admin = {
      host: this.#gate.loopback ? '127.0.0.1' : started.getHost(),
      port: started.getPort(),
      user: 'postgres',
      password: this.#password,
      database: 'postgres',
    };
    await this.lockDown(admin);
    this.admin = admin;
    this.#log(
      `container ${this.containerId?.slice(0, 12) ?? '?'} (${this.image}) ready on ${admin.host}:${admin.port} (${seconds(performance.now() - began)})`,
    );
  }

  async #explainStartFailure(error: unknown, wasPresent: boolean): Promise<Error> {
    const message = errorMessage(error)
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/[\s.]+$/, '');
    const ryuk = ryukImage();
    // A pull of the reaper that fails does not always name it (only the registry it tried).
    const ryukMissing = ryuk !== undefined && !(await imagePresent(this.#endpoint, ryuk).catch(() => true));
    if (ryuk !== undefined && (/ryuk/i.test(message) || ryukMissing)) {
      return new UsageError(
        'database',
        `testcontainers could not start its Ryuk reaper (${ryuk}): ${message}. Make that image available, ` +
          `or set TESTCONTAINERS_RYUK_DISABLED=true (alembic-review removes its container itself).`,
        { cause: error },
      );
    }
    const presentNow = await imagePresent(this.#endpoint, this.image).catch(() => wasPresent);
    if (!presentNow) {
      return new UsageError(
        'database',
        `The PostgreSQL image ${this.image} is not present locally and could not be pulled: ${message}. ${imageHelp(this.image)}`,
        { cause: error },
      );
    }
    return new UsageError(
      'database',
      `The PostgreSQL container (${this.image}) did not become ready: ${message}. ` +
        `Check that the image behaves like the official postgres image, or pass another with --postgres-image.`,
      { cause: error },
    );
  }

  /** A method, not the field: TypeScript would narrow the field across awaits. */
  #isStopped(): boolean {
    return this.#stopped;
  }

  /** Removes the container (and with it every database in it). Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (!this.#cleanup.armed && this.#container === undefined) return;
    await this.#cleanup.run();
  }

  async #removeContainer(): Promise<void> {
    this.#stopped = true;
    // A teardown (SIGTERM) while testcontainers is still starting. From now on
    // the gate refuses to create a container; if the create request was
    // already sent, wait for its container id (or for the start to settle).
    if (this.#container === undefined && this.#pendingStart !== undefined && this.#gate.passed) {
      const start = { settled: false };
      void this.#pendingStart.then(
        () => (start.settled = true),
        () => (start.settled = true),
      );
      const deadline = performance.now() + PENDING_CREATE_WAIT_MS;
      while (!start.settled && this.#gate.containerId === undefined && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    const container = this.#container;
    this.#container = undefined;
    this.admin = undefined;
    this.databases.clear();
    if (container !== undefined) {
      await container.stop({ remove: true, removeVolumes: true, timeout: 0 }).catch(() => undefined);
    }
    const removed = await removeLabelledContainers(this.#endpoint, this.runId);
    if (container !== undefined || removed > 0) this.#log(`removed container ${this.image}`);
  }
}
