// The adversarial replays on real PostgreSQL and real Alembic: for each way
// existing rows break a validating statement, the unguarded migration gets
// fails-on-existing-data with the right condition, SQLSTATE and file:line,
// and the guarded variant in the same pull request (on a twin table) gets
// nothing; so do the article's three-step NOT NULL backfill and a dedupe
// written in Python (which only a real replay of the revision can see).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding, Review } from '../../../src/model.ts';
import schema from '../../../src/report.schema.json' with { type: 'json' };
import {
  makeProject,
  VENV_OLDEST,
  type AlembicProject,
  type ProjectSpec,
} from '../../helpers/alembic-project.ts';
import { reviewProject } from '../../helpers/review.ts';

const projects: AlembicProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

/** Two twin tables: the unguarded statement goes on members, the guarded one on accounts. */
const twin = (table: string): string => `op.create_table('${table}',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('email', sa.String(200)),
    sa.Column('name', sa.String(200)),
    sa.Column('code', sa.Text()),
    sa.Column('score', sa.Integer()),
    sa.Column('team_id', sa.Integer()),
    sa.Column('legacy_number', sa.Text()),
    sa.Column('status', sa.Enum('active', 'archived', 'closed', 'suspended', name='${table}_status')))`;

const BASE: ProjectSpec['revisions'] = [
  {
    id: 'a0a0a0a0a0a0',
    upgrade: `op.create_table('teams', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(100)))
${twin('members')}
${twin('accounts')}`,
  },
];

function recreateEnum(table: string, labels: string): string {
  return `op.execute("ALTER TYPE ${table}_status RENAME TO ${table}_status_old")
op.execute("CREATE TYPE ${table}_status AS ENUM (${labels})")
op.execute("ALTER TABLE ${table} ALTER COLUMN status TYPE ${table}_status USING status::text::${table}_status")
op.execute("DROP TYPE ${table}_status_old")`;
}

interface Scenario {
  condition: string;
  /** The unguarded statement on members (its first line is the one reported). */
  unguarded: string;
  guarded: string;
  sqlstate: string;
  /** A later revision of the guarded variant (VALIDATE after NOT VALID). */
  later?: string;
  /** Text of the reported line (default: the first line of the unguarded code). */
  at?: string;
  /** The guarded variant validates data (NOT VALID does not). */
  guardedValidates?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    condition: 'duplicates',
    unguarded: "op.create_unique_constraint('uq_members_email', 'members', ['email'])",
    guarded: `op.execute("DELETE FROM accounts a USING accounts b WHERE a.email = b.email AND a.id > b.id")
op.create_unique_constraint('uq_accounts_email', 'accounts', ['email'])`,
    sqlstate: '23505',
  },
  {
    condition: 'orphans',
    unguarded: "op.create_foreign_key('fk_members_team', 'members', 'teams', ['team_id'], ['id'])",
    guarded: `op.execute("UPDATE accounts SET team_id = NULL WHERE team_id NOT IN (SELECT id FROM teams)")
op.create_foreign_key('fk_accounts_team', 'accounts', 'teams', ['team_id'], ['id'])`,
    sqlstate: '23503',
  },
  {
    condition: 'nulls',
    unguarded: "op.alter_column('members', 'name', existing_type=sa.String(200), nullable=False)",
    guarded: `op.execute("UPDATE accounts SET name = 'unknown' WHERE name IS NULL")
op.alter_column('accounts', 'name', existing_type=sa.String(200), nullable=False)`,
    sqlstate: '23502',
  },
  {
    condition: 'too-long',
    unguarded: "op.alter_column('members', 'code', type_=sa.String(40), existing_type=sa.Text())",
    guarded:
      "op.alter_column('accounts', 'code', type_=sa.String(40), existing_type=sa.Text(), postgresql_using='left(code, 40)')",
    sqlstate: '22001',
  },
  {
    condition: 'not-castable',
    unguarded:
      "op.alter_column('members', 'legacy_number', type_=sa.Integer(), existing_type=sa.Text(), postgresql_using='legacy_number::integer')",
    guarded: `op.alter_column('accounts', 'legacy_number', type_=sa.Integer(), existing_type=sa.Text(), postgresql_using="CASE WHEN legacy_number ~ '^[0-9]+$' THEN legacy_number::integer END")`,
    sqlstate: '22P02',
  },
  {
    condition: 'check-violation',
    unguarded: "op.create_check_constraint('ck_members_score', 'members', 'score > 0')",
    guarded:
      "op.create_check_constraint('ck_accounts_score', 'accounts', 'score > 0', postgresql_not_valid=True)",
    later: `op.execute("UPDATE accounts SET score = 1 WHERE score <= 0")
op.execute("ALTER TABLE accounts VALIDATE CONSTRAINT ck_accounts_score")`,
    sqlstate: '23514',
    guardedValidates: false,
  },
  {
    condition: 'enum-value-in-use',
    unguarded: recreateEnum('members', "'active', 'archived', 'closed'"),
    guarded: `op.execute("UPDATE accounts SET status = 'closed' WHERE status = 'suspended'")
${recreateEnum('accounts', "'active', 'archived', 'closed'")}`,
    sqlstate: '22P02',
    at: 'ALTER TABLE members ALTER COLUMN status',
  },
];

