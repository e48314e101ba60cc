// SIGTERM or SIGINT to the CLI in the middle of a review: it tears down what
// it started (databases, the run's role, containers, clusters, the Python
// child), exits 128 + the signal, and says so in exactly one line — no second
// error from the pipeline it interrupted. Moments: while a revision runs, and
// while the base tables are being filled with rows. (bench/cancel.ts sends
// signals at random moments, many times.)
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, VENV } from '../helpers/alembic-project.ts';
import { createTestRole, query, startCli } from '../helpers/cli.ts';
import { clusterDirectory, containersLabelled } from '../database/helpers.ts';

const IMAGE = process.env.ALEMBIC_REVIEW_TEST_IMAGE ?? 'local/postgres:15';
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
  // Rows that take long to insert: the seeding step can be interrupted.
  writeFileSync(path.join(work, 'slow-seed.sql'), 'SELECT pg_sleep(60);\n');
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

interface Interrupted {
  code: number | undefined;
  stderr: string;
}

/** Starts a review, waits for a progress line (and a moment more), then sends the signal. */
async function interrupt(
  args: string[],
  when: RegExp,
  signal: 'SIGTERM' | 'SIGINT',
  delayMs = 1500,
): Promise<Interrupted> {
  const child = startCli(['review', '--project', blog, '--base', 'main', ...args]);
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the review never got to ${String(when)}:\n${stderr}`));
    }, 120_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (when.test(stderr)) {
        clearTimeout(timer);
        setTimeout(resolve, delayMs);
      }
    });
  });
  child.kill(signal);
  const result = await child;
  return { code: result.exitCode, stderr: String(result.stderr) };
}

/** Exactly one line of ours after the signal: that it was cancelled. */
function expectCancelled(result: Interrupted, signal: 'SIGTERM' | 'SIGINT'): void {
  expect(result.code, result.stderr).toBe(signal === 'SIGTERM' ? 143 : 130);
  const ours = result.stderr.split('\n').filter((line) => line.startsWith('alembic-review:'));
  expect(ours).toEqual([`alembic-review: received ${signal}: review cancelled, cleaning up`]);
  const after = result.stderr.split(ours[0] ?? '\n')[1] ?? '';
  expect(after.trim(), result.stderr).toBe('');
}

const labelledContainers = (): Promise<string[]> => containersLabelled('alembic-review.run');

const SEEDING = /filling the \d+ base tables with rows/;
const SLOW_REVISION = /seeded \d+ of \d+ base tables/;

describe('SIGTERM and SIGINT to the CLI', () => {
  it('url provider, while a revision runs: drops its databases and role, stops the Python child', async () => {
    const role = await createTestRole();
    try {
      const result = await interrupt(
        ['--database', 'url', '--database-url', role.url],
        SLOW_REVISION,
        'SIGTERM',
      );
      expectCancelled(result, 'SIGTERM');
      expect(await role.databases()).toEqual([]);
      expect(await role.roles()).toEqual([]);
      expect(await pythonChildren(blog)).toBe('');
    } finally {
      await role.drop();
    }
  });

  it('url provider, while seeding (SIGINT): the same, and no second error', async () => {
    const role = await createTestRole();
    try {
      const child = startCli([
        'review',
        '--project',
        blog,
        '--base',
        'main',
        '--database',
        'url',
        '--database-url',
        role.url,
        '--seed-sql',
        path.join(work, 'slow-seed.sql'),
      ]);
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // The seed SQL is running on the server (as the run's role): interrupt it there.
      for (let i = 0; ; i++) {
        const sleeping = await query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%' AND usename LIKE 'alembic_review_r_%' AND datname LIKE 'alembic_review_%'",
        );
        if ((sleeping[0]?.n ?? 0) > 0 && SEEDING.test(stderr)) break;
        if (i > 600) throw new Error(`seeding never started:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      child.kill('SIGINT');
      const result = await child;
      expectCancelled({ code: result.exitCode, stderr: String(result.stderr) }, 'SIGINT');
      expect(await role.databases()).toEqual([]);
      expect(await role.roles()).toEqual([]);
      expect(await pythonChildren(blog)).toBe('');
    } finally {
      await role.drop();
    }
  });

  it('testcontainers provider, while a revision runs: removes the container', async () => {
    const before = await labelledContainers();
    const result = await interrupt(
      ['--database', 'testcontainers', '--postgres-image', IMAGE],
      SLOW_REVISION,
      'SIGTERM',
    );
    expectCancelled(result, 'SIGTERM');
    expect((await labelledContainers()).filter((id) => !before.includes(id))).toEqual([]);
    expect(await pythonChildren(blog)).toBe('');
  });

  it('testcontainers provider, while seeding: removes the stopped container too', async () => {
    const before = await labelledContainers();
    const result = await interrupt(
      [
        '--database',
        'testcontainers',
        '--postgres-image',
        IMAGE,
        '--seed-sql',
        path.join(work, 'slow-seed.sql'),
      ],
      SEEDING,
      'SIGTERM',
    );
    expectCancelled(result, 'SIGTERM');
    expect((await labelledContainers()).filter((id) => !before.includes(id))).toEqual([]);
  });

  it('embedded provider, while seeding (SIGINT): the cluster and its directory are gone', async () => {
    const result = await interrupt(
      ['--database', 'embedded', '--seed-sql', path.join(work, 'slow-seed.sql')],
      SEEDING,
      'SIGINT',
    );
    expectCancelled(result, 'SIGINT');
    const cluster = clusterDirectory(result.stderr);
    expect(existsSync(cluster)).toBe(false);
    const ps = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(
      String(ps.stdout)
        .split('\n')
        .filter((l) => l.includes(cluster)),
    ).toEqual([]);
    expect(await pythonChildren(blog)).toBe('');
  });
});
