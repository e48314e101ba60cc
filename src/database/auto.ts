// Which throwaway-database provider to use, and the factory for all of them.
//
// --database auto decides, cheapest question first:
//   1. a --database-url was given               → url
//   2. a Docker engine answers /_ping within 2 s
//      (DOCKER_HOST / testcontainers config / default sockets)
//      and the image is present or pullable
//      (and so is Ryuk unless TESTCONTAINERS_RYUK_DISABLED=true)
//                                               → testcontainers
//   3. otherwise                                 → embedded
// Nothing is started: describeAuto() only asks questions, which is what the
// `doctor` command prints.
import { UsageError } from '../errors.ts';
import {
  imagePresent,
  imagePullable,
  pingDocker,
  resolveDockerEndpoint,
  ryukImage,
  type DockerEndpoint,
} from './docker.ts';
import { EmbeddedProvider, findPostgresBinaries, noBinariesMessage } from './embedded.ts';
import type { AccessOptions } from './access.ts';
import type { Log } from './lifecycle.ts';
import type { DatabaseKind, DatabaseProvider, ProviderKind } from './provider.ts';
import { DEFAULT_POSTGRES_IMAGE, TestcontainersProvider } from './testcontainers.ts';
import { UrlProvider } from './url-provider.ts';
import { parsePostgresUrl, redactUrl } from './url.ts';

export interface ProviderOptions {
  databaseUrl?: string | undefined;
  postgresImage?: string | undefined;
  log?: Log | undefined;
  /** The role the project's code gets and the extensions created for it. */
  access?: AccessOptions | undefined;
  /** The cache directory (the embedded cluster's template is kept there); null or absent: none. */
  cacheDir?: string | null | undefined;
}

export interface AutoDecision {
  kind: ProviderKind;
  /** One line: "auto: Docker engine not reachable at unix:///var/run/docker.sock → embedded". */
  reason: string;
  /** What was looked at, one line each (for `doctor`). */
  checks: string[];
}

export interface SelectedProvider {
  provider: DatabaseProvider;
  reason: string;
}

const PING_TIMEOUT_MS = 2000;
const REGISTRY_TIMEOUT_MS = 5000;

type ImageState = { ok: true; how: 'present' | 'pullable' } | { ok: false; error: string };

async function imageState(endpoint: DockerEndpoint, image: string): Promise<ImageState> {
  try {
    if (await imagePresent(endpoint, image)) return { ok: true, how: 'present' };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const pull = await imagePullable(endpoint, image, REGISTRY_TIMEOUT_MS);
  return pull.pullable ? { ok: true, how: 'pullable' } : { ok: false, error: pull.error };
}

async function decide(
  options: ProviderOptions,
  thorough: boolean,
): Promise<AutoDecision & { noBinaries: boolean }> {
  const checks: string[] = [];
  let decision: { kind: ProviderKind; reason: string } | undefined;

  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    checks.push(`database URL: ${redactUrl(options.databaseUrl)}`);
    decision = { kind: 'url', reason: `auto: --database-url given → url` };
    if (!thorough) return { ...decision, checks, noBinaries: false };
  } else {
    checks.push('database URL: not given');
  }

  const image = options.postgresImage ?? DEFAULT_POSTGRES_IMAGE;
  const endpoint = resolveDockerEndpoint();
  const ping = await pingDocker(endpoint, PING_TIMEOUT_MS);
  if (!ping.ok) {
    checks.push(`Docker: no engine at ${endpoint.uri} (${endpoint.source}): ${ping.error}`);
    decision ??= {
      kind: 'embedded',
      reason: `auto: Docker engine not reachable at ${endpoint.uri} → embedded`,
    };
  } else {
    checks.push(`Docker: engine ${ping.version} answers at ${endpoint.uri} (${endpoint.source})`);
    const state = await imageState(endpoint, image);
    checks.push(
      state.ok
        ? `image ${image}: ${state.how === 'present' ? 'present locally' : 'not present locally, can be pulled'}`
        : `image ${image}: not present locally and cannot be pulled: ${state.error}`,
    );
    const ryuk = ryukImage();
    let ryukState: ImageState = { ok: true, how: 'present' };
    if (ryuk === undefined) checks.push('Ryuk: disabled (TESTCONTAINERS_RYUK_DISABLED=true)');
    else if (state.ok) {
      ryukState = await imageState(endpoint, ryuk);
      checks.push(
        ryukState.ok
          ? `Ryuk image ${ryuk}: ${ryukState.how === 'present' ? 'present locally' : 'can be pulled'}`
          : `Ryuk image ${ryuk}: not present and cannot be pulled: ${ryukState.error}`,
      );
    }
    if (!state.ok) {
      decision ??= {
        kind: 'embedded',
        reason: `auto: Docker answers at ${endpoint.uri} but image ${image} is not present and cannot be pulled → embedded`,
      };
    } else if (!ryukState.ok) {
      decision ??= {
        kind: 'embedded',
        reason:
          `auto: Docker answers at ${endpoint.uri} but testcontainers' Ryuk image ${ryuk ?? ''} is not available ` +
          `(set TESTCONTAINERS_RYUK_DISABLED=true to do without) → embedded`,
      };
    } else {
      decision ??= {
        kind: 'testcontainers',
        reason: `auto: Docker ${ping.version} at ${endpoint.uri}, image ${image} ${state.how} → testcontainers`,
      };
    }
  }

  let noBinaries = false;
  if (decision.kind === 'embedded' || thorough) {
    const binaries = await findPostgresBinaries();
    checks.push(
      binaries === undefined
        ? 'embedded: no PostgreSQL binaries found'
        : `embedded: initdb/postgres from ${binaries.source}`,
    );
    noBinaries = binaries === undefined;
    if (noBinaries && decision.kind === 'embedded') {
      decision = { kind: 'embedded', reason: `${decision.reason} (but no PostgreSQL binaries found)` };
    }
  }
  return { ...decision, checks, noBinaries };
}

