// The baseline on real PostgreSQL and real Alembic: a base whose models
// already drift from its migrations (a GIN index only the migrations create,
// a server default the model has only on the Python side), reviewed with
// pull requests that add a nullable column, fix base drift, add new drift,
// silence base drift per object, or ask for pre-existing findings as errors.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding, Review } from '../../src/model.ts';
import { renderMarkdown } from '../../src/render/markdown.ts';
import { renderText } from '../../src/render/text.ts';
import { makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { reviewJson } from '../helpers/review-json.ts';

const projects: AlembicProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

const MODELS = `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Recipe(Base):
    __tablename__ = "recipes"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    auth_method = Column(String(20), nullable=False, default="password")
`;

const BASE_REVISION = {
  id: 'a0a0a0a0a0a0',
  upgrade: `op.create_table('recipes',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('name', sa.String(100), nullable=False))
op.execute("CREATE INDEX ix_recipes_name_fts ON recipes USING gin (to_tsvector('english', name))")
op.create_table('users',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('auth_method', sa.String(20), nullable=False, server_default='password'))`,
  downgrade: "op.drop_table('users')\nop.drop_table('recipes')",
};

/** The two drift findings main already has. */
const BASE_DRIFT = [
  ['drift-column-default', 'users'],
  ['drift-index', 'recipes'],
];

async function baseProject(pyproject?: string): Promise<AlembicProject> {
  const project = await makeProject({ models: MODELS, revisions: [BASE_REVISION] });
  projects.push(project);
  if (pyproject !== undefined) {
    project.write('pyproject.toml', pyproject);
    await project.commit('settings');
  }
  return project;
}

function addRevision(p: AlembicProject, upgrade: string, downgrade: string): void {
  p.addRevision({ id: 'b1b1b1b1b1b1', down: 'a0a0a0a0a0a0', upgrade, downgrade });
}

const NICKNAME_MODEL = MODELS.replace(
  '    auth_method = Column(String(20), nullable=False, default="password")\n',
  '    auth_method = Column(String(20), nullable=False, default="password")\n    nickname = Column(String(50))\n',
);

function addNickname(p: AlembicProject): void {
  p.write('app/models.py', NICKNAME_MODEL);
  addRevision(
    p,
    "op.add_column('users', sa.Column('nickname', sa.String(50), nullable=True))",
    "op.drop_column('users', 'nickname')",
  );
}

const drift = (report: Review, origin: 'pr' | 'base'): string[][] =>
  report.findings
    .filter((f) => f.category === 'drift' && f.origin === origin)
    .map((f) => [f.ruleId, f.table ?? ''])
    .sort();

const errorsAndWarnings = (report: Review): Finding[] =>
  report.findings.filter((f) => f.severity !== 'notice');

describe('the baseline', () => {
  it('passes a pull request that adds a nullable column to a base with drift, listing the base drift as notices', async () => {
    const project = await baseProject();
    await project.pullRequest(addNickname);
    const { code, report } = await reviewJson(project);

    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ errors: 0, verdict: 'pass' });
    expect(drift(report, 'base')).toEqual(BASE_DRIFT);
    expect(drift(report, 'pr')).toEqual([]);
    expect(report.findings.filter((f) => f.origin === 'base').every((f) => f.severity === 'notice')).toBe(
      true,
    );
    expect(report.findings.every((f) => f.origin === 'pr' || f.origin === 'base')).toBe(true);
    expect(report.fixed).toBeUndefined();

    const markdown = renderMarkdown(report);
    expect(markdown).toContain('<details><summary>ℹ️ 2 findings already on main, not from this PR</summary>');
    expect(markdown).toContain('### ✅ alembic-review: passed');
    const text = renderText(report);
    expect(text).toMatch(/2 findings already on main, not from this PR\n {2}drift-/);
    expect(text).toMatch(/\n {2}drift-column-default users\.auth_method /);
    expect(text).toMatch(/\n {2}drift-index recipes /);
  });

  it('says so when the pull request fixes drift of main', async () => {
    const project = await baseProject();
    await project.pullRequest((p) => {
      addRevision(
        p,
        "op.alter_column('users', 'auth_method', server_default=None, existing_type=sa.String(20))",
        "op.alter_column('users', 'auth_method', server_default='password', existing_type=sa.String(20))",
      );
    });
    const { code, report } = await reviewJson(project);

    expect(code).toBe(0);
    expect(report.fixed?.map((f) => [f.ruleId, f.table, f.column, f.origin])).toEqual([
      ['drift-column-default', 'users', 'auth_method', 'base'],
    ]);
    expect(drift(report, 'base')).toEqual([['drift-index', 'recipes']]);
    expect(renderMarkdown(report)).toMatch(
      /✨ \*\*This change fixes 1 drift finding of main:\*\* drift\\-column\\-default users\\\.auth\\_method/,
    );
    expect(renderText(report)).toContain('This change fixes 1 drift finding of main:');
  });

  it('reports only the new drift as an error when the pull request adds drift on top of the old', async () => {
    const project = await baseProject();
    await project.pullRequest((p) => {
      addNickname(p);
      // The model also gains a column that no migration adds.
      p.write(
        'app/models.py',
        NICKNAME_MODEL.replace(
          '    name = Column(String(100), nullable=False)\n',
          '    name = Column(String(100), nullable=False)\n    servings = Column(Integer)\n',
        ),
      );
    });
    const { code, report } = await reviewJson(project);

    expect(code).toBe(1);
    const errors = report.findings.filter((f) => f.severity === 'error');
    // The ORM smoke test fails on the missing column too: one finding says both.
    expect(errors.map((f) => f.ruleId)).toEqual(['drift-column-missing']);
    const [error] = errors;
    expect(error).toMatchObject({
      ruleId: 'drift-column-missing',
      table: 'recipes',
      column: 'servings',
      origin: 'pr',
    });
    expect(drift(report, 'base')).toEqual(BASE_DRIFT);
    expect(drift(report, 'pr')).toEqual([['drift-column-missing', 'recipes']]);
    expect(error?.message).toMatch(/storing app\.models\.Recipe through a Session fails/);
  });

  it("counts as main's the drift a later, untouched revision makes when the change edits an applied one", async () => {
    // main: a0 makes the tables, a1 (untouched by the change) the GIN index the models lack.
    const project = await makeProject({
      models: MODELS,
      revisions: [
        {
          ...BASE_REVISION,
          upgrade: BASE_REVISION.upgrade.replace(/\nop\.execute\("CREATE INDEX[^\n]*/, ''),
        },
        {
          id: 'a1a1a1a1a1a1',
          down: 'a0a0a0a0a0a0',
          upgrade: `op.execute("CREATE INDEX ix_recipes_name_fts ON recipes USING gin (to_tsvector('english', name))")`,
          downgrade: "op.execute('DROP INDEX ix_recipes_name_fts')",
        },
      ],
    });
    projects.push(project);
    // The change edits a0 (a comment in its upgrade): the replay starts below it.
    await project.pullRequest((p) => {
      const file = p.revisionPath({ id: 'a0a0a0a0a0a0', upgrade: '' });
      const source = readFileSync(path.join(p.dir, file), 'utf8');
      p.write(file, source.replace('def upgrade():\n', 'def upgrade():\n    # tables of the app\n'));
    });
    const { report, stderr } = await reviewJson(project);
    expect(stderr).not.toMatch(/did not apply/);
    expect(drift(report, 'pr')).toEqual([]);
    expect(drift(report, 'base')).toEqual(BASE_DRIFT);
  });

  it('silences base drift per object, and reports an ignore entry that matches nothing', async () => {
    const project = await baseProject(`[tool.alembic-review]
ignore = [
  "drift-index:recipes.ix_recipes_name_fts  GIN index for search, created in SQL only",
  { rule = "drift-column-default", object = "users.auth_*", reason = "Python-side default" },
  "drift-index:recipes.ix_gone # dropped last year",
]
`);
    await project.pullRequest(addNickname);
    const { code, report } = await reviewJson(project);

    expect(code).toBe(0);
    expect(drift(report, 'base')).toEqual([]);
    const unused = report.findings.filter((f) => f.ruleId === 'unused-ignore');
    expect(unused.map((f) => [f.severity, f.details?.object])).toEqual([['notice', 'recipes.ix_gone']]);
    expect(unused[0]?.message).toContain(
      '"drift-index:recipes.ix_gone" (dropped last year) matched no finding',
    );
  });

  it('fails on base drift with pre-existing = "error", and leaves it out with "off"', async () => {
    const project = await baseProject('[tool.alembic-review]\npre-existing = "error"\n');
    await project.pullRequest(addNickname);
    const asErrors = await reviewJson(project);
    expect(asErrors.code).toBe(1);
    const base = errorsAndWarnings(asErrors.report).filter((f) => f.origin === 'base');
    expect(base.map((f) => [f.ruleId, f.origin, f.severity])).toEqual([
      ['drift-index', 'base', 'error'],
      ['drift-column-default', 'base', 'error'],
    ]);

    const off = await reviewJson(project, ['--base', 'main', '--pre-existing', 'off']);
    expect(off.code).toBe(0);
    expect(off.report.findings.filter((f) => f.origin === 'base')).toEqual([]);
  });

  it("counts every finding as the change's, with one notice, when there is no base commit to review", async () => {
    const project = await baseProject();
    await project.pullRequest(addNickname);
    const { code, report } = await reviewJson(project, ['--since', 'a0a0a0a0a0a0']);

    expect(code).toBe(1);
    expect(drift(report, 'pr')).toEqual(BASE_DRIFT);
    expect(report.findings.every((f) => f.origin === 'pr')).toBe(true);
    const incomplete = report.findings.filter(
      (f) => f.ruleId === 'review-incomplete' && f.message.includes('base commit could not be reviewed'),
    );
    expect(incomplete).toHaveLength(1);
    expect(incomplete[0]?.message).toContain('there is no base commit (--since names a revision)');
  });

  describe('of the revision graph', () => {
    const TWO_HEADS = [
      BASE_REVISION,
      {
        id: 'c1c1c1c1c1c1',
        down: 'a0a0a0a0a0a0',
        upgrade: "op.create_index('ix_recipes_name', 'recipes', ['name'])",
        downgrade: "op.drop_index('ix_recipes_name', 'recipes')",
      },
      { id: 'c2c2c2c2c2c2', down: 'a0a0a0a0a0a0', upgrade: "op.execute('COMMENT ON TABLE users IS NULL')" },
    ];
    const graphProject = async (): Promise<AlembicProject> => {
      const project = await makeProject({ models: MODELS, revisions: TWO_HEADS });
      projects.push(project);
      return project;
    };

    it("counts the heads main already has as base, not as this change's", async () => {
      const project = await graphProject();
      await project.pullRequest((p) => {
        p.addRevision({
          id: 'd1d1d1d1d1d1',
          down: 'c1c1c1c1c1c1',
          upgrade: "op.execute('COMMENT ON TABLE recipes IS NULL')",
        });
      });
      const { code, report } = await reviewJson(project);
      expect(code).toBe(0);
      expect(
        report.findings.filter((f) => f.ruleId === 'multiple-heads').map((f) => [f.origin, f.severity]),
      ).toEqual([['base', 'notice']]);
    });

    it('says that a merge revision fixes the heads of main, and does not call it empty', async () => {
      const project = await graphProject();
      await project.pullRequest((p) => {
        p.addRevision({
          id: 'e1e1e1e1e1e1',
          down: ['c1c1c1c1c1c1', 'c2c2c2c2c2c2'],
          message: 'merge heads',
          upgrade: 'pass',
        });
      });
      const { code, report } = await reviewJson(project);
      expect(code).toBe(0);
      expect(report.findings.filter((f) => f.category === 'graph')).toEqual([]);
      expect(report.fixed?.map((f) => [f.ruleId, f.origin])).toEqual([['multiple-heads', 'base']]);
      expect(renderMarkdown(report)).toContain(
        '✨ **This change fixes 1 finding of main:** multiple\\-heads',
      );
    });
  });
});
