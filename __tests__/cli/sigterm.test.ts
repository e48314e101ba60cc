// SIGTERM to the CLI in the middle of a review: it tears down what it
// started (databases, containers, the Python child) and exits 143.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, VENV } from '../helpers/alembic-project.ts';
import { createTestRole, startCli } from '../helpers/cli.ts';

let work: string;
let blog: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'ar-sigterm-'));
  blog = path.join(work, 'blog');
  await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [blog, '--venv', VENV]);
  // A revision that keeps the replay busy long enough to be interrupted.
  await execa(
    'bash',
    [
      '-c',
      `cat > migrations/versions/ffff00000001_slow.py <<'PY'
revision = 'ffff00000001'
down_revision = '10d55bdb4f5a'
def upgrade():
    import time
    time.sleep(60)
def downgrade():
    pass
PY
git add -A && git -c user.name=t -c user.email=t@e commit -qm slow`,
    ],
    { cwd: blog },
  );
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function pythonChildren(marker: string): Promise<string> {
  const ps = await execa('ps', ['-eo', 'pid,args'], { reject: false });
  return String(ps.stdout)
    .split('\n')
    .filter((l) => l.includes('alembic-review-bridge.py') && l.includes(marker))
    .join('\n');
}

async function interruptDuringReplay(args: string[]): Promise<{ code: number | undefined; stderr: string }> {
  const child = startCli(['review', '--project', blog, '--base', 'main', ...args]);
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the review never reached the slow revision:\n${stderr}`));
    }, 120_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // The base is applied and seeded: the slow revision is running now.
      if (/seeded \d+ of \d+ base tables/.test(stderr)) {
        clearTimeout(timer);
        setTimeout(resolve, 1500);
      }
    });
  });
  child.kill('SIGTERM');
  const result = await child;
  return { code: result.exitCode, stderr: stderr + String(result.stderr) };
}

describe('SIGTERM to the CLI', () => {
  it('drops the databases it created and stops the Python child (url provider)', async () => {
    const role = await createTestRole();
    try {
      const result = await interruptDuringReplay(['--database', 'url', '--database-url', role.url]);
      expect(result.code, result.stderr).toBe(143);
      expect(result.stderr).toContain('received SIGTERM: review cancelled, cleaning up');
      expect(await role.databases()).toEqual([]);
      expect(await pythonChildren(blog)).toBe('');
    } finally {
      await role.drop();
    }
  });

  it('removes the container it started (testcontainers provider)', async () => {
    const image = process.env.ALEMBIC_REVIEW_TEST_IMAGE ?? 'local/postgres:15';
    const before = await execa('docker', ['ps', '-aq', '--filter', 'label=alembic-review.run']);
    const result = await interruptDuringReplay(['--database', 'testcontainers', '--postgres-image', image]);
    expect(result.code, result.stderr).toBe(143);
    const after = await execa('docker', ['ps', '-aq', '--filter', 'label=alembic-review.run']);
    const left = String(after.stdout)
      .split('\n')
      .filter((id) => id !== '' && !String(before.stdout).includes(id));
    expect(left).toEqual([]);
  });
});