/** What `--database auto` would pick and why; starts nothing (for `doctor`). */
export async function describeAuto(options: Omit<ProviderOptions, 'log'> = {}): Promise<AutoDecision> {
  const { kind, reason, checks } = await decide(options, true);
  return { kind, reason, checks };
}

/** A provider of the given kind (not started). */
export function createProvider(kind: ProviderKind, options: ProviderOptions = {}): DatabaseProvider {
  const log = options.log ?? (() => undefined);
  const access = options.access === undefined ? {} : { access: options.access };
  switch (kind) {
    case 'url': {
      if (options.databaseUrl === undefined || options.databaseUrl === '') {
        throw new UsageError(
          'usage',
          '--database url needs --database-url postgresql://user:password@host:port/db',
        );
      }
      try {
        parsePostgresUrl(options.databaseUrl);
      } catch (error) {
        throw new UsageError(
          'usage',
          `--database-url: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      return new UrlProvider(options.databaseUrl, { log, ...access });
    }
    case 'testcontainers':
      return new TestcontainersProvider({
        image: options.postgresImage ?? DEFAULT_POSTGRES_IMAGE,
        log,
        ...access,
      });
    case 'embedded':
      return new EmbeddedProvider({ log, ...access, cacheDir: options.cacheDir ?? null });
  }
}

/**
 * `--database auto`: decides (see the top of this file) and returns the
 * provider, not started, with a one-line reason for the progress output.
 * Throws UsageError when it would fall back to embedded and there are no
 * binaries either.
 */
export async function selectProvider(
  options: Omit<ProviderOptions, 'log'>,
  log: Log = () => undefined,
): Promise<SelectedProvider> {
  const decision = await decide(options, false);
  if (decision.kind === 'embedded' && decision.noBinaries) {
    throw new UsageError(
      'database',
      `No throwaway PostgreSQL is available: ${decision.checks.filter((c) => !c.startsWith('database URL')).join('; ')}. ` +
        noBinariesMessage(),
    );
  }
  return { provider: createProvider(decision.kind, { ...options, log }), reason: decision.reason };
}

/** Any --database value except `none`: auto decides, the others are taken as given. */
export async function resolveProvider(
  kind: Exclude<DatabaseKind, 'none'>,
  options: ProviderOptions,
): Promise<SelectedProvider> {
  const log = options.log ?? (() => undefined);
  if (kind === 'auto') return selectProvider(options, log);
  return { provider: createProvider(kind, options), reason: `--database ${kind}` };
}
