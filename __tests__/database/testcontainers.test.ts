import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/database/embedded.ts';
import { TestcontainersProvider } from '../../src/database/testcontainers.ts';
import { UsageError } from '../../src/errors.ts';
import { pendingTeardowns, teardownAll } from '../../src/teardown.ts';
import { makeProject } from '../helpers/alembic-project.ts';
import { runCli } from '../helpers/cli.ts';
import {
  LOCAL_IMAGE,
  containersLabelled,
  containersWithRunLabel,
  exerciseProvider,
  query,
  startChild,
  terminate,
} from './helpers.ts';

// No Ryuk image here; and the tests must see leaks that Ryuk would hide.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

describe('testcontainers provider', () => {
  // A failing assertion must not leave servers or databases behind either.
  afterAll(() => teardownAll());

  it(`runs ${LOCAL_IMAGE} with two usable databases and removes the container on stop()`, async () => {
    const lines: string[] = [];
    const provider = new TestcontainersProvider({ image: LOCAL_IMAGE, log: (line) => lines.push(line) });
    await provider.start();
    expect(provider.description).toBe(`testcontainers (${LOCAL_IMAGE})`);
    expect(await containersWithRunLabel(provider.runId)).toHaveLength(1);
    expect(await provider.serverVersion()).toMatch(/^15\./);

    const [first] = await exerciseProvider(provider);
    // The run's own role, with a random password; published on 127.0.0.1 only.
    expect(first?.url).toMatch(
      /^postgresql:\/\/alembic_review_r_[0-9a-f]{10}:[A-Za-z0-9_-]{20,}@127\.0\.0\.1:/,
    );
    expect(lines.join('\n')).toContain(`starting container ${LOCAL_IMAGE}`);

    await provider.stop();
    await provider.stop(); // idempotent
    expect(await containersWithRunLabel(provider.runId)).toEqual([]);
    expect(pendingTeardowns()).toEqual([]);
  });

  it('leaves no container after a failure followed by teardownAll()', async () => {
    const provider = new TestcontainersProvider({ image: LOCAL_IMAGE });
    await expect(
      (async () => {
        await provider.start();
        await provider.createDatabase('failing');
        throw new Error('boom in the middle of a review');
      })(),
    ).rejects.toThrow('boom');
    expect(await containersWithRunLabel(provider.runId)).toHaveLength(1);
    await teardownAll();
    expect(await containersWithRunLabel(provider.runId)).toEqual([]);
    await provider.stop();
  });

  it('removes the container when the process gets SIGTERM (exit 143)', async () => {
    const run = await startChild('testcontainers', LOCAL_IMAGE, { TESTCONTAINERS_RYUK_DISABLED: 'true' });
    const runId = run.details.runId as string;
    expect(await containersWithRunLabel(runId)).toHaveLength(1);
    expect(await query(run.details.database.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await terminate(run.child)).toBe(143);
    expect(await containersWithRunLabel(runId)).toEqual([]);
  });

  it('removes the container when SIGTERM arrives while it is still starting', async () => {
    // Before, during and after the create request (the gate refuses a create once the teardown began).
    for (const delayMs of [100, 300, 600, 900, 1300, 1800]) {
      const run = await startChild(
        'testcontainers',
        LOCAL_IMAGE,
        { TESTCONTAINERS_RYUK_DISABLED: 'true' },
        'starting',
      );
      const runId = run.details.runId as string;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      expect(await terminate(run.child)).toBe(143);
      expect(await containersWithRunLabel(runId)).toEqual([]);
    }
  });

  it('fails fast with a database UsageError when no Docker engine answers at DOCKER_HOST', async () => {
    for (const dockerHost of ['unix:///nonexistent/docker.sock', `tcp://127.0.0.1:${await freePort()}`]) {
      const began = performance.now();
      const error = await withEnv('DOCKER_HOST', dockerHost, () =>
        new TestcontainersProvider({ image: LOCAL_IMAGE }).start().catch((e: unknown) => e),
      );
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).kind).toBe('database');
      expect((error as UsageError).message).toContain(`No Docker engine answers at ${dockerHost}`);
      expect((error as UsageError).message).toContain('DOCKER_HOST');
      expect(performance.now() - began).toBeLessThan(5000);
    }
    expect(pendingTeardowns()).toEqual([]);
  });

  it('names the Ryuk reaper when its image is neither present nor pullable (the pull error names only the registry)', async () => {
    // A process of its own: testcontainers decides on its reaper once per process.
    const project = await makeProject({
      revisions: [
        {
          id: 'a1a1a1a1a1a1',
          upgrade: "op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))",
        },
      ],
    });
    try {
      await project.pullRequest((p) =>
        p.addRevision({
          id: 'b2b2b2b2b2b2',
          down: 'a1a1a1a1a1a1',
          upgrade: "op.add_column('t', sa.Column('n', sa.Integer()))",
        }),
      );
      const before = await containersLabelled('alembic-review.run');
      const result = await runCli(
        [
          'review',
          '--project',
          project.dir,
          '--base',
          'main',
          '--database',
          'testcontainers',
          '--postgres-image',
          LOCAL_IMAGE,
        ],
        {
          env: {
            TESTCONTAINERS_RYUK_DISABLED: 'false',
            RYUK_CONTAINER_IMAGE: 'alembic-review-test/no-such-ryuk:0',
          },
        },
      );
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(
        'alembic-review: testcontainers could not start its Ryuk reaper (alembic-review-test/no-such-ryuk:0)',
      );
      expect(result.stderr).toContain('TESTCONTAINERS_RYUK_DISABLED=true');
      expect(await containersLabelled('alembic-review.run')).toEqual(before);
    } finally {
      project.remove();
    }
  });

  it('explains an image that is neither present nor pullable, pointing at --postgres-image', async () => {
    const image = 'alembic-review-test/no-such-postgres:0';
    const provider = new TestcontainersProvider({ image });
    const error = await provider.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).kind).toBe('database');
    expect((error as UsageError).message).toContain(
      `${image} is not present locally and could not be pulled`,
    );
    expect((error as UsageError).message).toContain('--postgres-image');
    expect(await containersWithRunLabel(provider.runId)).toEqual([]);
    expect(pendingTeardowns()).toEqual([]);
  });
});
