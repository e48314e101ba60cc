// The isolation probes on --database embedded: a private cluster, password
// authentication only, the run's own role; the project's code runs as
// another user in a PID namespace of its own.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterDirectory } from '../database/helpers.ts';
import {
  ProbeRun,
  expectCommonRefusals,
  expectOwnServerRefusals,
  hangingRevisionProject,
  hostileProject,
  processesWith,
  reviewProject,
  sleepingEnvProject,
  sleepingImportProject,
} from './probes.ts';

const run = new ProbeRun();
afterAll(() => {
  run.remove();
});

describe('isolation probes, embedded provider', () => {
  it('refuses or contains every probe, and leaves nothing behind', async () => {
    const project = await hostileProject(run);
    try {
      const { result, report } = await reviewProject(project, run, ['--database', 'embedded']);
      expect(report, result.stderr).toBeDefined();
      expectCommonRefusals(run);
      expectOwnServerRefusals(run);
      expect(report?.environment.isolation).toMatchObject({
        databaseRole: 'restricted',
        process: expect.stringMatching(/^as nobody \(uid \d+\) in a PID namespace of its own$/) as unknown,
      });
      expect(report?.findings.filter((f) => f.ruleId === 'isolation-reduced')).toEqual([]);

      const cluster = clusterDirectory(result.stderr);
      expect(existsSync(cluster)).toBe(false);
      expect(await processesWith([cluster, project.dir, ...run.sleeps])).toEqual([]);
    } finally {
      project.remove();
    }
  });

  it('sees through a weaker setup (superuser, no sandbox): the probes are not vacuous, the review says so', async () => {
    const weak = new ProbeRun();
    const project = await hostileProject(weak, { superuserAttack: false, dropPostgres: false });
    try {
      const { result, report } = await reviewProject(project, weak, [
        '--database',
        'embedded',
        '--database-role',
        'superuser',
        '--sandbox',
        'off',
      ]);
      expect(report, result.stderr).toBeDefined();
      for (const probe of [
        'create-role-superuser',
        'create-database',
        'copy-to-program',
        'proc-environ-token',
      ])
        expect(weak.outcome(probe).outcome, `${probe}: ${weak.outcome(probe).detail}`).toBe('succeeded');
      expect(existsSync(path.join(weak.dir, 'copy-to-program'))).toBe(true);
      const notices = report?.findings.filter((f) => f.ruleId === 'isolation-reduced').map((f) => f.message);
      expect(notices?.join('\n')).toContain("connected as the server's superuser");
      expect(notices?.join('\n')).toContain('sandbox = "off"');
      expect(report?.environment.isolation).toMatchObject({
        databaseRole: 'superuser',
        process: 'as this user, without isolation',
      });
      // Without a PID namespace, the subreaper still takes the background processes down.
      expect(existsSync(clusterDirectory(result.stderr))).toBe(false);
      expect(await processesWith([project.dir, ...weak.sleeps])).toEqual([]);
    } finally {
      project.remove();
      weak.remove();
    }
  });

  it('stops an env.py that sleeps forever at revision-timeout, and leaves nothing', async () => {
    const project = await sleepingEnvProject();
    try {
      const began = performance.now();
      const { result, report } = await reviewProject(project, run, [
        '--database',
        'embedded',
        '--revision-timeout',
        '3s',
      ]);
      expect(performance.now() - began).toBeLessThan(30_000);
      expect(result.code, result.stderr).toBe(1);
      expect(report?.findings.map((f) => f.message).join('\n')).toContain('env.py did not finish within 3 s');
      expect(existsSync(clusterDirectory(result.stderr))).toBe(false);
      expect(await processesWith([project.dir])).toEqual([]);
    } finally {
      project.remove();
    }
  });

  it('without a PID namespace too, a timeout takes the processes a hanging revision started along', async () => {
    const hanging = new ProbeRun();
    const project = await hangingRevisionProject(hanging);
    try {
      const { result, report } = await reviewProject(project, hanging, [
        '--database',
        'embedded',
        '--sandbox',
        'off',
        '--revision-timeout',
        '3s',
      ]);
      expect(result.code, result.stderr).toBe(1);
      expect(report?.findings.map((f) => f.message).join('\n')).toContain(
        'Revision f7f7f7f7f7f7 did not finish within 3 s',
      );
      expect(await processesWith([project.dir, ...hanging.sleeps])).toEqual([]);
    } finally {
      project.remove();
      hanging.remove();
    }
  });

  it('stops a revision that sleeps when it is imported (exit 2, one paragraph)', async () => {
    const project = await sleepingImportProject();
    try {
      const { result } = await reviewProject(project, run, [
        '--database',
        'embedded',
        '--revision-timeout',
        '3s',
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Opening the project did not finish within 3 s (revision-timeout)');
      expect(result.stderr).not.toContain('internal error');
      expect(await processesWith([project.dir])).toEqual([]);
    } finally {
      project.remove();
    }
  });
});
