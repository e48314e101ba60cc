// The pull request's base commit in a shallow checkout: fetched one commit
// deep from origin when missing, left alone when present.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureCommit } from '../../src/github/base-commit.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let temp: string;
let origin: string;
let clone: string;
let baseSha: string;

describe('base commit', () => {
  beforeAll(async () => {
    temp = await mkdtemp(path.join(tmpdir(), 'alembic-review-base-'));
    origin = path.join(temp, 'origin');
    await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [origin]);
    baseSha = String((await execa('git', ['rev-parse', 'main'], { cwd: origin })).stdout).trim();
    clone = path.join(temp, 'clone');
    await execa('git', ['clone', '-q', '--depth=1', '--branch', 'pr', `file://${origin}`, clone]);
  });
  afterAll(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  test('fetched when the shallow clone lacks it, then already there', async () => {
    const present = await execa('git', ['cat-file', '-e', `${baseSha}^{commit}`], {
      cwd: clone,
      reject: false,
    });
    expect(present.exitCode).not.toBe(0);
    expect(await ensureCommit(clone, baseSha)).toBe(true);
    expect(await ensureCommit(clone, baseSha)).toBe(false);
  });

  test('a commit origin does not have, or a malformed one, is a clear error', async () => {
    await expect(ensureCommit(clone, 'f'.repeat(40))).rejects.toThrow(
      /is not in the checkout, and `git fetch --depth=1 origin f{40}` failed/,
    );
    await expect(ensureCommit(clone, '--upload-pack=evil')).rejects.toThrow(/is not a commit id/);
  });
});
