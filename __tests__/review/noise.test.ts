// Less noise, on real PostgreSQL and real Alembic: one missing-lock-timeout
// per transaction (Alembic runs the whole upgrade in one by default), and a
// key column's type changed by hand (add new, copy, drop old, rename, new
// primary key) is no drop-column warning — only the primary key's lock is.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Review } from '../../src/model.ts';
import { makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { reviewJson } from '../helpers/review-json.ts';

const projects: AlembicProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

const MODELS = `from sqlalchemy import Column, Integer, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False)
    bio = Column(Text)


class Item(Base):
    __tablename__ = "item"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    summary = Column(Text)
`;

const BASE = {
  id: 'a0a0a0a0a0a0',
  upgrade: `op.create_table('users',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('email', sa.String(255), nullable=False))
op.create_table('item',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('title', sa.String(200), nullable=False))`,
};

async function twoRevisions(env?: (source: string) => string): Promise<Review> {
  const project = await makeProject({ models: MODELS, revisions: [BASE] });
  projects.push(project);
  if (env !== undefined) {
    const file = 'migrations/env.py';
    project.write(file, env(readFileSync(path.join(project.dir, file), 'utf8')));
    await project.commit('env.py');
  }
  await project.pullRequest((p) => {
    p.addRevision({
      id: 'b1b1b1b1b1b1',
      down: 'a0a0a0a0a0a0',
      upgrade: "op.add_column('users', sa.Column('bio', sa.Text()))",
    });
    p.addRevision({
      id: 'c2c2c2c2c2c2',
      down: 'b1b1b1b1b1b1',
      upgrade: "op.add_column('item', sa.Column('summary', sa.Text()))",
    });
  });
  return (await reviewJson(project)).report;
}

const timeouts = (report: Review) => report.findings.filter((f) => f.ruleId === 'missing-lock-timeout');

describe('noise', () => {
  it('gives the revisions of one transaction one missing-lock-timeout', async () => {
    const [finding, ...more] = timeouts(await twoRevisions());
    expect(more).toEqual([]);
    expect(finding).toMatchObject({
      revision: 'b1b1b1b1b1b1',
      table: 'users',
      details: { tables: ['users', 'item'] },
    });
    expect(finding?.message).toMatch(/in one transaction.*: c2c2c2c2c2c2 also lock item without one\./);
  });

  it('gives each revision its own when env.py commits each revision on its own', async () => {
    const report = await twoRevisions((env) =>
      env.replace(
        'context.configure(connection=connection, target_metadata=target_metadata)',
        'context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=True)',
      ),
    );
    expect(timeouts(report).map((f) => [f.revision, f.table])).toEqual([
      ['b1b1b1b1b1b1', 'users'],
      ['c2c2c2c2c2c2', 'item'],
    ]);
  });

  it('recognises a key type changed by hand: no drop-column, the new primary key warned about', async () => {
    const base = MODELS.replace('    bio = Column(Text)\n', '').replace('    summary = Column(Text)\n', '');
    const uuidModels = base.replace(
      '    __tablename__ = "item"\n    id = Column(Integer, primary_key=True)',
      '    __tablename__ = "item"\n    id = Column(UUID(as_uuid=True), primary_key=True)',
    );
    const project = await makeProject({ models: base, revisions: [BASE] });
    projects.push(project);
    await project.pullRequest((p) => {
      p.write('app/models.py', uuidModels);
      p.addRevision({
        id: 'd1d1d1d1d1d1',
        down: 'a0a0a0a0a0a0',
        upgrade: `op.execute("SET lock_timeout = '5s'")
op.add_column('item', sa.Column('new_id', sa.dialects.postgresql.UUID(as_uuid=True), nullable=True))
op.execute('UPDATE item SET new_id = gen_random_uuid()')
op.alter_column('item', 'new_id', nullable=False)
op.drop_column('item', 'id')
op.alter_column('item', 'new_id', new_column_name='id')
op.create_primary_key('item_pkey', 'item', ['id'])`,
        downgrade: 'raise NotImplementedError("one-way: the integer ids are gone")',
      });
    });
    const { report } = await reviewJson(project);
    const file = project.revisionPath({ id: 'd1d1d1d1d1d1', upgrade: '' });
    const warned = report.findings.filter((f) => f.severity !== 'notice');
    // The running release inserts items without an id, which is now a UUID with no default: that is real.
    expect(warned.map((f) => [f.ruleId, f.line])).toEqual([
      ['add-primary-key', project.lineOf(file, 'op.create_primary_key')],
      ['old-code-incompatible', project.lineOf(file, 'op.create_primary_key')],
    ]);
    const rules = report.findings.map((f) => f.ruleId);
    for (const noise of [
      'drop-column',
      'drop-and-add-column',
      'rename-column',
      'set-not-null-without-backfill',
    ])
      expect(rules).not.toContain(noise);
  });
});
