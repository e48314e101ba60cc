// Zero set-up: the bundled action with no python input on a project without
// a .venv sets up the project's Python itself from what the project declares
// — a uv project (uv.lock), a poetry project (poetry.lock), a requirements.txt
// project — really creating each virtualenv (uv and poetry come from PyPI),
// and reviews with it. The review's environment shows the locked versions,
// not those of any Python on the machine. One of them also leaves out
// database-url: the action then uses `auto` (Docker here).
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Review } from '../../src/model.ts';
import { FakeGitHub } from '../github/fake-github.ts';
import {
  blogCheckout,
  pushToPullRequest,
  runOnPullRequest,
  type ActionRun,
  type BlogCheckout,
} from './helpers.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/zero-setup');

/** The version a lock file pins for a package, for the Python of this machine (the last entry wins for uv's forks). */
function locked(lock: string, name: string): string {
  const versions = [...lock.matchAll(new RegExp(`^name = "${name}"\\nversion = "([^"]+)"`, 'gim'))].map(
    (m) => m[1],
  );
  return versions.at(-1) ?? '';
}

interface Case {
  kind: string;
  files: string[];
  expect: () => { alembic: string; sqlalchemy: string };
  inputs?: Record<string, string>;
}

const CASES: Case[] = [
  {
    kind: 'uv',
    files: ['uv.lock', 'pyproject.toml'],
    expect: () => {
      const lock = readFileSync(path.join(FIXTURES, 'uv/uv.lock'), 'utf8');
      return { alembic: locked(lock, 'alembic'), sqlalchemy: locked(lock, 'sqlalchemy') };
    },
  },
  {
    kind: 'poetry',
    files: ['poetry.lock', 'pyproject.toml'],
    expect: () => {
      const lock = readFileSync(path.join(FIXTURES, 'poetry/poetry.lock'), 'utf8');
      return { alembic: locked(lock, 'alembic'), sqlalchemy: locked(lock, 'sqlalchemy') };
    },
    // No database input either: auto finds the Docker engine.
    inputs: {
      database: '',
      'database-url': '',
      'postgres-image': process.env.ALEMBIC_REVIEW_TEST_IMAGE ?? 'local/postgres:15',
    },
  },
  {
    kind: 'requirements',
    files: ['requirements.txt'],
    expect: () => ({ alembic: '1.15.2', sqlalchemy: '2.0.40' }),
  },
];

describe.each(CASES)('a $kind project', (spec) => {
  let checkout: BlogCheckout;
  let github: FakeGitHub;
  let run: ActionRun;
  let report: Review;

  afterAll(async () => {
    await github.stop();
    await rm(checkout.temp, { recursive: true, force: true });
  });

  beforeAll(async () => {
    checkout = await blogCheckout();
    github = new FakeGitHub({ headSha: checkout.headSha, baseSha: checkout.baseSha, files: checkout.files });
    await github.start();
    const project = await pushToPullRequest(checkout, `the ${spec.kind} files`, async (file) => {
      for (const name of spec.files)
        await file(name, () => readFileSync(path.join(FIXTURES, spec.kind, name), 'utf8'));
    });
    run = await runOnPullRequest(
      github,
      project,
      { python: '', 'fail-on': 'never', ...spec.inputs },
      { TESTCONTAINERS_RYUK_DISABLED: 'true' },
    );
    report = JSON.parse(await readFile(run.outputs['report-json'] ?? '', 'utf8')) as Review;
  }, 600_000);

  test('sets up the project’s Python from its lock file and reviews with it', () => {
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `setting up the project's Python from ${spec.files[0] ?? ''} (${spec.kind})`,
    );
    const versions = spec.expect();
    expect(versions.alembic).toMatch(/^\d/);
    expect(report.environment.alembic).toBe(versions.alembic);
    expect(report.environment.sqlalchemy).toBe(versions.sqlalchemy);
    // The review itself: the blog PR's NOT NULL column on a table with rows.
    expect(report.findings.some((f) => f.ruleId === 'not-null-column-without-default')).toBe(true);
    if (spec.inputs?.database === '') expect(report.environment.database).toMatch(/^testcontainers/);
  });
});
