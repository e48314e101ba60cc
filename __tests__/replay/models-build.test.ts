// How the models database is built (issue 16): the model classes are read
// from the project's files in the background once prewarm has run, and found
// the same as when the models command reads them itself; the tables are
// created without SQLAlchemy's existence checks first (the database is new),
// and with them when that trips over something, such as an enum type two
// metadatas share.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/alembic/bridge.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { buildModels } from '../../src/replay/models.ts';
import { teardownAll } from '../../src/teardown.ts';
import { LOCAL_URL, makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { closeBridges, loadedBridge, replayContext } from '../helpers/bridge.ts';

const MODELS = `import sqlalchemy as sa
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()
Other = declarative_base()

MOOD = sa.Enum("happy", "sad", name="mood")


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
    mood = Column(MOOD)


class Audit(Other):
    __tablename__ = "audit"
    id = Column(Integer, primary_key=True)
    mood = Column(MOOD)
`;

/** A model class in a module nothing imports: only reading the files finds it. */
const UNIMPORTED = `from sqlalchemy import Column, Integer
from app.models import Base


class Legacy(Base):
    __tablename__ = "legacy"
    id = Column(Integer, primary_key=True)
`;

const provider = new UrlProvider(LOCAL_URL);
const bridges: Bridge[] = [];
let project: AlembicProject;
beforeAll(async () => {
  await provider.start();
  project = await makeProject({ models: MODELS, revisions: [] });
  project.write('app/legacy.py', UNIMPORTED);
});
afterAll(async () => {
  await closeBridges(bridges);
  await provider.stop();
  await teardownAll();
  project.remove();
});

async function models(options: { prewarm: boolean; metadata?: string }) {
  if (options.metadata !== undefined) {
    const envPy = 'migrations/env.py';
    project.write(
      envPy,
      readFileSync(path.join(project.dir, envPy), 'utf8').replace(
        /^target_metadata = .*$/m,
        `from app.models import Other  # noqa: E402\ntarget_metadata = ${options.metadata}`,
      ),
    );
  }
  const { bridge, load } = await loadedBridge(project, bridges);
  if (options.prewarm) await bridge.call('prewarm', { driver: load.driver });
  return buildModels(replayContext(bridge, provider), null);
}

describe('the models database', () => {
  it('finds the same model classes whether they were read in the background or not', async () => {
    const read = await models({ prewarm: false });
    const background = await models({ prewarm: true });
    const classes = (m: typeof read) =>
      m.modelClasses.map((c) => `${c.className} ${c.table} ${String(c.inMetadata)}`).sort();
    expect(classes(read)).toEqual([
      'Audit public.audit false',
      'Legacy public.legacy false',
      'User public.users true',
    ]);
    expect(background.modelClasses).toEqual(read.modelClasses);
  });

  it('is built when the first, unchecked creation trips over a type two metadatas share', async () => {
    const built = await models({ prewarm: true, metadata: '[Base.metadata, Other.metadata]' });
    expect(built.findings).toEqual([]);
    expect(Object.keys(built.schema?.tables ?? {}).sort()).toEqual([
      'public.alembic_version',
      'public.audit',
      'public.users',
    ]);
    expect(Object.keys(built.schema?.enums ?? {})).toEqual(['public.mood']);
  });
});
