// A clone that lacks the contents of some files of the base commit (a
// partial clone, a mirror without its largest blobs): the base tree is
// unpacked without those files, and says which.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { extractCommit } from '../../src/replay/base-tree.ts';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function repositoryWithoutBlob(): Promise<{ dir: string; commit: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ar-partial-'));
  made.push(dir);
  const git = (...args: string[]) => execa('git', args, { cwd: dir });
  await git('init', '-q');
  writeFileSync(path.join(dir, 'models.py'), 'X = 1\n');
  writeFileSync(path.join(dir, 'big.json'), '{"big": true}\n');
  await git('add', '.');
  await git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'base');
  const commit = (await git('rev-parse', 'HEAD')).stdout;
  const blob = (await git('rev-parse', 'HEAD:big.json')).stdout;
  rmSync(path.join(dir, '.git/objects', blob.slice(0, 2), blob.slice(2)));
  return { dir, commit };
}

describe('extractCommit', () => {
  it('unpacks the whole tree when every blob is there', async () => {
    const { dir, commit } = await repositoryWithoutBlob();
    // Put the blob back: a complete clone.
    await execa('git', ['hash-object', '-w', 'big.json'], { cwd: dir });
    const { root, missing } = await extractCommit(dir, commit);
    made.push(root);
    expect(missing).toEqual([]);
    expect(existsSync(path.join(root, 'big.json'))).toBe(true);
  });

  it('unpacks the tree without the files whose contents the clone lacks, and names them', async () => {
    const { dir, commit } = await repositoryWithoutBlob();
    await expect(execa('git', ['archive', commit], { cwd: dir })).rejects.toThrow();
    const { root, missing } = await extractCommit(dir, commit);
    made.push(root);
    expect(missing).toEqual(['big.json']);
    expect(readFileSync(path.join(root, 'models.py'), 'utf8')).toBe('X = 1\n');
    expect(existsSync(path.join(root, 'big.json'))).toBe(false);
  });

  it('still fails on a commit that does not exist', async () => {
    const { dir } = await repositoryWithoutBlob();
    await expect(extractCommit(dir, '0123456789abcdef0123456789abcdef01234567')).rejects.toThrow();
  });
});
