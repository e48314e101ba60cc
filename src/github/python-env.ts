// Zero set-up on GitHub: when the workflow gives no `python` input and the
// project has no .venv, the action makes the project's Python environment
// itself, from what the project already declares — uv.lock (uv sync),
// poetry.lock (poetry install), requirements*.txt (pip), or the [project]
// dependencies of pyproject.toml (pip) — in a virtualenv restored from and
// saved to the actions cache, keyed by the lock file. uv and poetry are
// installed from PyPI into a tools virtualenv of their own when the runner
// does not have them.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse as parseToml } from 'smol-toml';
import { UsageError } from '../errors.ts';

export type ManifestKind = 'uv' | 'poetry' | 'requirements' | 'pyproject';

export interface Manifest {
  kind: ManifestKind;
  /** The directory it is in (where uv / poetry run). */
  dir: string;
  /** The files whose content decides the environment (the cache key). */
  files: string[];
}

/** What the cache is (the actions cache on GitHub; tests give their own). */
export interface VenvCache {
  available(): boolean;
  restore(paths: string[], key: string): Promise<string | undefined>;
  save(paths: string[], key: string): Promise<void>;
}

export interface PythonSetupOptions {
  /** The project directory (where alembic.ini is). */
  projectDir: string;
  /** The repository root: manifests are looked for from projectDir up to here. */
  root: string;
  /** Where the virtualenvs go (RUNNER_TEMP on GitHub). */
  workDir: string;
  /** The interpreter the virtualenv is made from. */
  basePython?: string;
  cache: VenvCache | null;
  log: (line: string) => void;
}

export interface PythonSetup {
  python: string;
  manifest: Manifest;
  cacheKey: string;
  restored: boolean;
}

function requirementFiles(names: readonly string[]): string[] {
  const files = names.filter((n) => /^requirements.*\.txt$/.test(n)).sort();
  // requirements.txt alone when there is one; else all of them (requirements-dev.txt, …).
  return files.includes('requirements.txt') ? ['requirements.txt'] : files;
}

async function pyprojectDependencies(file: string): Promise<string[] | null> {
  try {
    const document = parseToml(await readFile(file, 'utf8')) as { project?: { dependencies?: unknown } };
    const deps = document.project?.dependencies;
    return Array.isArray(deps) && deps.length > 0 ? deps.map(String) : null;
  } catch {
    return null;
  }
}

/** The nearest directory from projectDir up to root that declares the project's dependencies. */
export async function findManifest(projectDir: string, root: string): Promise<Manifest | null> {
  let dir = path.resolve(projectDir);
  const top = path.resolve(root);
  for (;;) {
    const names = await readdir(dir).catch(() => [] as string[]);
    const has = (name: string): boolean => names.includes(name);
    const at = (kind: ManifestKind, files: string[]): Manifest => ({
      kind,
      dir,
      files: files.map((f) => path.join(dir, f)),
    });
    if (has('uv.lock')) return at('uv', ['uv.lock', ...(has('pyproject.toml') ? ['pyproject.toml'] : [])]);
    if (has('poetry.lock')) return at('poetry', ['poetry.lock', 'pyproject.toml'].filter(has));
    const requirements = requirementFiles(names);
    if (requirements.length > 0) return at('requirements', requirements);
    if (has('pyproject.toml') && (await pyprojectDependencies(path.join(dir, 'pyproject.toml'))) !== null)
      return at('pyproject', ['pyproject.toml']);
    if (dir === top || path.dirname(dir) === dir || !dir.startsWith(top)) return null;
    dir = path.dirname(dir);
  }
}

async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<void> {
  const result = await execa(command, args, {
    cwd: options.cwd,
    env: { PIP_DISABLE_PIP_VERSION_CHECK: '1', ...options.env },
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) {
    const output = result.all.trim().split('\n').slice(-15).join('\n');
    throw new UsageError(
      'project',
      `Setting up the project's Python failed: \`${[path.basename(command), ...args].join(' ')}\` exited with ${String(result.exitCode ?? result.signal)}: ${output.split('\n').at(-1) ?? ''}. Give the action a python input (a Python that has the project's dependencies) if the project is installed another way.`,
      { detail: output },
    );
  }
}

async function pythonVersion(python: string): Promise<string> {
  const result = await execa(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    reject: false,
  });
  if (result.exitCode !== 0)
    throw new UsageError('project', `No Python to set up the project with: ${python} does not run.`);
  return result.stdout.trim();
}

/** The cache key: platform, Python version, the manifest's kind and the content of its files. */
export async function cacheKey(manifest: Manifest, version: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of manifest.files)
    hash
      .update(path.basename(file))
      .update('\0')
      .update(await readFile(file));
  return `alembic-review-venv-v1-${platform()}-${arch()}-py${version}-${manifest.kind}-${hash.digest('hex').slice(0, 20)}`;
}

const bin = (venv: string, name: string): string => path.join(venv, 'bin', name);

