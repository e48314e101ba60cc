// Deploy order on real PostgreSQL and real Alembic: the base commit's models
// (the release still running while the migration runs) select and insert on
// the migrated head. A correct rename, a drop of a mapped column, a NOT NULL
// column after a backfill without a server default and a narrowed type each
// get old-code-incompatible, pointed at the op, and so does SET NOT NULL on a
// column the old model maps as nullable (its code leaves it unset); a nullable column, a new
// table, a new index, a NOT NULL column with a server default and a column
// the old code does not know get nothing. code-first also runs the new models
// on the base schema; off runs nothing.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, Review } from '../../src/model.ts';
import schema from '../../src/report.schema.json' with { type: 'json' };
import { makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { reviewProject } from '../helpers/review.ts';

const OLD_MODELS = `from sqlalchemy import Column, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Comment(Base):
    __tablename__ = "comments"
    id = Column(Integer, primary_key=True)
    text = Column(Text)


class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    legacy = Column(Text)


class Member(Base):
    __tablename__ = "members"
    id = Column(Integer, primary_key=True)
    name = Column(String(100))


class Tag(Base):
    __tablename__ = "tags"
    id = Column(Integer, primary_key=True)
    label = Column(String(200))


class Author(Base):
    __tablename__ = "authors"
    id = Column(Integer, primary_key=True)
    name = Column(String(100))


class Note(Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    body = Column(Text)


class Editor(Base):
    __tablename__ = "editors"
    id = Column(Integer, primary_key=True)
    name = Column(String(100))


class Reader(Base):
    __tablename__ = "readers"
    id = Column(Integer, primary_key=True)
    name = Column(String(100))


class Profile(Base):
    __tablename__ = "profiles"
    id = Column(Integer, primary_key=True)
    nickname = Column(String(50))
`;

const NEW_MODELS = `from sqlalchemy import Column, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Comment(Base):
    __tablename__ = "comments"
    id = Column(Integer, primary_key=True)
    body = Column(Text)


class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)


class Member(Base):
    __tablename__ = "members"
    id = Column(Integer, primary_key=True)
    name = Column(String(100))
    slug = Column(String(100), nullable=False)


class Tag(Base):
    __tablename__ = "tags"
    id = Column(Integer, primary_key=True)
    label = Column(String(20))


class Author(Base):
    __tablename__ = "authors"
    id = Column(Integer, primary_key=True)
    name = Column(String(100))
    bio = Column(Text)


class Note(Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    body = Column(Text)
    status = Column(String(20), nullable=False, server_default=text("'draft'"))


class Editor(Base):
    __tablename__ = "editors"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), index=True)


class Reader(Base):
    __tablename__ = "readers"
    id = Column(Integer, primary_key=True)
    name = Column(String(100))
    visits = Column(Integer, default=0)


class Profile(Base):
    __tablename__ = "profiles"
    id = Column(Integer, primary_key=True)
    nickname = Column(String(50), nullable=False)


class Label(Base):
    __tablename__ = "labels"
    id = Column(Integer, primary_key=True)
    tag_id = Column(Integer, ForeignKey("tags.id"))
`;

const table = (name: string, columns: string): string =>
  `op.create_table('${name}', sa.Column('id', sa.Integer(), primary_key=True), ${columns})`;

const BASE_REVISION = {
  id: 'a0a0a0a0a0a0',
  upgrade: [
    table('comments', "sa.Column('text', sa.Text())"),
    table('posts', "sa.Column('title', sa.String(200), nullable=False), sa.Column('legacy', sa.Text())"),
    table('members', "sa.Column('name', sa.String(100))"),
    table('tags', "sa.Column('label', sa.String(200))"),
    table('authors', "sa.Column('name', sa.String(100))"),
    table('notes', "sa.Column('body', sa.Text())"),
    table('editors', "sa.Column('name', sa.String(100))"),
    table('readers', "sa.Column('name', sa.String(100))"),
    table('profiles', "sa.Column('nickname', sa.String(50))"),
  ].join('\n'),
};

/** Each line of the change, by what it does (the test looks their lines up). */
const OPS = {
  rename: "op.alter_column('comments', 'text', new_column_name='body')",
  drop: "op.drop_column('posts', 'legacy')",
  addSlug: "op.add_column('members', sa.Column('slug', sa.String(100), nullable=True))",
  backfill: `op.execute("UPDATE members SET slug = 'member-' || id")`,
  notNull: "op.alter_column('members', 'slug', existing_type=sa.String(100), nullable=False)",
  narrow: "op.alter_column('tags', 'label', type_=sa.String(20), existing_type=sa.String(200))",
  nullable: "op.add_column('authors', sa.Column('bio', sa.Text(), nullable=True))",
  serverDefault:
    "op.add_column('notes', sa.Column('status', sa.String(20), nullable=False, server_default=sa.text(\"'draft'\")))",
  index: "op.create_index('ix_editors_name', 'editors', ['name'])",
  unknown: "op.add_column('readers', sa.Column('visits', sa.Integer(), nullable=True))",
  fillNulls: `op.execute("UPDATE profiles SET nickname = 'anonymous' WHERE nickname IS NULL")`,
  setNotNull: "op.alter_column('profiles', 'nickname', existing_type=sa.String(50), nullable=False)",
  newTable:
    "op.create_table('labels', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('tag_id', sa.Integer(), sa.ForeignKey('tags.id')))",
};
const DOWNGRADE = `op.drop_table('labels')
op.alter_column('profiles', 'nickname', existing_type=sa.String(50), nullable=True)
op.drop_column('readers', 'visits')
op.drop_index('ix_editors_name', 'editors')
op.drop_column('notes', 'status')
op.drop_column('authors', 'bio')
op.alter_column('tags', 'label', type_=sa.String(200), existing_type=sa.String(20))
op.drop_column('members', 'slug')
op.add_column('posts', sa.Column('legacy', sa.Text()))
op.alter_column('comments', 'body', new_column_name='text')`;
const REVISION_PATH = 'migrations/versions/b1b1b1b1b1b1_rev.py';

const projects: AlembicProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

async function scenarioProject(): Promise<AlembicProject> {
  const project = await makeProject({ models: OLD_MODELS, revisions: [BASE_REVISION] });
  projects.push(project);
  await project.pullRequest((p) => {
    p.write('app/models.py', NEW_MODELS);
    p.addRevision({
      id: 'b1b1b1b1b1b1',
      down: 'a0a0a0a0a0a0',
      upgrade: Object.values(OPS).join('\n'),
      downgrade: DOWNGRADE,
    });
  });
  return project;
}

async function review(
  project: AlembicProject,
  args: string[] = [],
): Promise<{ report: Review; stderr: string }> {
  const run = await reviewProject(project, { args });
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.leftovers).toEqual([]);
  return { report: JSON.parse(run.body) as Review, stderr: run.stderr };
}

