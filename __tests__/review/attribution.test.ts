// The right line for every finding, on real PostgreSQL and real Alembic (the
// current pair and the oldest supported one): the statements of a
// batch_alter_table block belong to their batch_op.* calls, not to the `with`
// line; the lock DROP CONSTRAINT takes on the table a foreign key refers to
// belongs to that statement, not to the next one that happens to ask.
import { afterAll, describe, expect, it } from 'vitest';
import type { Revision } from '../../src/model.ts';
import { makeProject, VENV, VENV_OLDEST, type AlembicProject } from '../helpers/alembic-project.ts';
import { reviewJson } from '../helpers/review-json.ts';

const projects: AlembicProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

const MODELS = `from sqlalchemy import Column, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False)


class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    author_id = Column(Integer, ForeignKey("users.id"), nullable=False)
`;

const BASE = {
  id: 'a0a0a0a0a0a0',
  upgrade: `op.create_table('users',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('email', sa.String(255), nullable=False))
op.create_table('posts',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('title', sa.String(200), nullable=False),
    sa.Column('author_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False))`,
  downgrade: "op.drop_table('posts')\nop.drop_table('users')",
};

async function review(
  venv: string,
  upgrade: string,
): Promise<{ project: AlembicProject; revision: Revision }> {
  const project = await makeProject({ models: MODELS, revisions: [BASE], venv });
  projects.push(project);
  await project.pullRequest((p) => {
    p.addRevision({ id: 'b1b1b1b1b1b1', down: 'a0a0a0a0a0a0', upgrade });
  });
  const { report } = await reviewJson(project);
  const revision = report.revisions.find((r) => r.id === 'b1b1b1b1b1b1');
  if (revision === undefined) throw new Error('the new revision is not in the report');
  return { project, revision };
}

const FILE = 'migrations/versions/b1b1b1b1b1b1_rev.py';

for (const [pair, venv] of [
  ['current', VENV],
  ['oldest', VENV_OLDEST],
] as const) {
  describe(`statement attribution (${pair} Alembic/SQLAlchemy)`, () => {
    it('gives each statement of a batch_alter_table block the line of its batch_op call', async () => {
      const { project, revision } = await review(
        venv,
        `with op.batch_alter_table('users') as batch_op:
    batch_op.add_column(sa.Column('nickname', sa.String(50)))
    batch_op.alter_column('email',
        type_=sa.String(320), existing_type=sa.String(255))
    batch_op.create_index('ix_users_nickname', ['nickname'])`,
      );
      const line = (needle: string): number => project.lineOf(FILE, needle);
      expect(revision.statements.map((s) => [s.sql.split(' ').slice(0, 6).join(' '), s.line])).toEqual([
        ['ALTER TABLE users ADD COLUMN nickname', line('batch_op.add_column')],
        ['ALTER TABLE users ALTER COLUMN email', line('batch_op.alter_column')],
        ['CREATE INDEX ix_users_nickname ON users (nickname)', line('batch_op.create_index')],
      ]);
      expect(line('batch_op.add_column')).toBe(line('with op.batch_alter_table') + 1);
    });

    it('gives the lock DROP CONSTRAINT takes on the referenced table to that statement', async () => {
      const { revision } = await review(
        venv,
        `op.add_column('posts', sa.Column('summary', sa.Text()))
op.drop_constraint('posts_author_id_fkey', 'posts', type_='foreignkey')
op.create_index('ix_posts_summary', 'posts', ['summary'])
op.execute("UPDATE posts SET summary = title")`,
      );
      const exclusive = revision.statements.map((s) =>
        s.locks.filter((l) => l.mode === 'AccessExclusiveLock').map((l) => l.relation),
      );
      expect(revision.statements.map((s) => s.sql.split(' ').slice(0, 4).join(' '))).toEqual([
        'ALTER TABLE posts ADD',
        'ALTER TABLE posts DROP',
        'CREATE INDEX ix_posts_summary ON',
        'UPDATE posts SET summary',
      ]);
      expect(exclusive).toEqual([['posts'], ['users'], [], []]);
    });
  });
}