interface Run {
  report: Review;
  stderr: string;
  project: AlembicProject;
}

async function review(
  change: (p: AlembicProject) => void,
  spec: Partial<ProjectSpec> = {},
  args: string[] = [],
): Promise<Run> {
  const project = await makeProject({ revisions: BASE, ...spec });
  projects.push(project);
  await project.pullRequest(change);
  const run = await reviewProject(project, { args });
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.leftovers).toEqual([]);
  return { report: JSON.parse(run.body) as Review, stderr: run.stderr, project };
}

const dataFindings = (report: Review): Finding[] =>
  report.findings.filter((f) => f.ruleId === 'fails-on-existing-data');

describe('fails-on-existing-data', () => {
  it.each(SCENARIOS.map((s) => [s.condition, s] as const))(
    '%s: the unguarded statement fails on breaking rows, the guarded one passes',
    async (_condition, scenario) => {
      const path = 'migrations/versions/b1b1b1b1b1b1_rev.py';
      const run = await review((p) => {
        p.addRevision({
          id: 'b1b1b1b1b1b1',
          down: 'a0a0a0a0a0a0',
          upgrade: `${scenario.unguarded}\n${scenario.guarded}`,
        });
        if (scenario.later !== undefined)
          p.addRevision({ id: 'c1c1c1c1c1c1', down: 'b1b1b1b1b1b1', upgrade: scenario.later });
      });
      // The ordinary replay with rows passed: the failure needs the breaking values.
      expect(
        run.report.findings.filter((f) => /^(migration-failed|fails-on-existing-rows)$/.test(f.ruleId)),
      ).toEqual([]);
      const found = dataFindings(run.report);
      expect(found.map((f) => [f.table, f.condition])).toEqual([['members', scenario.condition]]);
      const [finding] = found;
      expect(finding).toMatchObject({
        severity: 'warning',
        category: 'runtime',
        revision: 'b1b1b1b1b1b1',
        file: path,
        line: run.project.lineOf(path, scenario.at ?? scenario.unguarded.split('\n')[0] ?? ''),
        details: { sqlstate: scenario.sqlstate },
        preflight: { result: null },
      });
      expect(finding?.message).toContain(`SQLSTATE ${scenario.sqlstate}`);
      expect(finding?.preflight?.sql).toMatch(/^SELECT .*\bmembers\b/);
      expect(finding?.suggestion?.code).toBeTruthy();
      const guarded = scenario.guardedValidates === false ? 0 : 1;
      expect(run.stderr).toMatch(
        new RegExp(
          `data checks done in .*: ${1 + guarded} validating statements?: 1 fail on breaking rows, ${guarded} guarded`,
        ),
      );
    },
  );

  it('gives nothing for the three-step NOT NULL backfill of the article, and the report fits its schema', async () => {
    const run = await review((p) => {
      p.addRevision({
        id: 'b1b1b1b1b1b1',
        down: 'a0a0a0a0a0a0',
        upgrade: `op.add_column('members', sa.Column('display_name', sa.String(100), nullable=True))
op.execute("UPDATE members SET display_name = coalesce(name, email, 'member ' || id)")
op.alter_column('members', 'display_name', existing_type=sa.String(100), nullable=False)`,
      });
    });
    expect(dataFindings(run.report)).toEqual([]);
    expect(run.report.findings.filter((f) => f.severity === 'error' && f.category !== 'drift')).toEqual([]);
    const ajv = new Ajv2020({ allErrors: true });
    ajv.validate(schema, run.report);
    expect(ajv.errors ?? []).toEqual([]);
  });

  it('replays the revision itself: a dedupe written in Python guards the constraint', async () => {
    const run = await review((p) => {
      p.addRevision({
        id: 'b1b1b1b1b1b1',
        down: 'a0a0a0a0a0a0',
        upgrade: `conn = op.get_bind()
rows = conn.execute(sa.text("SELECT email, min(id) FROM members WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 1")).fetchall()
for email, keep in rows:
    conn.execute(sa.text("DELETE FROM members WHERE email = :email AND id <> :keep"), {"email": email, "keep": keep})
op.create_unique_constraint('uq_members_email', 'members', ['email'])`,
      });
    });
    expect(dataFindings(run.report)).toEqual([]);
    expect(run.stderr).toMatch(/1 validating statement: 0 fail on breaking rows, 1 guarded/);
  });

  it('works with the oldest supported Alembic, SQLAlchemy and psycopg2', async () => {
    const run = await review(
      (p) => {
        p.addRevision({
          id: 'b1b1b1b1b1b1',
          down: 'a0a0a0a0a0a0',
          upgrade:
            "op.create_unique_constraint('uq_members_email', 'members', ['email'])\nop.create_check_constraint('ck_members_score', 'members', 'score > 0')",
        });
      },
      { venv: VENV_OLDEST },
    );
    expect(dataFindings(run.report).map((f) => [f.condition, f.details?.constraint])).toEqual([
      ['duplicates', 'uq_members_email'],
      ['check-violation', 'ck_members_score'],
    ]);
  });

  it('checks the revisions before one that fails on the ordinary rows, on a base it rebuilds', async () => {
    const run = await review((p) => {
      p.addRevision({
        id: 'b1b1b1b1b1b1',
        down: 'a0a0a0a0a0a0',
        upgrade: "op.create_unique_constraint('uq_members_email', 'members', ['email'])",
      });
      p.addRevision({
        id: 'c1c1c1c1c1c1',
        down: 'b1b1b1b1b1b1',
        upgrade: "op.add_column('members', sa.Column('nickname', sa.String(50), nullable=False))",
      });
    });
    expect(
      run.report.findings.filter((f) => f.ruleId === 'fails-on-existing-rows').map((f) => f.revision),
    ).toEqual(['c1c1c1c1c1c1']);
    expect(dataFindings(run.report).map((f) => [f.revision, f.condition])).toEqual([
      ['b1b1b1b1b1b1', 'duplicates'],
    ]);
  });

  it('starts the adversarial replays from the base restored from the cache on a warm run', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'ar-adversarial-cache-'));
    try {
      const project = await makeProject({ revisions: BASE });
      projects.push(project);
      await project.pullRequest((p) => {
        p.addRevision({
          id: 'b1b1b1b1b1b1',
          down: 'a0a0a0a0a0a0',
          upgrade: "op.create_unique_constraint('uq_members_email', 'members', ['email'])",
        });
      });
      const runs = [];
      for (let i = 0; i < 2; i++) {
        const run = await reviewProject(project, { args: ['--cache-dir', cacheDir] });
        expect(run.leftovers).toEqual([]);
        runs.push({ report: JSON.parse(run.body) as Review, stderr: run.stderr });
      }
      const [cold, warm] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect(cold.stderr).toMatch(/base saved to the cache/);
      expect(warm.stderr).toMatch(/base restored from cache/);
      expect(dataFindings(warm.report).map((f) => [f.table, f.condition])).toEqual([
        ['members', 'duplicates'],
      ]);
      expect(dataFindings(warm.report)).toEqual(dataFindings(cold.report));
      expect(warm.stderr).toMatch(/data checks done in .*: 1 validating statement: 1 fail on breaking rows/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('runs no adversarial replay when the rule is off', async () => {
    const run = await review((p) => {
      p.write('pyproject.toml', '[tool.alembic-review.rules]\nfails-on-existing-data = "off"\n');
      p.addRevision({
        id: 'b1b1b1b1b1b1',
        down: 'a0a0a0a0a0a0',
        upgrade: "op.create_unique_constraint('uq_members_email', 'members', ['email'])",
      });
    });
    expect(dataFindings(run.report)).toEqual([]);
    expect(run.stderr).toMatch(/data checks done in .*: no statement validates or rewrites existing data/);
  });
});
