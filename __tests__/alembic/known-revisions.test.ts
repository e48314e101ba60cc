// Revision files known from the base cache are not executed when the project
// loads (issue 16: Alembic imports every revision file, a fifth of a second on
// a long history): only those whose bytes still hash as recorded and that
// import nothing but libraries, so that a change breaking an old revision's
// import of the project's code is still seen. A known file runs when first
// used (its upgrade()).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/alembic/bridge.ts';
import type { KnownRevision, LoadResult } from '../../src/alembic/protocol.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { migrate } from '../../src/replay/replay.ts';
import { introspect } from '../../src/schema/introspect.ts';
import { teardownAll } from '../../src/teardown.ts';
import {
  LOCAL_URL,
  makeProject,
  ROOT,
  VENV_OLDEST,
  type AlembicProject,
} from '../helpers/alembic-project.ts';
import { closeBridges, loadedBridge, PYTHON, replayContext } from '../helpers/bridge.ts';

// Alembic 1.8 loads revision files through another function (_from_filename): both are covered.
const PYTHONS = [PYTHON, path.join(VENV_OLDEST, 'bin/python')];

const REVISIONS = [
  {
    id: 'a1a1a1a1a1a1',
    message: 'create users',
    upgrade: "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))",
  },
  {
    id: 'b2b2b2b2b2b2',
    down: 'a1a1a1a1a1a1',
    // Imports the project's code: loaded as Alembic loads it, known or not.
    upgrade: "from app import models  # noqa\nop.add_column('users', sa.Column('name', sa.String(50)))",
  },
  {
    id: 'c3c3c3c3c3c3',
    down: 'b2b2b2b2b2b2',
    upgrade: "op.create_table('tags', sa.Column('id', sa.Integer(), primary_key=True))",
  },
];

const bridges: Bridge[] = [];
const provider = new UrlProvider(LOCAL_URL);
afterAll(async () => {
  await closeBridges(bridges);
  await provider.stop();
  await teardownAll();
});

const open = (project: AlembicProject, known?: Record<string, KnownRevision>, python = PYTHON) =>
  loadedBridge(project, bridges, {
    python,
    args: { staticFacts: false, ...(known === undefined ? {} : { knownRevisions: known }) },
  });

/** Each revision as the cache records it, with the hash of its bytes (or another hash). */
function recorded(load: LoadResult, hashOf: (file: string) => string): Record<string, KnownRevision> {
  return Object.fromEntries(
    load.revisions.map((r) => [
      r.path,
      {
        sha256: hashOf(r.path),
        id: r.id,
        downRevisions: r.downRevisions,
        dependsOn: r.dependsOn,
        branchLabels: r.branchLabels,
        message: r.message,
      },
    ]),
  );
}
const bytesHash = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('revisions known from the base cache', () => {
  it.each(PYTHONS)(
    'are not executed to load, only those that import nothing but libraries, with the same graph (%s)',
    async (python) => {
      const project = await makeProject({ revisions: REVISIONS });
      const plain = await open(project, undefined, python);
      expect(plain.load.known).toBe(0);
      const known = await open(project, recorded(plain.load, bytesHash), python);
      expect(known.load.known).toBe(2);
      expect(known.load.revisions).toEqual(plain.load.revisions);
      expect(known.load.heads).toEqual(plain.load.heads);

      // Executed when used: the upgrade through them makes what they make.
      await provider.start();
      const context = replayContext(known.bridge, provider, python);
      const database = await provider.createDatabase('rows');
      const run = await migrate(context, 'upgrade', database, ['c3c3c3c3c3c3'], true);
      expect(run.failure).toBeNull();
      expect([...run.steps.keys()]).toEqual(['a1a1a1a1a1a1', 'b2b2b2b2b2b2', 'c3c3c3c3c3c3']);
      expect(
        run.steps
          .get('a1a1a1a1a1a1')
          ?.statements.map((s) => s.sql)
          .join('\n'),
      ).toMatch(/CREATE TABLE users/);
      expect(Object.keys((await introspect(database.url)).tables).sort()).toEqual([
        'public.alembic_version',
        'public.tags',
        'public.users',
      ]);
    },
  );

  it('are executed as usual when their bytes hash otherwise than recorded', async () => {
    const project = await makeProject({ revisions: REVISIONS });
    const plain = await open(project);
    const stale = await open(
      project,
      recorded(plain.load, () => '0'.repeat(64)),
    );
    expect(stale.load.known).toBe(0);
    expect(stale.load.revisions).toEqual(plain.load.revisions);
  });
});

describe('which revision files import only libraries', () => {
  async function onlyLibraries(source: string): Promise<boolean> {
    const script = `import json, sys\nsys.path.insert(0, sys.argv[1])\nfrom alembic_review_bridge.known import _imports_only_libraries\nsys.stderr.write(json.dumps(_imports_only_libraries(sys.argv[2])))`;
    const result = await execa(PYTHON, ['-c', script, path.join(ROOT, 'src/bridge'), source]);
    return JSON.parse(result.stderr) as boolean;
  }

  it.each([
    [
      'the template',
      '"""add users\n\nRevision ID: a1\n"""\nfrom typing import Sequence, Union\n\nfrom alembic import op\nimport sqlalchemy as sa\n',
    ],
    [
      'a dialect and a parenthesised list',
      'from sqlalchemy.dialects import postgresql\nfrom sqlalchemy import (\n    Column,\n    Integer,\n)\n',
    ],
    [
      'the standard library',
      'import datetime\nimport uuid, json  # ids\nfrom __future__ import annotations\n',
    ],
  ])('%s: yes', async (_name, source) => {
    expect(await onlyLibraries(source)).toBe(true);
  });

  it.each([
    ["the project's models", 'from alembic import op\nfrom app.models import User\n'],
    ['a package of the project', 'import app\n'],
    ['a relative import', 'from . import helpers\n'],
    ['a library beside the project', 'import sqlalchemy as sa, app\n'],
    ['importlib', 'import importlib\nmodels = importlib.import_module("app.models")\n'],
    ['__import__', 'models = __import__("app.models")\n'],
    ['an indented import', 'def upgrade():\n    from app.models import User\n'],
  ])('%s: no', async (_name, source) => {
    expect(await onlyLibraries(source)).toBe(false);
  });
});
