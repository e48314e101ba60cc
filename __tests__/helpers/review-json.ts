// One review through the CLI as a user runs it (--format json on the local
// PostgreSQL, through a role of its own), with the check that it left no
// database behind.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Review } from '../../src/model.ts';
import type { AlembicProject } from './alembic-project.ts';
import { createTestRole, runCli } from './cli.ts';

export interface JsonReview {
  code: number;
  stderr: string;
  report: Review;
}

export async function reviewJson(
  project: AlembicProject,
  args: string[] = ['--base', 'main'],
): Promise<JsonReview> {
  const role = await createTestRole();
  try {
    const output = path.join(project.dir, 'report.json');
    const result = await runCli([
      'review',
      '--project',
      project.dir,
      '--database-url',
      role.url,
      '--format',
      'json',
      '--output',
      output,
      ...args,
    ]);
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code, result.stderr).toBeLessThan(2);
    const report = JSON.parse(readFileSync(output, 'utf8')) as Review;
    expect(await role.databases()).toEqual([]);
    return { code: result.code, stderr: result.stderr, report };
  } finally {
    await role.drop();
  }
}

export interface CachedReview {
  stderr: string;
  report: Review;
}

/**
 * One review with a base cache directory, through a role of the test's own
 * (kept across runs, so that each run can be checked to leave no database).
 */
export async function reviewWithCache(
  run: {
    projectDir: string;
    roleUrl: string;
    databases: () => Promise<string[]>;
    cacheDir: string;
    work: string;
  },
  args: string[] = [],
): Promise<CachedReview> {
  const output = path.join(run.work, `report-${Math.random().toString(16).slice(2)}.json`);
  const result = await runCli([
    'review',
    '--project',
    run.projectDir,
    '--base',
    'main',
    '--database-url',
    run.roleUrl,
    '--format',
    'json',
    '--output',
    output,
    '--cache-dir',
    run.cacheDir,
    ...args,
  ]);
  expect(result.stderr).not.toMatch(/internal error/);
  expect(await run.databases()).toEqual([]);
  return { stderr: result.stderr, report: JSON.parse(readFileSync(output, 'utf8')) as Review };
}
