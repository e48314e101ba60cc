// Setting up the project's Python: which file declares the dependencies (the
// nearest directory that has one, a lock file first), a cache key that
// follows the lock file's content, and a cached virtualenv restored instead
// of built again (with a cache kept in a directory, standing in for the
// actions cache: same restore/save contract).
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cacheKey, findManifest, setUpPython, type VenvCache } from '../../src/github/python-env.ts';

let temp: string;

beforeAll(() => {
  temp = mkdtempSync(path.join(tmpdir(), 'alembic-review-python-env-'));
});
afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(temp, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

const PYPROJECT = '[project]\nname = "x"\nversion = "1"\ndependencies = ["alembic"]\n';

describe('which file declares the dependencies', () => {
  test.each([
    [
      { 'uv.lock': '', 'poetry.lock': '', 'requirements.txt': '', 'pyproject.toml': PYPROJECT },
      'uv',
      ['uv.lock', 'pyproject.toml'],
    ],
    [
      { 'poetry.lock': '', 'requirements.txt': '', 'pyproject.toml': PYPROJECT },
      'poetry',
      ['poetry.lock', 'pyproject.toml'],
    ],
    [
      { 'requirements.txt': '', 'requirements-dev.txt': '', 'pyproject.toml': PYPROJECT },
      'requirements',
      ['requirements.txt'],
    ],
    [
      { 'requirements-base.txt': '', 'requirements-dev.txt': '' },
      'requirements',
      ['requirements-base.txt', 'requirements-dev.txt'],
    ],
    [{ 'pyproject.toml': PYPROJECT }, 'pyproject', ['pyproject.toml']],
  ])('%j → %s', (files, kind, expected) => {
    const dir = project(`case-${kind}-${Object.keys(files).length}`, files);
    return expect(findManifest(dir, dir)).resolves.toEqual({
      kind,
      dir,
      files: expected.map((f) => path.join(dir, f)),
    });
  });

  test('a monorepo: the nearest directory up to the repository root', async () => {
    const root = project('mono', {
      'uv.lock': '',
      'pyproject.toml': PYPROJECT,
      'services/api/alembic.ini': '',
    });
    expect((await findManifest(path.join(root, 'services/api'), root))?.dir).toBe(root);
    // Not above the repository root.
    expect(await findManifest(path.join(root, 'services/api'), path.join(root, 'services'))).toBeNull();
  });

  test('a pyproject.toml without [project] dependencies declares nothing', async () => {
    const dir = project('bare', { 'pyproject.toml': '[tool.alembic]\nscript_location = "m"\n' });
    expect(await findManifest(dir, dir)).toBeNull();
  });

  test('the cache key follows the lock file, not its path', async () => {
    const a = project('key-a', { 'requirements.txt': 'alembic==1.15.2\n' });
    const b = project('key-b', { 'requirements.txt': 'alembic==1.15.2\n' });
    const c = project('key-c', { 'requirements.txt': 'alembic==1.16.5\n' });
    const key = async (dir: string): Promise<string> => cacheKey((await findManifest(dir, dir))!, '3.11.7');
    expect(await key(a)).toBe(await key(b));
    expect(await key(a)).not.toBe(await key(c));
    expect(await key(a)).toMatch(/^alembic-review-venv-v1-linux-x64-py3\.11\.7-requirements-[0-9a-f]{20}$/);
  });
});

/** The actions cache's contract, kept in a directory: restore copies back what save copied away. */
function directoryCache(dir: string): VenvCache & { saved: string[]; restored: string[] } {
  const saved: string[] = [];
  const restored: string[] = [];
  return {
    saved,
    restored,
    available: () => true,
    restore: (paths, key) => {
      const stored = path.join(dir, key);
      if (!existsSync(stored)) return Promise.resolve(undefined);
      for (const [i, p] of paths.entries())
        cpSync(path.join(stored, String(i)), p, { recursive: true, verbatimSymlinks: true });
      restored.push(key);
      return Promise.resolve(key);
    },
    save: (paths, key) => {
      for (const [i, p] of paths.entries())
        cpSync(p, path.join(dir, key, String(i)), { recursive: true, verbatimSymlinks: true });
      saved.push(key);
      return Promise.resolve();
    },
  };
}

describe('a cached environment', () => {
  test('built and saved once, then restored, and it runs', async () => {
    const dir = project('cached', { 'requirements.txt': 'alembic==1.15.2\nSQLAlchemy==2.0.40\n' });
    const cache = directoryCache(path.join(temp, 'cache'));
    const lines: string[] = [];
    const options = { projectDir: dir, root: dir, cache, log: (l: string) => lines.push(l) };
    const first = await setUpPython({ ...options, workDir: path.join(temp, 'run1') });
    expect(first?.restored).toBe(false);
    expect(cache.saved).toEqual([first?.cacheKey]);
    // The next job: a fresh runner directory at the same place (hosted runners keep their paths).
    rmSync(path.join(temp, 'run1'), { recursive: true, force: true });
    const second = await setUpPython({ ...options, workDir: path.join(temp, 'run1') });
    expect(second?.restored).toBe(true);
    expect(cache.restored).toEqual([first?.cacheKey]);
    expect(lines.join('\n')).toContain("restored the project's Python environment from the cache");
    const version = await execa(second?.python ?? '', ['-c', 'import alembic; print(alembic.__version__)']);
    expect(version.stdout.trim()).toBe('1.15.2');
  });

  test('dependencies without Alembic: a clear error naming the file', async () => {
    const dir = project('no-alembic', { 'requirements.txt': 'six\n' });
    await expect(
      setUpPython({
        projectDir: dir,
        root: dir,
        cache: null,
        workDir: path.join(temp, 'run2'),
        log: () => undefined,
      }),
    ).rejects.toThrow(/requirements\.txt has no Alembic or SQLAlchemy/);
  });
});
