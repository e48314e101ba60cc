// Project layouts the stock env.py does not have: Flask-Migrate's app
// factory and migrations directory, an Alembic Config built in code with
// two version locations, an alembic.ini with only named sections.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configFactory,
  eventLoopWorkerThread,
  flaskAppMakesItsDatabase,
  flaskMigrate,
  multidb,
  namedSections,
  templateIni,
} from './fixtures.ts';
import { byRule, expectComplete, fixtureProjects, reviewFixture, STACKS, VENV_ASYNC } from './review.ts';

const keep = fixtureProjects();

describe.each(STACKS)('on $name', (stack) => {
  it('reviews a Flask-Migrate app factory (sqlite by default) with nothing passed', async () => {
    const run = await reviewFixture(keep(await flaskMigrate(stack)));
    expect(run.code, run.stderr).toBe(0);
    const report = expectComplete(run, 'b2b2b2b2b2b2');
    expect(report.revisions.find((r) => r.id === 'b2b2b2b2b2b2')?.path).toBe(
      'migrations/versions/b2b2b2b2b2b2_rev.py',
    );
  });

  it('reviews a Flask app that writes into its own tree when created, in the next sandbox, and says so', async () => {
    const project = keep(await flaskMigrate(stack, { writesSecretKey: true }));
    const run = await reviewFixture(project);
    expect(run.code, run.stderr).toBe(0);
    const report = expectComplete(run, 'b2b2b2b2b2b2');
    const notices = report.findings.filter((f) => f.ruleId === 'isolation-reduced').map((f) => f.message);
    expect(notices.join('\n')).toMatch(/could not be opened as nobody .*Permission denied/);
    expect(readFileSync(path.join(project.dir, 'blog/.secret_key'), 'utf8')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('reviews a Flask app that makes its database when created, found by its package factory, with nothing passed', async () => {
    const run = await reviewFixture(keep(await flaskAppMakesItsDatabase(stack)));
    expect(run.code, run.stderr).toBe(0);
    // Its create_all + stamp went to a database of its own: the replay still applied the change.
    const report = expectComplete(run, 'b2b2b2b2b2b2');
    expect(report.revisions.find((r) => r.id === 'b2b2b2b2b2b2')?.statements.map((s) => s.sql)).toContain(
      'ALTER TABLE users ADD COLUMN nickname VARCHAR(50)',
    );
    expect(run.stderr).toMatch(/create the Flask app done .*found as shop \(its app factory\)/);
  });

  it('reviews a Flask app that runs the migrations when created (its URL set with url-env)', async () => {
    const run = await reviewFixture(keep(await flaskAppMakesItsDatabase(stack)), [
      '--url-env',
      'DATABASE_URL',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expectComplete(run, 'b2b2b2b2b2b2');
  });

  it('reviews a Config built by a function with two version locations (config-factory)', async () => {
    const run = await reviewFixture(keep(await configFactory(stack)));
    expect(run.code, run.stderr).toBe(0);
    const report = expectComplete(run, 'b2b2b2b2b2b2');
    expect(report.revisions.find((r) => r.id === 'b2b2b2b2b2b2')?.path).toBe(
      'app/migrations/billing/b2b2b2b2b2b2_rev.py',
    );
  });

  it('reviews a named ini section (ini-section)', async () => {
    const run = await reviewFixture(keep(await namedSections(stack)));
    expect(run.code, run.stderr).toBe(0);
    expectComplete(run, 'b2b2b2b2b2b2');
  });

  it("reviews the named ini section that holds the change's revisions when none is chosen", async () => {
    const run = await reviewFixture(keep(await namedSections(stack, 'x-arg = ["tenant=acme"]\n')));
    expect(run.code, run.stderr).toBe(0);
    expectComplete(run, 'b2b2b2b2b2b2');
    expect(run.stderr).toMatch(
      /alembic\.ini has the sections \[core\], \[tenant\]: reviewing \[core\], whose version locations hold the change's revision files/,
    );
  });

  it('reviews a template alembic.ini filled in by code, from the Alembic environment next to it', async () => {
    const run = await reviewFixture(keep(await templateIni(stack)), ['--config', 'app/alembic.ini']);
    expect(run.code, run.stderr).toBe(0);
    expectComplete(run, 'b2b2b2b2b2b2');
    expect(run.stderr).toMatch(
      /alembic\.ini is a template \(script_location = \{alembic_dir\}, filled in by the project's code\): using app\/alembic,/,
    );
  });
});

describe('pointing the tool at the configuration', () => {
  const [stack] = STACKS as [(typeof STACKS)[number]];

  it('lists the named sections when none is chosen and the change touches none of them', async () => {
    const run = await reviewFixture(keep(await namedSections(stack, '', 'models')));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /has no \[alembic\] section .*\[core\], \[tenant\], and the change touches no revision of any of them\. Pass the one to review with --name/,
    );
  });

  it('asks for one run per section when the change touches revisions of several', async () => {
    const run = await reviewFixture(keep(await namedSections(stack, '', 'both')));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /the change touches revisions of \[core\], \[tenant\]: review each in a run of its own, with --name core and --name tenant/,
    );
  });

  it('says what it searched when the change adds revision files outside the version locations', async () => {
    const project = keep(await configFactory(stack));
    // The same project with an alembic.ini that knows only the first version location.
    project.write('alembic.ini', '[alembic]\nscript_location = app/migrations\nprepend_sys_path = .\n');
    project.write('pyproject.toml', '');
    await project.commit('an alembic.ini without the billing location');
    const run = await reviewFixture(project);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /adds a Python file under a migrations folder \(app\/migrations\/billing\/b2b2b2b2b2b2_rev\.py\) but no new revision was found: the review searched the version locations app\/migrations\/versions \(1 revisions\)/,
    );
    expect(run.stderr).toMatch(/--config-factory package\.module:function/);
  });
});

describe.each(STACKS)("Alembic's multidb template on $name", (stack) => {
  it('reviews each database on its own, against its own target_metadata, in one report', async () => {
    const run = await reviewFixture(keep(await multidb(stack)));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/database users_db \(1 of 2, Alembic's multidb template\)/);
    expect(run.stderr).toMatch(/database billing_db \(2 of 2/);
    const report = run.report as NonNullable<typeof run.report>;
    const sql = report.revisions.find((r) => r.id === 'b2b2b2b2b2b2')?.statements.map((s) => s.sql) ?? [];
    expect(sql).toContain('ALTER TABLE users ADD COLUMN nickname VARCHAR(50) NOT NULL');
    expect(sql).toContain('CREATE INDEX ix_invoices_number ON invoices (number)');
    // Each database against its own models: no drift, no table of the other one.
    expect(report.findings.filter((f) => f.category === 'drift')).toEqual([]);
    expect(report.findings.filter((f) => f.ruleId === 'review-incomplete')).toEqual([]);
    const notNull = report.findings.filter((f) => f.ruleId === 'not-null-column-without-default');
    expect(notNull.map((f) => f.message)).toEqual([expect.stringMatching(/^Database users_db: /)]);
    expect(byRule(report, 'fails-on-existing-rows').map((f) => f.message)).toEqual([
      expect.stringMatching(/^Database users_db: /),
    ]);
  });

  it('reviews one database with --engine', async () => {
    const run = await reviewFixture(keep(await multidb(stack)), ['--engine', 'billing_db']);
    expect(run.code, run.stderr).toBe(0);
    const report = run.report as NonNullable<typeof run.report>;
    expect(byRule(report, 'create-index-non-concurrently').map((f) => f.message)).toEqual([
      expect.stringMatching(/^CREATE INDEX ix_invoices_number ON invoices/),
    ]);
    const sql = report.revisions.find((r) => r.id === 'b2b2b2b2b2b2')?.statements.map((s) => s.sql) ?? [];
    expect(sql).toEqual(['CREATE INDEX ix_invoices_number ON invoices (number)']);
    expect(report.findings.filter((f) => f.category === 'drift')).toEqual([]);
  });

  it('refuses an engine the ini does not name', async () => {
    const run = await reviewFixture(keep(await multidb(stack)), ['--engine', 'nope']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/engine nope: env\.py migrates the databases users_db, billing_db/);
  });
});

describe('an async-only project that migrates from its own event loop', () => {
  const stack = { name: 'asyncpg only, SQLAlchemy 2.0, anyio', venv: VENV_ASYNC };

  it('runs env.py in a worker thread of an event loop, from the version location env.py picks (url-env)', async () => {
    const run = await reviewFixture(keep(await eventLoopWorkerThread(stack)), ['--url-env', 'DATABASE_URL']);
    expect(run.code, run.stderr).toBe(0);
    const report = expectComplete(run, 'b2b2b2b2b2b2');
    // The PostgreSQL history only: env.py's own choice for a PostgreSQL URL.
    expect(report.revisions.map((r) => r.id).sort()).toEqual(['a1a1a1a1a1a1', 'b2b2b2b2b2b2']);
    expect(report.revisions.find((r) => r.id === 'b2b2b2b2b2b2')?.path).toBe(
      'migrations/versions/postgresql/b2b2b2b2b2b2_rev.py',
    );
  });

  it('says what it searched when the revisions sit in a folder below the version location', async () => {
    const project = keep(await eventLoopWorkerThread(stack));
    // An env.py that sets its version location only online: the review cannot learn it.
    const env = readFileSync(path.join(project.dir, 'migrations/env.py'), 'utf8');
    project.write('migrations/env.py', env.replace(/if context.is_offline_mode\(\):[^]*?else:\n {4}/, ''));
    await project.commit('env.py online only');
    const run = await reviewFixture(project, ['--url-env', 'DATABASE_URL']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /adds 2 Python files under a migrations folder \(migrations\/versions\/postgresql\/b2b2b2b2b2b2_rev\.py, migrations\/versions\/sqlite\/f2f2f2f2f2f2_rev\.py\) but no new revision was found: the review searched the version locations migrations\/versions \(0 revisions\)/,
    );
  });
});
