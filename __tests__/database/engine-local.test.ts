import { describe, expect, it } from 'vitest';
import { engineIsLocal } from '../../src/database/testcontainers.ts';
import type { DockerEndpoint } from '../../src/database/docker.ts';

// Where a published port may be bound to 127.0.0.1 (and reached there).
describe('engineIsLocal', () => {
  const socket = {
    socketPath: '/var/run/docker.sock',
    uri: 'unix:///var/run/docker.sock',
    source: 'default',
  };
  const tcp = (host: string) => ({ host, port: 2375, uri: `tcp://${host}:2375`, source: 'DOCKER_HOST' });
  it.each([
    ['a socket, not in a container', socket, false, false, true],
    ['a socket, in a container that runs the engine itself (docker0 is ours)', socket, true, true, true],
    ["a socket, in a container with the host's socket mounted", socket, true, false, false],
    ['tcp to 127.0.0.1', tcp('127.0.0.1'), true, false, true],
    ['tcp to localhost', tcp('localhost'), false, false, true],
    ['tcp to another machine', tcp('10.0.0.5'), false, true, false],
  ])('%s', (_name, endpoint, inContainer, bridgeIsOurs, expected) => {
    expect(engineIsLocal(endpoint as DockerEndpoint, inContainer, bridgeIsOurs)).toBe(expected);
  });
});
