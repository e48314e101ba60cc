// The revisions' static facts (their operations, read from the source) are
// read for the revisions a review replays only (issue 16: on a history of
// 273 revisions, every file's cost a tenth of a second of opening the
// project): load leaves them out, facts reads them for the files load found,
// and nothing else.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/alembic/bridge.ts';
import { inspectProject, readStaticFacts } from '../../src/alembic/project.ts';
import { teardownAll } from '../../src/teardown.ts';
import { makeProject } from '../helpers/alembic-project.ts';
import { closeBridges, projectBridge } from '../helpers/bridge.ts';

const REVISIONS = [
  { id: 'a1a1a1a1a1a1', upgrade: "op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))" },
  {
    id: 'b2b2b2b2b2b2',
    down: 'a1a1a1a1a1a1',
    upgrade: "op.add_column('t', sa.Column('name', sa.String(50), nullable=False))",
    downgrade: "op.drop_column('t', 'name')",
  },
  { id: 'c3c3c3c3c3c3', down: 'b2b2b2b2b2b2', upgrade: 'pass' },
];

describe('static facts', () => {
  const bridges: Bridge[] = [];
  afterAll(async () => {
    await closeBridges(bridges);
    await teardownAll();
  });

  const opened = async () => projectBridge(await makeProject({ revisions: REVISIONS }), bridges);

  it('are read by the review for the revisions it replays, as load reads them for all', async () => {
    const { bridge, options } = await opened();
    const project = await inspectProject(bridge, options);
    const byId = new Map(project.load.revisions.map((r) => [r.id, r]));
    expect(project.load.revisions.map((r) => r.upgradeOps)).toEqual([undefined, undefined, undefined]);

    const replayed = ['b2b2b2b2b2b2', 'c3c3c3c3c3c3'].map((id) => byId.get(id)!);
    await readStaticFacts(bridge, project, replayed);
    const all = await bridge.call('load', { configFile: options.configFile, tomlFile: options.tomlFile });
    const expected = new Map(all.revisions.map((r) => [r.id, r]));
    for (const revision of replayed) expect(revision).toEqual(expected.get(revision.id));
    expect(byId.get('b2b2b2b2b2b2')).toMatchObject({
      upgradeOps: [{ op: 'add_column', line: expect.any(Number) }],
      upgradeMayFailOnRows: true,
      downgradeEmpty: false,
    });
    expect(byId.get('c3c3c3c3c3c3')).toMatchObject({ upgradeEmpty: true, upgradeMayFailOnRows: false });
    // Not replayed: not read.
    expect(byId.get('a1a1a1a1a1a1')?.upgradeOps).toBeUndefined();
  });

  it('are read only for revision files the project loaded', async () => {
    const { bridge, options } = await opened();
    const load = await bridge.call('load', {
      configFile: options.configFile,
      tomlFile: options.tomlFile,
      staticFacts: false,
    });
    const revision = load.revisions[0]!.path;
    const outside = path.join(path.dirname(load.envPy), 'env.py');
    const { facts } = await bridge.call('facts', { paths: [revision, outside, '/etc/passwd'] });
    expect(Object.keys(facts)).toEqual([revision]);
  });
});
