// The base commit's code, opened in a bridge of its own: its models are the
// base commit's, not the pull request's, also when the project is installed
// in editable mode (src layout) or imported through prepend_sys_path.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bridge } from '../../src/alembic/bridge.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { resolveOptions } from '../../src/options.ts';
import { isBaseTree, openBaseTree, type BaseTree } from '../../src/replay/base-tree.ts';
import { findChanges } from '../../src/replay/changes.ts';
import { buildModels } from '../../src/replay/models.ts';
import type { ReplayContext } from '../../src/replay/replay.ts';
import { teardownAll } from '../../src/teardown.ts';
import { LOCAL_URL, makeProject, VENV, type AlembicProject } from '../helpers/alembic-project.ts';

const MODELS_V1 = `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
`;
const MODELS_V2 = MODELS_V1.replace(
  '    name = Column(String(50))\n',
  '    name = Column(String(50))\n    email = Column(String(100))\n',
);
const REVISIONS = [
  {
    id: 'b1b1b1b1b1b1',
    upgrade:
      "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(50)))",
  },
];

const provider = new UrlProvider(LOCAL_URL);
const cleanup: (() => void)[] = [];
beforeAll(async () => {
  await provider.start();
});
afterAll(async () => {
  await provider.stop();
  await teardownAll();
  for (const c of cleanup) c();
});

/** The model columns of users as each side's models database has them. */
async function userColumns(
  project: AlembicProject,
  python: string,
): Promise<{ pr: string[]; base: string[] }> {
  const options = resolveOptions({ projectDir: project.dir, base: 'main', python });
  const bridge = new Bridge({ python, projectDir: project.dir, passEnv: [], revisionTimeoutMs: 60_000 });
  const load = await bridge.call('load', { configFile: options.configFile, tomlFile: options.tomlFile });
  const changes = await findChanges(options, load);
  const opened = await openBaseTree(options, changes, python, () => undefined);
  if (!isBaseTree(opened)) throw new Error(opened.unavailable);
  const base: BaseTree = opened;
  const context = (b: Bridge): ReplayContext => ({
    bridge: b,
    python,
    provider,
    urlEnv: [],
    extensions: [],
    log: () => undefined,
  });
  try {
    const pr = await buildModels(context(bridge), null);
    const old = await buildModels(context(base.bridge), null);
    const names = (schema: typeof pr.schema): string[] =>
      (schema?.tables['public.users']?.columns ?? []).map((c) => c.name);
    expect(base.load.revisions.map((r) => r.id)).toEqual(['b1b1b1b1b1b1']);
    // The base tree is read for its graph only; the pull request's revisions for their operations too.
    expect(base.load.revisions.map((r) => r.upgradeOps)).toEqual([undefined]);
    expect(load.revisions.every((r) => Array.isArray(r.upgradeOps))).toBe(true);
    expect(load.revisions.map((r) => r.id).sort()).toEqual(['b1b1b1b1b1b1', 'c2c2c2c2c2c2']);
    return { pr: names(pr.schema), base: names(old.schema) };
  } finally {
    await bridge.close();
    await base.close();
    expect(existsSync(base.root)).toBe(false);
  }
}

function addEmail(project: AlembicProject, modelsFile: string): void {
  project.write(modelsFile, MODELS_V2);
  project.addRevision({
    id: 'c2c2c2c2c2c2',
    down: 'b1b1b1b1b1b1',
    upgrade: "op.add_column('users', sa.Column('email', sa.String(100)))",
  });
}

