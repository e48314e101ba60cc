// The models database is built while the base gets its rows, before the
// head exists (issue 16: the project's Python is idle then). Made whole for
// the head afterwards (modelsForHead): env.py's include_object applied to the
// head's own objects too, and built again when the bridge restarted in
// between (a revision ran out of time), since its child then no longer holds
// the models the ORM smoke test needs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/alembic/bridge.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { buildModels, modelsForHead, ormSmokeTest } from '../../src/replay/models.ts';
import { migrate, type HeadState, type ReplayContext } from '../../src/replay/replay.ts';
import { introspect } from '../../src/schema/introspect.ts';
import { teardownAll } from '../../src/teardown.ts';
import { LOCAL_URL, makeProject } from '../helpers/alembic-project.ts';
import { closeBridges, loadedBridge, replayContext } from '../helpers/bridge.ts';
const MODELS = `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
`;

const provider = new UrlProvider(LOCAL_URL);
const bridges: Bridge[] = [];
beforeAll(async () => {
  await provider.start();
});
afterAll(async () => {
  await closeBridges(bridges);
  await provider.stop();
  await teardownAll();
});

/** A project whose env.py filters out a table its migrations make and its models lack, migrated to its head. */
async function migratedProject(): Promise<{ context: ReplayContext; head: HeadState }> {
  const project = await makeProject({
    models: MODELS,
    revisions: [
      {
        id: 'a1a1a1a1a1a1',
        upgrade:
          "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(50)))\nop.create_table('legacy_stats', sa.Column('n', sa.Integer()))",
      },
    ],
  });
  const envPy = 'migrations/env.py';
  project.write(
    envPy,
    readFileSync(path.join(project.dir, envPy), 'utf8')
      .replace(
        'target_metadata = Base.metadata',
        'target_metadata = Base.metadata\n\n\ndef include_object(obj, name, type_, reflected, compare_to):\n    return not (type_ == "table" and name == "legacy_stats")\n',
      )
      .replaceAll(
        'context.configure(connection=connection, target_metadata=target_metadata)',
        'context.configure(connection=connection, target_metadata=target_metadata, include_object=include_object)',
      ),
  );
  const { bridge } = await loadedBridge(project, bridges);
  const context = replayContext(bridge, provider);
  const database = await provider.createDatabase('rows');
  const upgraded = await migrate(context, 'upgrade', database, ['a1a1a1a1a1a1'], false);
  expect(upgraded.failure).toBeNull();
  return { context, head: { database, schema: await introspect(database.url), withoutRows: false } };
}

describe('models built before the head', () => {
  it("get env.py's filters applied to the head's own objects", async () => {
    const { context, head } = await migratedProject();
    const early = await buildModels(context, null);
    expect(early).toMatchObject({ headless: true, filters: true });
    // Without the head, the filter saw only the models: legacy_stats is not among them.
    expect(early.excluded.tables).toEqual([]);
    const whole = await modelsForHead(context, early, head);
    expect(whole.headless).toBe(false);
    expect(whole.excluded.tables).toEqual(['public.legacy_stats']);
    expect(whole.schema).toBe(early.schema);
  });

  it('are built again, with the head, after the bridge restarted', async () => {
    const { context, head } = await migratedProject();
    const early = await buildModels(context, null);
    await context.bridge.restart();
    const whole = await modelsForHead(context, early, head);
    expect(whole).toMatchObject({ headless: false, restarts: 1 });
    expect(whole.excluded.tables).toEqual(['public.legacy_stats']);
    expect(Object.keys(whole.schema?.tables ?? {})).toContain('public.users');
    // The restarted child holds the models again: the smoke test maps the class.
    const orm = await ormSmokeTest(context, head, (file) => file);
    expect(orm.checked).toBe(1);
  });

  it('are used as they are when env.py has no filters', async () => {
    const project = await makeProject({
      models: MODELS,
      revisions: [
        {
          id: 'a1a1a1a1a1a1',
          upgrade:
            "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(50)))",
        },
      ],
    });
    const { bridge } = await loadedBridge(project, bridges);
    const context = replayContext(bridge, provider);
    const early = await buildModels(context, null);
    expect(early.filters).toBe(false);
    const database = await provider.createDatabase('rows');
    const head = { database, schema: await introspect(database.url), withoutRows: false };
    expect(await modelsForHead(context, early, head)).toBe(early);
  });
});
