// Schema per tenant (tenant-schema): an env.py that migrates each tenant
// schema it finds is reviewed in full once the review makes one, and without
// the option the notice says which option to pass.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Review } from '../../src/model.ts';
import { VENV } from '../helpers/alembic-project.ts';
import { schemaPerTenant } from './fixtures.ts';
import { byRule, expectComplete, fixtureProjects, reviewFixture, STACKS } from './review.ts';

const keep = fixtureProjects();

describe.each(STACKS)('on $name', (stack) => {
  it('reviews the tenant schema it makes: base from the models, the PR applied, drift against the schema-less models', async () => {
    const run = await reviewFixture(keep(await schemaPerTenant(stack)), [
      '--tenant-schema',
      'tenant_default',
    ]);
    // The NOT NULL column without a default fails on the tenant table's rows: the gate fails.
    expect(run.code, run.stderr).toBe(1);
    const report = expectComplete(run, 'c3c3c3c3c3c3');
    expect(run.stderr).toMatch(/building the base from the base commit's models/);
    const summary = report.revisions.find((r) => r.id === 'c3c3c3c3c3c3');
    expect(summary?.applied).toBe(true);
    expect(summary?.statements.map((s) => s.sql)).toContain(
      'ALTER TABLE project ADD COLUMN summary VARCHAR(200)',
    );
    // The tenant's table had rows at the base, and the lint knows it.
    expect(byRule(report, 'not-null-column-without-default')).toEqual([
      expect.objectContaining({ revision: 'd4d4d4d4d4d4', table: 'project', column: 'priority' }),
    ]);
    expect(byRule(report, 'fails-on-existing-rows')).toEqual([
      expect.objectContaining({ revision: 'd4d4d4d4d4d4' }),
    ]);
  });
});

describe('a tenant history that replays from empty', () => {
  it('keeps the tenant schema in the cached base and in every database it is restored into', async () => {
    const project = keep(await schemaPerTenant({ name: 'current', venv: VENV }, { replayable: true }));
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'ar-tenant-cache-'));
    const args = ['--tenant-schema', 'tenant_default', '--cache-dir', cacheDir];
    const cold = await reviewFixture(project, args);
    expect(cold.stderr).toMatch(/base saved to the cache/);
    expect(cold.stderr).not.toMatch(/building the base from the base commit's models/);
    const warm = await reviewFixture(project, args);
    expect(warm.stderr).toMatch(/base restored from cache/);
    for (const run of [cold, warm]) {
      expect(run.code, run.stderr).toBe(1);
      expectComplete(run, 'c3c3c3c3c3c3');
      expect(byRule(run.report as Review, 'not-null-column-without-default')).toEqual([
        expect.objectContaining({ revision: 'd4d4d4d4d4d4', table: 'project' }),
      ]);
    }
    rmSync(cacheDir, { recursive: true, force: true });
  });
});

describe('without tenant-schema', () => {
  it('says which option to pass, with a name made from the prefix env.py looks for', async () => {
    const run = await reviewFixture(keep(await schemaPerTenant({ name: 'current', venv: VENV })));
    expect(run.code, run.stderr).toBe(0);
    const notices = byRule(run.report as NonNullable<typeof run.report>, 'review-incomplete');
    expect(notices.map((n) => n.message)).toEqual([
      expect.stringMatching(
        /^env\.py ran but never ran the migrations .*tenant schema it finds .*"tenant_".*--tenant-schema tenant_default/,
      ),
    ]);
  });
});
