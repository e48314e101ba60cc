// Where the project's Python runs: the sandboxes this machine offers (the
// tests run as root: another user in a PID namespace first), and the fall
// back when that user cannot read the project.
import { chmodSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { availableSandboxes } from '../../src/alembic/sandbox.ts';
import { makeProject } from '../helpers/alembic-project.ts';
import { reviewJson } from '../helpers/cli.ts';

describe('sandboxes', () => {
  it('as root: nobody in a PID namespace, then root without capabilities, then none', async () => {
    expect(process.getuid?.()).toBe(0);
    const sandboxes = await availableSandboxes();
    expect(sandboxes.map((s) => s.kind)).toEqual(['other-user', 'pid-namespace', 'none']);
    expect(sandboxes[0]?.description).toMatch(/^as nobody \(uid \d+\) in a PID namespace of its own$/);
    expect(sandboxes[0]?.caveat).toBeUndefined();
    expect(sandboxes[1]?.description).toBe('as root without capabilities in a PID namespace of its own');
    // Nothing secret on the command line (it is world-readable): only the interpreter and the bridge.
    const launch = sandboxes[0]?.launch('/usr/bin/python3', ['-u', '/bridge.py'], ['PATH', 'HOME']);
    expect(launch?.file).toBe('unshare');
    expect(launch?.args.slice(-3)).toEqual(['/usr/bin/python3', '-u', '/bridge.py']);
    expect(launch?.args).toContain('--no-new-privs');
  });

  it('falls back, and says so, when the unprivileged user cannot read the project', async () => {
    const project = await makeProject({
      revisions: [
        {
          id: 'f1f1f1f1f1f1',
          upgrade: 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
        },
      ],
    });
    try {
      await project.pullRequest((p) => {
        p.addRevision({
          id: 'f2f2f2f2f2f2',
          down: 'f1f1f1f1f1f1',
          upgrade: 'op.add_column("t", sa.Column("x", sa.Text))',
        });
      });
      chmodSync(project.dir, 0o700);
      const { result, report } = await reviewJson<{
        findings: { ruleId: string; message: string }[];
        environment: { isolation: { process: string } };
      }>(project.dir, ['--database', 'embedded']);
      // 0: reviewed (the drift of models that declare nothing is already on main); not 2.
      expect(result.code, result.stderr).toBe(0);
      if (report === undefined) throw new Error(result.stderr);
      expect(report.environment.isolation.process).toBe(
        'as root without capabilities in a PID namespace of its own',
      );
      const notices = report.findings.filter((f) => f.ruleId === 'isolation-reduced').map((f) => f.message);
      expect(notices.join('\n')).toMatch(
        /could not be opened as nobody \(uid \d+\) in a PID namespace of its own \(cannot read .* as uid \d+/,
      );
      expect(notices.join('\n')).toContain('the Docker socket included');
    } finally {
      project.remove();
    }
  });
});