const incompatible = (report: Review): Finding[] =>
  report.findings.filter((f) => f.ruleId === 'old-code-incompatible');
const byTable = (found: Finding[]): Record<string, Finding> =>
  Object.fromEntries(found.map((f) => [`${f.table ?? ''}.${f.column ?? ''}`, f]));

describe('old-code-incompatible (migrate-first)', () => {
  let project: AlembicProject;
  let report: Review;
  let stderr: string;
  beforeAll(async () => {
    project = await scenarioProject();
    ({ report, stderr } = await review(project));
  });

  it('finds the rename, the drop, the NOT NULL columns without default and the narrowed type, nothing else', () => {
    const found = incompatible(report);
    expect(Object.keys(byTable(found)).sort()).toEqual([
      'comments.text',
      'members.slug',
      'posts.legacy',
      'profiles.nickname',
      'tags.label',
    ]);
    for (const f of found) {
      expect(f).toMatchObject({
        severity: 'warning',
        category: 'runtime',
        revision: 'b1b1b1b1b1b1',
        file: REVISION_PATH,
        details: { direction: 'old-code-on-new-schema', model: { file: 'app/models.py' } },
      });
      expect(f.suggestion?.text).toBeTruthy();
    }
    expect(new Ajv2020({ strict: false }).validate(schema, report)).toBe(true);
    expect(stderr).toMatch(
      /deploy order \(migrate-first\): the running release on the new schema done in .*: old code on the new schema: 9 classes, 5 incompatible/,
    );
  });

  it('points each at the op that caused it, names the old class and its line, and the statement', () => {
    const found = byTable(incompatible(report));
    const rename = found['comments.text'];
    expect(rename).toMatchObject({
      line: project.lineOf(REVISION_PATH, OPS.rename),
      details: {
        className: 'app.models.Comment',
        cause: 'renamed-column',
        statements: ['select', 'insert'],
        model: { line: 7 },
      },
    });
    expect(rename?.message).toBe(
      'The running release selects comments.text, which this migration renames to body: it fails until every instance runs the new code.',
    );
    expect(rename?.sql).toMatch(
      /^SELECT comments\.id AS comments_id, comments\.text AS comments_text\s+FROM comments/,
    );
    expect(rename?.suggestion?.code).toContain(
      'op.add_column("comments", sa.Column("body", sa.Text(), nullable=True))',
    );

    const drop = found['posts.legacy'];
    expect(drop).toMatchObject({
      line: project.lineOf(REVISION_PATH, OPS.drop),
      details: { cause: 'dropped-column' },
    });
    expect(drop?.message).toBe(
      'The running release selects posts.legacy, which this migration drops: it fails until every instance runs the new code.',
    );
    expect(drop?.suggestion?.text).toMatch(/deferred\(\)/);

    const notNull = found['members.slug'];
    expect(notNull).toMatchObject({
      line: project.lineOf(REVISION_PATH, OPS.notNull),
      details: { cause: 'not-null', statements: ['insert'], sqlstate: '23502' },
    });
    expect(notNull?.message).toBe(
      'The running release inserts Member without members.slug, which this migration makes NOT NULL without a server default: it fails until every instance runs the new code.',
    );
    expect(notNull?.sql).toMatch(/^INSERT INTO members/);
    expect(notNull?.suggestion?.text).toMatch(/server_default/);

    // The old model maps nickname as nullable: its code inserts profiles without one.
    expect(found['profiles.nickname']).toMatchObject({
      line: project.lineOf(REVISION_PATH, OPS.setNotNull),
      details: { cause: 'not-null', statements: ['insert'], className: 'app.models.Profile' },
    });

    const narrow = found['tags.label'];
    expect(narrow).toMatchObject({
      line: project.lineOf(REVISION_PATH, OPS.narrow),
      details: { cause: 'narrowed', sqlstate: '22001' },
    });
    expect(narrow?.message).toBe(
      'The running release writes up to 200 characters into tags.label (VARCHAR(200) in its model), which this migration narrows to VARCHAR(20): it fails until every instance runs the new code.',
    );
  });

  it('is about the deploy only: the change is otherwise right (no drift, no ORM failure, a clean round trip)', () => {
    expect(
      report.findings.filter(
        (f) => ['drift', 'roundtrip'].includes(f.category) || f.ruleId === 'orm-insert-failed',
      ),
    ).toEqual([]);
  });
});

