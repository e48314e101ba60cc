// The ORM and the project's driver imported while the database is prepared
// (issue 16): libraries only, and a driver that is missing costs nothing.
import { afterAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../src/alembic/bridge.ts';
import { teardownAll } from '../../src/teardown.ts';
import { makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { closeBridges, loadedBridge } from '../helpers/bridge.ts';

describe('prewarm', () => {
  const bridges: Bridge[] = [];
  afterAll(async () => {
    await closeBridges(bridges);
    await teardownAll();
  });

  async function opened(project: AlembicProject): Promise<{ bridge: Bridge; driver: string }> {
    const { bridge, load } = await loadedBridge(project, bridges);
    return { bridge, driver: load.driver };
  }

  it("imports the ORM and the project's driver, and nothing of the project", async () => {
    const project = await makeProject({
      // A model module that says when it is imported: prewarm must not.
      models:
        'import sys\nsys.stderr.write("MODELS IMPORTED\\n")\nfrom sqlalchemy.orm import declarative_base\nBase = declarative_base()\n',
      revisions: [],
    });
    const { bridge, driver } = await opened(project);
    expect(driver).toBe('psycopg');
    const result = await bridge.call('prewarm', { driver });
    expect(result.imported).toEqual(['sqlalchemy.orm', 'sqlalchemy.dialects.postgresql', 'psycopg']);
    expect(bridge.stderr()).not.toContain('MODELS IMPORTED');
  });

  it('skips a driver that is not installed', async () => {
    const project = await makeProject({ revisions: [] });
    const { bridge } = await opened(project);
    const result = await bridge.call('prewarm', { driver: 'pg8000' });
    expect(result.imported).toEqual(['sqlalchemy.orm', 'sqlalchemy.dialects.postgresql']);
  });
});
