// The drift corpus on the oldest supported stack (Alembic 1.8, SQLAlchemy 1.4,
// psycopg2, .venv-oldest): the same findings as with SQLAlchemy 2.1, and the
// suggested fixes run on Alembic 1.8 too and leave no drift.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffSchemas, fixRevision } from '../../src/schema/diff.ts';
import { introspect } from '../../src/schema/introspect.ts';
import { findingKeys } from './alembic-diffs.ts';
import {
  createScratchDatabases,
  driftCases,
  dropScratchDatabases,
  Harness,
  resetDatabase,
  ROOT,
  type ScratchDatabase,
} from './helpers.ts';

const OLDEST_PYTHON = path.join(ROOT, '.venv-oldest/bin/python');

describe('drift corpus on Alembic 1.8 / SQLAlchemy 1.4', () => {
  let harness: Harness;
  let head: ScratchDatabase;
  let models: ScratchDatabase;

  beforeAll(async () => {
    [head, models] = (await createScratchDatabases(['oldest_head', 'oldest_models'])) as [
      ScratchDatabase,
      ScratchDatabase,
    ];
    harness = new Harness(OLDEST_PYTHON);
  });

  afterAll(async () => {
    await harness.close();
    await dropScratchDatabases([head, models]);
  });

  for (const { name, dir, spec } of driftCases()) {
    const only = spec.sqlalchemy2Only;
    if (only !== undefined) {
      it(`${name}: cannot be built with SQLAlchemy 1.4 (${only})`, async () => {
        await resetDatabase(models.url);
        await expect(harness.run({ action: 'create_all', url: models.url, case: dir })).rejects.toThrow(
          /ArgumentError/,
        );
      });
      continue;
    }
    it(`${name}: same findings, and the fixes apply on Alembic 1.8`, async () => {
      await Promise.all([resetDatabase(head.url), resetDatabase(models.url)]);
      await harness.run({ action: 'migrate', url: head.url, case: dir });
      await harness.run({ action: 'create_all', url: models.url, case: dir });
      const modelsSchema = await introspect(models.url);
      const findings = diffSchemas(await introspect(head.url), modelsSchema);
      expect(findingKeys(findings)).toEqual([...spec.expect].sort());
      const fix = fixRevision(findings.map((f) => f.suggestion));
      if (fix !== '') await harness.run({ action: 'exec', url: head.url, code: fix });
      expect(findingKeys(diffSchemas(await introspect(head.url), modelsSchema))).toEqual([]);
    });
  }
});
