// A tiny Docker Engine API client for the questions testcontainers answers
// slowly or not at all: does an engine answer (within ~2 s), is an image
// present, could it be pulled, which containers carry our label. It resolves
// the engine the way testcontainers does (DOCKER_HOST, ~/.testcontainers.properties,
// /var/run/docker.sock, rootless sockets) but never changes that configuration.
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir, userInfo } from 'node:os';
import path from 'node:path';

export interface DockerEndpoint {
  /** As the user would write it: unix:///var/run/docker.sock, tcp://host:2376. */
  uri: string;
  /** Where the setting came from, for messages ("DOCKER_HOST", "default socket"). */
  source: string;
  socketPath?: string;
  host?: string;
  port?: number;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

export interface DockerResponse {
  status: number;
  body: string;
}

/** The label every container we start carries; its value is the provider's run id. */
export const CONTAINER_LABEL = 'alembic-review.run';

function readProperties(): Record<string, string> {
  const file = path.join(homedir(), '.testcontainers.properties');
  if (!existsSync(file)) return {};
  const result: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*([^#!=:\s][^=:]*?)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) result[match[1]] = match[2];
  }
  return result;
}

function endpointFromUri(
  uri: string,
  source: string,
  env: NodeJS.ProcessEnv,
  tlsVerify?: string,
): DockerEndpoint {
  if (uri.startsWith('unix://')) return { uri, source, socketPath: uri.slice('unix://'.length) };
  if (uri.startsWith('npipe://'))
    return { uri, source, socketPath: uri.slice('npipe://'.length).replaceAll('/', '\\') };
  let url: URL;
  try {
    url = new URL(uri.replace(/^tcp:/, 'http:'));
  } catch {
    return { uri, source, socketPath: uri };
  }
  const endpoint: DockerEndpoint = { uri, source, host: url.hostname, port: Number(url.port || 2375) };
  if ((tlsVerify ?? env.DOCKER_TLS_VERIFY) === '1' || url.protocol === 'https:') {
    const certPath = env.DOCKER_CERT_PATH ?? path.join(homedir(), '.docker');
    const read = (name: string): Buffer | undefined => {
      const file = path.join(certPath, name);
      return existsSync(file) ? readFileSync(file) : undefined;
    };
    endpoint.tls = { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
  }
  return endpoint;
}

/** The Docker engine testcontainers would use, without contacting it. */
export function resolveDockerEndpoint(env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const properties = readProperties();
  const tcHost = properties['tc.host'];
  if (tcHost !== undefined && tcHost !== '')
    return endpointFromUri(tcHost, '~/.testcontainers.properties tc.host', env);
  if (env.DOCKER_HOST !== undefined && env.DOCKER_HOST !== '')
    return endpointFromUri(env.DOCKER_HOST, 'DOCKER_HOST', env);
  const configured = properties['docker.host'];
  if (configured !== undefined && configured !== '') {
    return endpointFromUri(
      configured,
      '~/.testcontainers.properties docker.host',
      env,
      properties['docker.tls.verify'],
    );
  }
  if (process.platform === 'win32')
    return endpointFromUri('npipe:////./pipe/docker_engine', 'default pipe', env);
  const candidates = ['/var/run/docker.sock'];
  if (env.XDG_RUNTIME_DIR !== undefined) candidates.push(path.join(env.XDG_RUNTIME_DIR, 'docker.sock'));
  candidates.push(
    path.join(homedir(), '.docker', 'run', 'docker.sock'),
    path.join(homedir(), '.docker', 'desktop', 'docker.sock'),
    `/run/user/${userInfo().uid}/docker.sock`,
  );
  const found = candidates.find((candidate) => existsSync(candidate)) ?? '/var/run/docker.sock';
  return { uri: `unix://${found}`, source: 'default socket', socketPath: found };
}

/** One request to the Engine API; rejects on connection errors and on timeout. */
export function dockerRequest(
  endpoint: DockerEndpoint,
  method: string,
  apiPath: string,
  timeoutMs: number,
): Promise<DockerResponse> {
  return new Promise((resolve, reject) => {
    const options: RequestOptions = { method, path: apiPath, headers: { Host: 'docker' } };
    if (endpoint.socketPath !== undefined) options.socketPath = endpoint.socketPath;
    else {
      options.host = endpoint.host;
      options.port = endpoint.port;
    }
    const useTls = endpoint.tls !== undefined;
    if (endpoint.tls !== undefined) Object.assign(options, endpoint.tls);
    // Not imported at the top: an ESM import of node:http loads Node's fetch (a fifth of every start).
    const client = process.getBuiltinModule(useTls ? 'node:https' : 'node:http');
    const request = client.request(options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', reject);
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('close', () => {
      clearTimeout(timer);
    });
    request.on('error', reject);
    request.end();
  });
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

export type PingResult = { ok: true; version: string } | { ok: false; error: string };

/** GET /_ping with a short timeout: does a Docker engine answer at all? */
export async function pingDocker(endpoint: DockerEndpoint, timeoutMs = 2000): Promise<PingResult> {
  try {
    const response = await dockerRequest(endpoint, 'GET', '/_ping', timeoutMs);
    if (response.status !== 200)
      return { ok: false, error: `HTTP ${response.status} ${response.body.trim()}` };
    const version = await dockerRequest(endpoint, 'GET', '/version', timeoutMs)
      .then((r) => (JSON.parse(r.body) as { Version?: string }).Version ?? 'unknown')
      .catch(() => 'unknown');
    return { ok: true, version };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

/** Docker's own short form: "postgres" → "postgres:latest". */
export function normalizeImage(image: string): string {
  const lastSegment = image.split('/').pop() ?? image;
  return lastSegment.includes(':') || image.includes('@') ? image : `${image}:latest`;
}

export async function imagePresent(
  endpoint: DockerEndpoint,
  image: string,
  timeoutMs = 5000,
): Promise<boolean> {
  const response = await dockerRequest(endpoint, 'GET', `/images/${normalizeImage(image)}/json`, timeoutMs);
  if (response.status === 200) return true;
  if (response.status === 404) return false;
  throw new Error(
    `Docker answered HTTP ${response.status} when asked about ${image}: ${response.body.trim()}`,
  );
}

export type PullableResult = { pullable: true } | { pullable: false; error: string };

/** Asks the engine to resolve the image in its registry (no download). */
export async function imagePullable(
  endpoint: DockerEndpoint,
  image: string,
  timeoutMs = 5000,
): Promise<PullableResult> {
  try {
    const response = await dockerRequest(
      endpoint,
      'GET',
      `/distribution/${normalizeImage(image)}/json`,
      timeoutMs,
    );
    if (response.status === 200) return { pullable: true };
    let message = response.body.trim();
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch {
      // plain-text body
    }
    return { pullable: false, error: message };
  } catch (error) {
    return { pullable: false, error: describeError(error) };
  }
}

export interface ContainerSummary {
  Id: string;
  Image: string;
  State: string;
}

export async function listLabelledContainers(
  endpoint: DockerEndpoint,
  runId: string,
): Promise<ContainerSummary[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`${CONTAINER_LABEL}=${runId}`] }));
  const response = await dockerRequest(endpoint, 'GET', `/containers/json?all=1&filters=${filters}`, 10_000);
  if (response.status !== 200)
    throw new Error(`Docker answered HTTP ${response.status}: ${response.body.trim()}`);
  return JSON.parse(response.body) as ContainerSummary[];
}

/** Force-removes (with volumes) every container carrying our label for this run. */
export async function removeLabelledContainers(endpoint: DockerEndpoint, runId: string): Promise<number> {
  const containers = await listLabelledContainers(endpoint, runId);
  for (const container of containers) {
    const response = await dockerRequest(
      endpoint,
      'DELETE',
      `/containers/${container.Id}?force=1&v=1`,
      30_000,
    );
    if (response.status >= 300 && response.status !== 404) {
      throw new Error(`could not remove container ${container.Id.slice(0, 12)}: HTTP ${response.status}`);
    }
  }
  return containers.length;
}

/** The Ryuk image testcontainers starts unless TESTCONTAINERS_RYUK_DISABLED=true. */
export function ryukImage(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TESTCONTAINERS_RYUK_DISABLED === 'true') return undefined;
  // Same default as testcontainers/build/reaper/reaper.js (not exported there).
  return env.RYUK_CONTAINER_IMAGE ?? 'testcontainers/ryuk:0.14.0';
}
