// The isolation probes on --database testcontainers: a container with a
// random superuser password, a pg_hba.conf that asks every connection for a
// password, its port published on 127.0.0.1 only; the run's own role.
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ProbeRun,
  expectCommonRefusals,
  expectOwnServerRefusals,
  hostileProject,
  processesWith,
  reviewProject,
  sleepingEnvProject,
} from './probes.ts';

const IMAGE = process.env.ALEMBIC_REVIEW_TEST_IMAGE ?? 'local/postgres:15';
const TESTCONTAINERS = ['--database', 'testcontainers', '--postgres-image', IMAGE];
const run = new ProbeRun();
afterAll(() => {
  run.remove();
});

function containerId(stderr: string): string {
  const match = /container ([0-9a-f]{12}) \(/.exec(stderr);
  if (match?.[1] === undefined) throw new Error(`no container id in:\n${stderr}`);
  return match[1];
}

async function containerExists(id: string): Promise<boolean> {
  const result = await execa('docker', ['ps', '-aq', '--filter', `id=${id}`]);
  return String(result.stdout).trim() !== '';
}

describe('isolation probes, testcontainers provider', () => {
  it('refuses or contains every probe, and leaves nothing behind', async () => {
    const project = await hostileProject(run);
    try {
      const { result, report } = await reviewProject(project, run, TESTCONTAINERS);
      expect(report, result.stderr).toBeDefined();
      expectCommonRefusals(run);
      expectOwnServerRefusals(run);
      expect(report?.environment.isolation).toMatchObject({ databaseRole: 'restricted' });
      // Published on the loopback interface only.
      expect(result.stderr).toMatch(/ready on 127\.0\.0\.1:\d+/);
      expect(await containerExists(containerId(result.stderr))).toBe(false);
      expect(await processesWith([project.dir, ...run.sleeps])).toEqual([]);
    } finally {
      project.remove();
    }
  });

  it('stops an env.py that sleeps forever, and removes the container', async () => {
    const project = await sleepingEnvProject();
    try {
      const { result, report } = await reviewProject(project, run, [
        ...TESTCONTAINERS,
        '--revision-timeout',
        '3s',
      ]);
      expect(result.code, result.stderr).toBe(1);
      expect(report?.findings.map((f) => f.message).join('\n')).toContain('env.py did not finish within 3 s');
      expect(await containerExists(containerId(result.stderr))).toBe(false);
      expect(await processesWith([project.dir])).toEqual([]);
    } finally {
      project.remove();
    }
  });
});
