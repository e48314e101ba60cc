// Bad input and missing infrastructure: exit code 2 and a one-paragraph
// message naming the problem, never a stack trace (DESIGN.md "CLI").
import { chmodSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_URL, makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { createTestRole, query, runCli } from '../helpers/cli.ts';

const projects: AlembicProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

const USERS = {
  id: 'a1a1a1a1a1a1',
  upgrade: "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))",
  downgrade: "op.drop_table('users')",
};

async function project(spec: Parameters<typeof makeProject>[0]): Promise<AlembicProject> {
  const p = await makeProject(spec);
  projects.push(p);
  return p;
}

function expectCleanUsageError(
  result: { code: number; stderr: string },
  ...needles: (string | RegExp)[]
): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain('Traceback');
  for (const needle of needles) expect(result.stderr).toMatch(needle);
}

const review = (dir: string, ...args: string[]) =>
  runCli(['review', '--project', dir, '--database', 'url', '--database-url', LOCAL_URL, ...args]);

describe('the CLI on bad input', () => {
  it('no alembic.ini', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ar-empty-'));
    expectCleanUsageError(await review(dir, '--base', 'HEAD'), /No alembic\.ini found in /);
  });

  it('an unknown flag', async () => {
    expectCleanUsageError(await runCli(['review', '--colour']), /unknown option '--colour'/);
  });

  it('--base naming a ref that does not exist', async () => {
    const p = await project({ revisions: [USERS] });
    expectCleanUsageError(
      await review(p.dir, '--base', 'no-such-branch'),
      /"no-such-branch", which is not a commit/,
    );
  });

  it('env.py raising ImportError names the module', async () => {
    const p = await project({ revisions: [USERS] });
    p.write(
      'app/models.py',
      'import sqlalchemy_utilz\nfrom sqlalchemy.orm import declarative_base\nBase = declarative_base()\n',
    );
    await p.commit('broken import');
    expectCleanUsageError(await review(p.dir, '--base', 'HEAD'), /env\.py failed/, /sqlalchemy_utilz/);
  });

  it('a project that fails to open leaves no database, role or base tree behind (the server and the base commit start meanwhile)', async () => {
    const p = await project({ revisions: [USERS] });
    p.write('app/models.py', 'raise RuntimeError("models broken")\n');
    await p.commit('broken models');
    const role = await createTestRole();
    // The tool's temporary files (the base commit's tree) in a directory of this test's own.
    const temp = mkdtempSync(path.join(tmpdir(), 'ar-errors-tmp-'));
    chmodSync(temp, 0o755);
    try {
      const result = await runCli(
        ['review', '--project', p.dir, '--database-url', role.url, '--base', 'HEAD'],
        { env: { TMPDIR: temp } },
      );
      expectCleanUsageError(result, /env\.py failed/, /models broken/);
      expect(await role.databases()).toEqual([]);
      expect(await role.roles()).toEqual([]);
      expect(readdirSync(temp).filter((name) => name.startsWith('alembic-review-base-'))).toEqual([]);
    } finally {
      await role.drop();
    }
  });

  it('an alembic.ini that is not a valid ini file (an option twice) names the file and the line', async () => {
    const p = await project({ revisions: [USERS] });
    p.write('alembic.ini', '[alembic]\nscript_location = migrations\nscript_location = migrations\n');
    await p.commit('broken ini');
    expectCleanUsageError(
      await review(p.dir, '--base', 'HEAD'),
      /alembic\.ini is not a valid ini file: .*line 3/,
    );
  });

  it('a Python without alembic', async () => {
    const p = await project({ revisions: [USERS] });
    expectCleanUsageError(
      await review(p.dir, '--base', 'HEAD', '--python', '/usr/bin/python3'),
      /alembic/,
      /--python/,
    );
  });

  it('a Python that does not exist', async () => {
    const p = await project({ revisions: [USERS] });
    expectCleanUsageError(
      await review(p.dir, '--base', 'HEAD', '--python', '/nonexistent/python'),
      /Python not found/,
    );
  });

  it('--database testcontainers with no Docker engine', async () => {
    const p = await project({ revisions: [USERS] });
    const result = await runCli(
      ['review', '--project', p.dir, '--base', 'HEAD', '--database', 'testcontainers'],
      {
        env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      },
    );
    expectCleanUsageError(result, /Docker/);
  });

  it('a syntax error in a revision names the file and line', async () => {
    const p = await project({ revisions: [USERS] });
    await p.pullRequest((q) => {
      q.write(
        'migrations/versions/b2_rev.py',
        "revision = 'b2'\ndown_revision = 'a1a1a1a1a1a1'\ndef upgrade(:\n    pass\n",
      );
    });
    expectCleanUsageError(
      await review(p.dir, '--base', 'main'),
      /syntax error in revision file .*b2_rev\.py, line 3/,
    );
  });

  it('a dangling down_revision names the file', async () => {
    const p = await project({ revisions: [USERS] });
    await p.pullRequest((q) => q.addRevision({ id: 'b2b2b2b2b2b2', down: 'ffffffffffff', upgrade: 'pass' }));
    expectCleanUsageError(
      await review(p.dir, '--base', 'main'),
      /b2b2b2b2b2b2_rev\.py: down_revision 'ffffffffffff' does not exist/,
    );
  });

  it('a cycle in the down_revision chain names the files', async () => {
    const p = await project({ revisions: [USERS] });
    await p.pullRequest((q) => {
      q.addRevision({ id: 'c1c1c1c1c1c1', down: 'c2c2c2c2c2c2', upgrade: 'pass' });
      q.addRevision({ id: 'c2c2c2c2c2c2', down: 'c1c1c1c1c1c1', upgrade: 'pass' });
    });
    expectCleanUsageError(
      await review(p.dir, '--base', 'main'),
      /cycle/,
      /c1c1c1c1c1c1_rev\.py/,
      /c2c2c2c2c2c2_rev\.py/,
    );
  });

  it('a duplicate revision id names both files', async () => {
    const p = await project({ revisions: [USERS] });
    await p.pullRequest((q) => {
      q.write(
        'migrations/versions/copy_rev.py',
        "revision = 'a1a1a1a1a1a1'\ndown_revision = None\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n",
      );
    });
    expectCleanUsageError(
      await review(p.dir, '--base', 'main'),
      /declared twice/,
      /copy_rev\.py/,
      /a1a1a1a1a1a1_rev\.py/,
    );
  });

  it('an env.py that connects elsewhere is redirected to the throwaway database', async () => {
    const table = `ar_hostile_${Date.now()}`;
    const p = await project({
      env: 'hostile',
      revisions: [
        { id: 'h1h1h1h1h1h1', upgrade: `op.create_table('${table}', sa.Column('id', sa.Integer()))` },
      ],
    });
    await p.pullRequest((q) =>
      q.addRevision({
        id: 'h2h2h2h2h2h2',
        down: 'h1h1h1h1h1h1',
        upgrade: `op.add_column('${table}', sa.Column('note', sa.Text()))`,
      }),
    );
    const result = await review(p.dir, '--base', 'main', '--format', 'json', '--fail-on', 'never');
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { revisions: { id: string; applied: boolean }[] };
    expect(report.revisions.find((r) => r.id === 'h2h2h2h2h2h2')?.applied).toBe(true);
    const leaked = await query('SELECT to_regclass($1) AS t', [table]);
    expect(leaked[0]?.t).toBeNull();
  });

  it('a connection that bypasses the redirection is stopped before its first statement runs there', async () => {
    const table = `ar_bypass_${Date.now()}`;
    const p = await project({
      env: 'bypass',
      revisions: [
        { id: 'k1k1k1k1k1k1', upgrade: `op.create_table('${table}', sa.Column('id', sa.Integer()))` },
      ],
    });
    const result = await review(p.dir, '--since', 'k1k1k1k1k1k1');
    expectCleanUsageError(
      result,
      /Stopped for safety/,
      /database 'postgres' on 127\.0\.0\.1 port 5432/,
      /bypassed/,
    );
    const leaked = await query('SELECT to_regclass($1) AS t', [table]);
    expect(leaked[0]?.t).toBeNull();
  });

  it('too many new revisions', async () => {
    const p = await project({ revisions: [USERS] });
    await p.pullRequest((q) => {
      q.addRevision({ id: 'd1d1d1d1d1d1', down: 'a1a1a1a1a1a1', upgrade: 'pass' });
      q.addRevision({ id: 'd2d2d2d2d2d2', down: 'd1d1d1d1d1d1', upgrade: 'pass' });
    });
    expectCleanUsageError(
      await review(p.dir, '--base', 'main', '--max-new-revisions', '1'),
      /adds 2 revisions, more than max-new-revisions \(1\)/,
    );
  });
});
