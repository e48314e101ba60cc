// old-code-incompatible on the stacks whose models load differently: an
// async project (asyncpg only, no synchronous driver), SQLModel models and a
// Flask-Migrate app with Flask-SQLAlchemy models, and the oldest stack (the base commit's app is
// created in the base tree's own bridge): the running release's models load
// the way they load for the models database, and a correct rename or a drop
// of a column they map is found.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding, Review } from '../../src/model.ts';
import {
  makeProject,
  revisionSource,
  VENV,
  VENV_OLDEST,
  type AlembicProject,
} from '../helpers/alembic-project.ts';
import { reviewProject } from '../helpers/review.ts';
import { flaskMigrate } from '../projects/fixtures.ts';
import { VENV_ASYNC } from '../projects/review.ts';

const projects: AlembicProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

async function incompatible(project: AlembicProject): Promise<{ found: Finding[]; report: Review }> {
  projects.push(project);
  const run = await reviewProject(project);
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.leftovers).toEqual([]);
  const report = JSON.parse(run.body) as Review;
  expect(run.stderr).toMatch(/deploy order \(migrate-first\): the running release on the new schema done/);
  return { found: report.findings.filter((f) => f.ruleId === 'old-code-incompatible'), report };
}

const RENAME = "op.alter_column('users', 'name', new_column_name='full_name')";

describe('old-code-incompatible on other stacks', () => {
  it.each([
    ['an async project (asyncpg only)', 'async', VENV_ASYNC],
    ['Alembic 1.8 / SQLAlchemy 1.4', 'sync', VENV_OLDEST],
  ] as const)('%s', async (_stack, env, venv) => {
    const models = (column: string): string => `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    ${column} = Column(String(100))
`;
    const project = await makeProject({
      env,
      venv,
      models: models('name'),
      revisions: [
        {
          id: 'a0a0a0a0a0a0',
          upgrade:
            "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(100)))",
        },
      ],
    });
    await project.pullRequest((p) => {
      p.write('app/models.py', models('full_name'));
      p.addRevision({ id: 'b1b1b1b1b1b1', down: 'a0a0a0a0a0a0', upgrade: RENAME });
    });
    const { found } = await incompatible(project);
    expect(found.map((f) => [f.table, f.column, f.details?.className, f.line])).toEqual([
      ['users', 'name', 'app.models.User', project.lineOf('migrations/versions/b1b1b1b1b1b1_rev.py', RENAME)],
    ]);
  });

  it("models that cannot load the seeded rows are not the migration's doing", async () => {
    // A polymorphic discriminator and JSON kept in a text column: the running release's
    // Python fails on the synthetic values on the old schema just the same. And a String
    // model over a uuid column: PostgreSQL refuses its INSERT on the old schema too.
    const models = (extra: string): string => `import json

from sqlalchemy import Column, Integer, String, Text
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

Base = declarative_base()


class JSONText(TypeDecorator):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)


class Award(Base):
    __tablename__ = "awards"
    id = Column(Integer, primary_key=True)
    type = Column(String(80))
    __mapper_args__ = {"polymorphic_on": type, "polymorphic_identity": "standard"}


class Token(Base):
    __tablename__ = "tokens"
    id = Column(Integer, primary_key=True)
    key = Column(String(36))


class Setting(Base):
    __tablename__ = "settings"
    id = Column(Integer, primary_key=True)
    value = Column(JSONText)
${extra}`;
    const project = await makeProject({
      models: models(''),
      revisions: [
        {
          id: 'a0a0a0a0a0a0',
          upgrade: `op.create_table('awards', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('type', sa.String(80)))
op.create_table('settings', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('value', sa.Text()))
op.create_table('tokens', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('key', sa.dialects.postgresql.UUID()))`,
        },
      ],
    });
    await project.pullRequest((p) => {
      p.write('app/models.py', models('    note = Column(String(50))\n'));
      p.addRevision({
        id: 'b1b1b1b1b1b1',
        down: 'a0a0a0a0a0a0',
        upgrade:
          "op.add_column('settings', sa.Column('note', sa.String(50), nullable=True))\nop.add_column('tokens', sa.Column('note', sa.String(50), nullable=True))",
      });
    });
    const { found, report } = await incompatible(project);
    expect(found).toEqual([]);
    expect(report.findings.filter((f) => f.severity !== 'notice').map((f) => f.ruleId)).not.toContain(
      'old-code-incompatible',
    );
  });

  it('SQLModel models', async () => {
    const models = (column: string): string => `from typing import Optional
from sqlmodel import Field, SQLModel

Base = SQLModel


class Hero(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    ${column}: Optional[str] = None
`;
    const project = await makeProject({
      models: models('power'),
      revisions: [
        {
          id: 'a0a0a0a0a0a0',
          upgrade:
            "op.create_table('hero', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(), nullable=False), sa.Column('power', sa.String()))",
        },
      ],
    });
    const rename = "op.alter_column('hero', 'power', new_column_name='superpower')";
    await project.pullRequest((p) => {
      p.write('app/models.py', models('superpower'));
      p.addRevision({ id: 'b1b1b1b1b1b1', down: 'a0a0a0a0a0a0', upgrade: rename });
    });
    const { found } = await incompatible(project);
    expect(found.map((f) => [f.table, f.column, f.details?.className, f.details?.cause])).toEqual([
      ['hero', 'power', 'app.models.Hero', 'renamed-column'],
    ]);
    expect(found[0]?.message).toBe(
      'The running release selects hero.power, which this migration renames to superpower: it fails until every instance runs the new code.',
    );
  });

  it('Flask-SQLAlchemy models of a Flask-Migrate app', async () => {
    const project = await flaskMigrate({ name: 'current Alembic / SQLAlchemy 2', venv: VENV });
    const modelsFile = path.join(project.dir, 'blog/models.py');
    project.write(
      'blog/models.py',
      readFileSync(modelsFile, 'utf8').replace('    title = db.Column(db.String(200), nullable=False)\n', ''),
    );
    const drop = "op.drop_column('posts', 'title')";
    project.write(
      'migrations/versions/c3c3c3c3c3c3_rev.py',
      revisionSource({ id: 'c3c3c3c3c3c3', down: 'b2b2b2b2b2b2', upgrade: drop }),
    );
    await project.commit('drop posts.title');
    const { found } = await incompatible(project);
    expect(found.map((f) => [f.table, f.column, f.details?.className, f.details?.cause, f.file])).toEqual([
      ['posts', 'title', 'blog.models.Post', 'dropped-column', 'migrations/versions/c3c3c3c3c3c3_rev.py'],
    ]);
    expect(found[0]?.details?.model).toMatchObject({ file: 'blog/models.py' });
  });
});
