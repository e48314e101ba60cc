// Reviews a fixture project as a user would (the CLI, a server URL, JSON
// report) and checks that the review is complete: every stage ran, nothing
// was left behind on the server.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import type { Finding, Review } from '../../src/model.ts';
import { VENV, VENV_OLDEST, ROOT, type AlembicProject } from '../helpers/alembic-project.ts';
import { createTestRole, runCli } from '../helpers/cli.ts';
import type { Stack } from './fixtures.ts';

export const VENV_SA13 = path.join(ROOT, '.venv-sa13');
/** Async only: asyncpg and anyio, no synchronous driver, SQLAlchemy 2.0. */
export const VENV_ASYNC = path.join(ROOT, '.venv-async');

export const STACKS: Stack[] = [
  { name: 'Alembic 1.8 / SQLAlchemy 1.4', venv: VENV_OLDEST },
  { name: 'current Alembic / SQLAlchemy 2', venv: VENV },
];

/** Fixture projects made by a test file, removed after it. */
export function fixtureProjects(): (project: AlembicProject) => AlembicProject {
  const projects: AlembicProject[] = [];
  afterAll(() => {
    for (const p of projects) p.remove();
  });
  return (project) => {
    projects.push(project);
    return project;
  };
}

export interface FixtureRun {
  code: number;
  stderr: string;
  report: Review | null;
}

export async function reviewFixture(
  project: AlembicProject,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<FixtureRun> {
  const role = await createTestRole();
  try {
    const output = path.join(project.dir, 'report.json');
    const result = await runCli(
      [
        'review',
        '--project',
        project.dir,
        '--base',
        'main',
        '--database-url',
        role.url,
        '--format',
        'json',
        '--output',
        output,
        ...args,
      ],
      { env },
    );
    expect(await role.databases()).toEqual([]);
    let report: Review | null = null;
    try {
      report = JSON.parse(readFileSync(output, 'utf8')) as Review;
    } catch {
      report = null;
    }
    return { code: result.code, stderr: result.stderr, report };
  } finally {
    await role.drop();
  }
}

export const byRule = (report: Review, ruleId: string): Finding[] =>
  report.findings.filter((f) => f.ruleId === ruleId);

/** Every stage ran (drift, ORM smoke test, round trip), the new revision was replayed, nothing is incomplete. */
export function expectComplete(
  run: FixtureRun,
  newRevision: string,
  options: { allowIncomplete?: RegExp } = {},
): Review {
  expect(run.stderr).not.toMatch(/internal error|Traceback/);
  expect(run.report, run.stderr).not.toBeNull();
  const report = run.report as Review;
  const incomplete = byRule(report, 'review-incomplete').filter(
    (f) => options.allowIncomplete === undefined || !options.allowIncomplete.test(f.message),
  );
  expect(incomplete, run.stderr).toEqual([]);
  for (const stage of [
    'replay',
    'build models database',
    'diff schema',
    'ORM smoke test',
    'downgrade round trip',
  ]) {
    expect(Object.keys(report.timings), `${stage} ran`).toContain(stage);
  }
  expect(run.stderr).toMatch(/ORM smoke test done in .*: 2 mapped classes/);
  const revision = report.revisions.find((r) => r.id === newRevision);
  expect(revision?.new).toBe(true);
  expect(revision?.statements.length, run.stderr).toBeGreaterThan(0);
  expect(report.findings.filter((f) => f.category === 'drift')).toEqual([]);
  expect(byRule(report, 'downgrade-failed')).toEqual([]);
  expect(byRule(report, 'downgrade-leaves-residue')).toEqual([]);
  expect(byRule(report, 'orm-insert-failed')).toEqual([]);
  // The release still running (the base commit's models) was tried on the migrated head. Some fixtures'
  // changes really break it (a NOT NULL column without a default): that is old-code-incompatible, not incomplete.
  expect(run.stderr).toMatch(
    /deploy order \(migrate-first\): the running release on the new schema done in .*: old code on the new schema: 2 classes/,
  );
  return report;
}