describe('deploy-order setting', () => {
  it('code-first also runs the new models on the base schema', async () => {
    const project = await scenarioProject();
    const { report, stderr } = await review(project, ['--deploy-order', 'code-first']);
    const found = incompatible(report);
    const fresh = found.filter((f) => f.details?.direction === 'new-code-on-old-schema');
    expect(Object.keys(byTable(fresh)).sort()).toEqual([
      'authors.bio',
      'comments.body',
      'labels.',
      'members.slug',
      'notes.status',
      'readers.visits',
    ]);
    expect(byTable(fresh)['authors.bio']).toMatchObject({
      file: REVISION_PATH,
      line: project.lineOf(REVISION_PATH, OPS.nullable),
      message:
        'The new release selects authors.bio, which exists only once this migration has run: with a code-first deploy it fails until the migration has run.',
    });
    expect(byTable(fresh)['labels.']?.line).toBe(project.lineOf(REVISION_PATH, OPS.newTable));
    // The old direction is checked as well.
    expect(found.filter((f) => f.details?.direction === 'old-code-on-new-schema')).toHaveLength(5);
    expect(stderr).toMatch(/new code on the old schema: 10 classes, 6 incompatible/);
  });

  it('off runs nothing, and so does the rule set to off', async () => {
    const project = await scenarioProject();
    const off = await review(project, ['--deploy-order', 'off']);
    expect(incompatible(off.report)).toEqual([]);
    expect(off.stderr).not.toMatch(/deploy order/);
    project.write(
      'pyproject.toml',
      '[tool.alembic-review]\ndeploy-order = "code-first"\n\n[tool.alembic-review.rules]\nold-code-incompatible = "off"\n',
    );
    const ruleOff = await review(project);
    expect(incompatible(ruleOff.report)).toEqual([]);
    expect(ruleOff.stderr).not.toMatch(/deploy order/);
  });
});