/** A command on PATH, or one pip-installed into a tools virtualenv under workDir. */
async function tool(
  name: 'uv' | 'poetry',
  basePython: string,
  workDir: string,
  log: (l: string) => void,
): Promise<string> {
  const found = await execa(name, ['--version'], { reject: false });
  if (found.exitCode === 0) return name;
  const tools = path.join(workDir, `alembic-review-${name}`);
  if (!existsSync(bin(tools, name))) {
    log(`alembic-review: installing ${name} from PyPI`);
    await run(basePython, ['-m', 'venv', tools], { cwd: workDir });
    await run(bin(tools, 'python'), ['-m', 'pip', 'install', '--quiet', name], { cwd: workDir });
  }
  return bin(tools, name);
}

async function build(manifest: Manifest, venv: string, options: PythonSetupOptions): Promise<void> {
  const basePython = options.basePython ?? 'python3';
  const venvEnv = {
    VIRTUAL_ENV: venv,
    PATH: `${path.join(venv, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  switch (manifest.kind) {
    case 'uv': {
      const uv = await tool('uv', basePython, options.workDir, options.log);
      await run(uv, ['sync', '--frozen', '--no-install-project', '--python', basePython], {
        cwd: manifest.dir,
        env: { UV_PROJECT_ENVIRONMENT: venv, UV_PYTHON_DOWNLOADS: 'never' },
      });
      return;
    }
    case 'poetry': {
      const poetry = await tool('poetry', basePython, options.workDir, options.log);
      await run(basePython, ['-m', 'venv', venv], { cwd: manifest.dir });
      // With VIRTUAL_ENV set, poetry installs into that environment.
      await run(poetry, ['install', '--no-root', '--no-interaction'], {
        cwd: manifest.dir,
        env: { ...venvEnv, POETRY_VIRTUALENVS_CREATE: 'false' },
      });
      return;
    }
    case 'requirements':
      await run(basePython, ['-m', 'venv', venv], { cwd: manifest.dir });
      await run(
        bin(venv, 'python'),
        ['-m', 'pip', 'install', '--quiet', ...manifest.files.flatMap((f) => ['-r', f])],
        { cwd: manifest.dir },
      );
      return;
    case 'pyproject': {
      const deps = (await pyprojectDependencies(manifest.files[0] ?? '')) ?? [];
      await run(basePython, ['-m', 'venv', venv], { cwd: manifest.dir });
      await run(bin(venv, 'python'), ['-m', 'pip', 'install', '--quiet', ...deps], { cwd: manifest.dir });
      return;
    }
  }
}

async function works(python: string): Promise<boolean> {
  const result = await execa(python, ['-c', 'import alembic, sqlalchemy'], { reject: false });
  return result.exitCode === 0;
}

/** Sets up (or restores) the project's virtualenv; null when the project declares no dependencies. */
export async function setUpPython(options: PythonSetupOptions): Promise<PythonSetup | null> {
  const manifest = await findManifest(options.projectDir, options.root);
  if (manifest === null) return null;
  const version = await pythonVersion(options.basePython ?? 'python3');
  const key = await cacheKey(manifest, version);
  const venv = path.join(options.workDir, 'alembic-review-venv', key);
  const python = bin(venv, 'python');
  const cache = options.cache !== null && options.cache.available() ? options.cache : null;
  const where = path.relative(options.root, manifest.files[0] ?? manifest.dir) || manifest.dir;

  if (cache !== null) {
    const hit = await cache.restore([venv], key).catch((error: unknown) => {
      options.log(
        `alembic-review: the cache could not be read (${(error as Error).message}); building the environment`,
      );
      return undefined;
    });
    if (hit !== undefined && (await works(python))) {
      options.log(`alembic-review: restored the project's Python environment from the cache (${where})`);
      return { python, manifest, cacheKey: key, restored: true };
    }
  }
  options.log(`alembic-review: setting up the project's Python from ${where} (${manifest.kind})`);
  await rm(venv, { recursive: true, force: true });
  await mkdir(path.dirname(venv), { recursive: true });
  await build(manifest, venv, options);
  if (!(await works(python))) {
    throw new UsageError(
      'project',
      `The environment made from ${where} has no Alembic or SQLAlchemy (\`import alembic, sqlalchemy\` fails), so the migrations cannot run. Add them to the project's dependencies, or give the action a python input.`,
    );
  }
  if (cache !== null) {
    await cache.save([venv], key).catch((error: unknown) => {
      options.log(`alembic-review: the environment was not cached (${(error as Error).message})`);
    });
  }
  return { python, manifest, cacheKey: key, restored: false };
}

/** The actions cache (@actions/cache), when the runner provides it. */
export async function actionsCache(): Promise<VenvCache> {
  const cache = await import('@actions/cache');
  return {
    available: () => cache.isFeatureAvailable(),
    restore: (paths, key) => cache.restoreCache(paths, key),
    save: async (paths, key) => {
      await cache.saveCache(paths, key);
    },
  };
}

/** Where the action's virtualenvs go. */
export function workDirectory(): string {
  return process.env.RUNNER_TEMP ?? tmpdir();
}