describe('the base commit tree', () => {
  it('imports the base commit models through prepend_sys_path', async () => {
    const project = await makeProject({ models: MODELS_V1, revisions: REVISIONS });
    cleanup.push(() => {
      project.remove();
    });
    await project.pullRequest((p) => {
      addEmail(p, 'app/models.py');
    });
    const columns = await userColumns(project, path.join(VENV, 'bin/python'));
    expect(columns.pr).toEqual(['id', 'name', 'email']);
    expect(columns.base).toEqual(['id', 'name']);
  });

  it('imports the base commit models of a src-layout project installed in editable mode', async () => {
    const project = await makeProject({ models: MODELS_V1, revisions: REVISIONS });
    cleanup.push(() => {
      project.remove();
    });
    // src layout, no prepend_sys_path: only the editable install finds `app`.
    rmSync(path.join(project.dir, 'app'), { recursive: true });
    project.write('src/app/__init__.py', '');
    project.write('src/app/models.py', MODELS_V1);
    project.write(
      'alembic.ini',
      '[alembic]\nscript_location = migrations\nsqlalchemy.url = postgresql://localhost/placeholder\n',
    );
    project.write(
      'pyproject.toml',
      '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "ar-editable-app"\nversion = "0"\n\n[tool.setuptools.packages.find]\nwhere = ["src"]\n',
    );
    await project.commit('src layout');
    // A venv of its own that sees the test venv's packages and has the project installed editable.
    const venv = mkdtempSync(path.join(tmpdir(), 'ar-editable-venv-'));
    // The review may run the project's Python as an unprivileged user: it must be able to read the venv.
    chmodSync(venv, 0o755);
    cleanup.push(() => {
      rmSync(venv, { recursive: true, force: true });
    });
    await execa(path.join(VENV, 'bin/python'), ['-m', 'venv', venv]);
    const site = (
      await execa(path.join(venv, 'bin/python'), ['-c', 'import site; print(site.getsitepackages()[0])'])
    ).stdout;
    const testSite = (
      await execa(path.join(VENV, 'bin/python'), [
        '-c',
        'import sqlalchemy, os; print(os.path.dirname(os.path.dirname(sqlalchemy.__file__)))',
      ])
    ).stdout;
    writeFileSync(path.join(site, 'ar-test-venv.pth'), `${testSite}\n`);
    const pip = path.join(venv, 'bin/pip');
    const quiet = { env: { PIP_DISABLE_PIP_VERSION_CHECK: '1' } };
    // setuptools >= 70 builds PEP 660 editable wheels without the wheel package.
    await execa(pip, ['install', '--quiet', 'setuptools>=70'], quiet);
    await execa(pip, ['install', '--quiet', '--no-deps', '--no-build-isolation', '-e', project.dir], quiet);
    await project.pullRequest((p) => {
      addEmail(p, 'src/app/models.py');
    });
    const columns = await userColumns(project, path.join(venv, 'bin/python'));
    expect(columns.pr).toEqual(['id', 'name', 'email']);
    expect(columns.base).toEqual(['id', 'name']);
  }, 180_000);

  it('is unavailable, with the reason, when there is no base commit or no config there', async () => {
    const project = await makeProject({ models: MODELS_V1, revisions: REVISIONS });
    cleanup.push(() => {
      project.remove();
    });
    const python = path.join(VENV, 'bin/python');
    const since = resolveOptions({ projectDir: project.dir, since: 'b1b1b1b1b1b1' });
    const bridge = new Bridge({ python, projectDir: project.dir, passEnv: [], revisionTimeoutMs: 60_000 });
    try {
      const load = await bridge.call('load', { configFile: since.configFile, tomlFile: null });
      const sinceChanges = await findChanges(since, load);
      expect(await openBaseTree(since, sinceChanges, python, () => undefined)).toEqual({
        unavailable: 'there is no base commit (--since names a revision)',
      });
      await project.pullRequest((p) => {
        p.write('other.ini', '[alembic]\nscript_location = migrations\n');
      });
      const other = resolveOptions({ projectDir: project.dir, base: 'main', config: 'other.ini' });
      const opened = await openBaseTree(other, await findChanges(other, load), python, () => undefined);
      expect(opened).toMatchObject({
        unavailable: expect.stringMatching(
          /^the Alembic configuration does not exist at the base commit [0-9a-f]{7}$/,
        ),
      });
    } finally {
      await bridge.close();
    }
  });
});
