// Histories that do not replay as they are: fresh databases made with
// create_all + stamp, a revision inserted before one that already ran,
// SQLAlchemy 1.3.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/cli.ts';
import {
  createAllAndStamp,
  editedAboveModelsBase,
  editedRevision,
  reparented,
  sqlalchemy13,
} from './fixtures.ts';
import { byRule, expectComplete, fixtureProjects, reviewFixture, STACKS, VENV_SA13 } from './review.ts';

const keep = fixtureProjects();

const DUMPED_SCHEMA = `CREATE TABLE users (id SERIAL PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE, bio VARCHAR(500));
CREATE TABLE posts (id SERIAL PRIMARY KEY, title VARCHAR(200) NOT NULL, author_id INTEGER NOT NULL REFERENCES users (id));`;

describe.each(STACKS)('on $name', (stack) => {
  it('builds the base from the base commit models when an old revision fails, with a notice', async () => {
    const run = await reviewFixture(keep(await createAllAndStamp(stack)));
    expect(run.code, run.stderr).toBe(0);
    const report = expectComplete(run, 'b2b2b2b2b2b2');
    const [notice] = byRule(report, 'base-from-models');
    expect(notice?.severity).toBe('notice');
    expect(notice?.message).toMatch(
      /revision a1a1a1a1a1a1 \(migrations\/versions\/a1a1a1a1a1a1_rev\.py\) fails: .*relation "users" does not exist.*built from the base commit's models/,
    );
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('names the statement that failed first when an old revision catches its error and goes on', async () => {
    const project = keep(await createAllAndStamp(stack));
    // Like redash's first revision: the failure is caught, the transaction stays aborted.
    await project.git('checkout', '-q', 'main');
    const file = path.join(project.dir, 'migrations/versions/a1a1a1a1a1a1_rev.py');
    project.write(
      'migrations/versions/a1a1a1a1a1a1_rev.py',
      readFileSync(file, 'utf8').replace(
        "    op.add_column('users', sa.Column('bio', sa.String(500)))",
        "    try:\n        op.add_column('users', sa.Column('bio', sa.String(500)))\n    except Exception:\n        print('the column may exist already')",
      ),
    );
    await project.commit('a revision that catches its error');
    await project.git('checkout', '-q', 'pr');
    await project.git('rebase', '-q', 'main');
    const run = await reviewFixture(project);
    expect(run.code, run.stderr).toBe(0);
    const [notice] = byRule(expectComplete(run, 'b2b2b2b2b2b2'), 'base-from-models');
    expect(notice?.message).toMatch(/revision a1a1a1a1a1a1 .*fails: .*relation "users" does not exist/);
    expect(notice?.message).not.toMatch(/current transaction is aborted/);
  });

  it('builds the base from the models with base = "models", without a notice', async () => {
    const run = await reviewFixture(keep(await createAllAndStamp(stack, 'base = "models"\n')));
    expect(run.code, run.stderr).toBe(0);
    expectComplete(run, 'b2b2b2b2b2b2');
  });

  it('runs an edited applied revision again, as fresh databases will, and reviews its statements', async () => {
    const run = await reviewFixture(keep(await editedRevision(stack)));
    expect(run.code, run.stderr).toBe(1);
    const report = run.report as NonNullable<typeof run.report>;
    const edited = report.revisions.find((r) => r.id === 'd4d4d4d4d4d4');
    expect(edited).toMatchObject({ new: false });
    expect(edited?.statements.map((s) => s.sql)).toContain(
      'ALTER TABLE users ADD COLUMN bio VARCHAR(500) NOT NULL',
    );
    expect(byRule(report, 'modified-existing-revision').map((f) => f.revision)).toEqual(['d4d4d4d4d4d4']);
    // With rows in users, the edited revision fails: that is what a database made fresh with data meets.
    expect(byRule(report, 'fails-on-existing-rows').map((f) => f.revision)).toEqual(['d4d4d4d4d4d4']);
    expect(report.revisions[0]?.id).toBe('d4d4d4d4d4d4');
    expect(Object.keys(report.timings)).toContain('downgrade round trip');
  });

  it('runs an edited revision again on a base from the models of the commit before it was added', async () => {
    const project = keep(await editedAboveModelsBase(stack));
    const first = (await execa('git', ['rev-parse', '--short=7', 'main~1'], { cwd: project.dir })).stdout;
    const run = await reviewFixture(project);
    const report = run.report as NonNullable<typeof run.report>;
    expect(report.revisions.find((r) => r.id === 'b2b2b2b2b2b2')?.statements.map((s) => s.sql)).toContain(
      'ALTER TABLE users ADD COLUMN nickname VARCHAR(50) NOT NULL',
    );
    // The edited revision met the rows of a database at the revision below it.
    expect(byRule(report, 'fails-on-existing-rows').map((f) => f.revision)).toEqual(['b2b2b2b2b2b2']);
    expect(byRule(report, 'review-incomplete')).toEqual([]);
    expect(byRule(report, 'base-from-models')[0]?.message).toMatch(new RegExp(`models of commit ${first}`));
  });

  it("runs it again on the base commit's models downgraded when that commit's code does not import", async () => {
    const run = await reviewFixture(keep(await editedAboveModelsBase(stack, true)));
    const report = run.report as NonNullable<typeof run.report>;
    expect(byRule(report, 'fails-on-existing-rows').map((f) => f.revision)).toEqual(['b2b2b2b2b2b2']);
    expect(byRule(report, 'review-incomplete')).toEqual([]);
    expect(byRule(report, 'base-from-models')[0]?.message).toMatch(/downgraded through b2b2b2b2b2b2/);
    expect(run.stderr).toMatch(/no_longer_installed/);
  });

  it('replays a revision inserted before an applied one and reports it', async () => {
    const run = await reviewFixture(keep(await reparented(stack)));
    expect(run.code, run.stderr).toBe(1);
    const report = expectComplete(run, 'b2b2b2b2b2b2');
    const [inserted] = byRule(report, 'inserted-before-applied-revision');
    expect(inserted).toMatchObject({
      severity: 'error',
      revision: 'b2b2b2b2b2b2',
      file: 'migrations/versions/b2b2b2b2b2b2_rev.py',
    });
    expect(inserted?.message).toMatch(/placed before revision d4d4d4d4d4d4 .*will never run it/);
    expect(inserted?.suggestion?.text).toMatch(/alembic merge/);
    expect(byRule(report, 'modified-existing-revision').map((f) => f.revision)).toEqual(['d4d4d4d4d4d4']);
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => f.ruleId)).toEqual([
      'inserted-before-applied-revision',
    ]);
  });
});

