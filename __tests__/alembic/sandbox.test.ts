// Where the project's Python runs: the sandboxes this machine offers (the
// tests run as root: another user in a PID namespace first), and the fall
// back when that user cannot read the project.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bridgeScriptPath } from '../../src/alembic/bridge.ts';
import { availableSandboxes } from '../../src/alembic/sandbox.ts';
import { lookupAccount } from '../../src/system/accounts.ts';
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

  it('probes the machine once, and gives every caller sandboxes of its own', async () => {
    const [first, second] = await Promise.all([availableSandboxes(), availableSandboxes()]);
    expect(second.map((s) => s.kind)).toEqual(first.map((s) => s.kind));
    const [a, b] = [first[0], second[0]];
    if (a === undefined || b === undefined) throw new Error('no sandbox');
    expect(a).not.toBe(b);
    // Each has its private directory and copy of the bridge, readable by nobody, gone with it.
    const bridgeDir = path.dirname(bridgeScriptPath());
    const [own, other] = await Promise.all([a.prepare(bridgeDir), b.prepare(bridgeDir)]);
    expect(own.home).not.toBe(other.home);
    const launcher = path.join(own.bridgeDir, path.basename(bridgeScriptPath()));
    expect(readFileSync(launcher, 'utf8')).toBe(readFileSync(bridgeScriptPath(), 'utf8'));
    const nobody = await lookupAccount('nobody');
    expect(execFileSync('stat', ['-c', '%u', own.home], { encoding: 'utf8' }).trim()).toBe(
      String(nobody?.uid),
    );
    await a.dispose();
    expect(existsSync(own.home)).toBe(false);
    expect(existsSync(other.home)).toBe(true);
    await b.dispose();
  });

  it('looks accounts up as id does', async () => {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
    expect(await lookupAccount('nobody')).toEqual({ uid: id('-u'), gid: id('-g'), name: 'nobody' });
    expect(await lookupAccount('no-such-user-here')).toBeUndefined();
  });
});