describe('base = "schema:FILE"', () => {
  const [stack] = STACKS as [(typeof STACKS)[number]];

  it('starts from a pg_dump --schema-only file of the base, stamped with the base heads', async () => {
    const project = keep(await createAllAndStamp(stack, 'base = "schema:db/schema.sql"\n'));
    // The production schema at the base, dumped by pg_dump from a database made by create_all.
    const name = `ar_dump_${randomBytes(4).toString('hex')}`;
    await query(`CREATE DATABASE ${name}`);
    try {
      await execa('psql', ['-q', '-h', '127.0.0.1', '-U', 'postgres', '-d', name, '-c', DUMPED_SCHEMA]);
      const dump = await execa('pg_dump', ['--schema-only', '-h', '127.0.0.1', '-U', 'postgres', name]);
      project.write('db/schema.sql', dump.stdout);
    } finally {
      await query(`DROP DATABASE ${name}`);
    }
    await project.commit('the schema dump');
    const run = await reviewFixture(project);
    expect(run.code, run.stderr).toBe(0);
    expectComplete(run, 'b2b2b2b2b2b2');
  });
});

describe('SQLAlchemy 1.3 (Alembic 1.8)', () => {
  it('gets a complete review', async () => {
    const run = await reviewFixture(keep(await sqlalchemy13({ name: 'sa13', venv: VENV_SA13 })));
    expect(run.code, run.stderr).toBe(0);
    expect(run.report?.environment.sqlalchemy).toMatch(/^1\.3\./);
    expectComplete(run, 'b2b2b2b2b2b2');
  });
});
