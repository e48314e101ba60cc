// downgrade-failed says what to do about the cause, on real PostgreSQL and
// real Alembic: a constraint dropped without its name (autogenerate's
// drop_constraint(None, ...)), rows that the old schema cannot take back, and
// a revision that declares itself one-way.
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model.ts';
import { makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { reviewJson } from '../helpers/review-json.ts';

const projects: AlembicProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

const MODELS = `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255))
`;

async function downgradeFailure(upgrade: string, downgrade: string): Promise<Finding> {
  const project = await makeProject({
    models: MODELS,
    revisions: [
      {
        id: 'a0a0a0a0a0a0',
        upgrade:
          "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('email', sa.String(255), nullable=False))",
        downgrade: "op.drop_table('users')",
      },
    ],
  });
  projects.push(project);
  await project.pullRequest((p) => {
    p.addRevision({ id: 'b1b1b1b1b1b1', down: 'a0a0a0a0a0a0', upgrade, downgrade });
  });
  const { report } = await reviewJson(project);
  const found = report.findings.filter((f) => f.ruleId === 'downgrade-failed');
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}

describe('downgrade-failed', () => {
  it('asks for the constraint name when downgrade() drops an unnamed constraint', async () => {
    const finding = await downgradeFailure(
      "op.create_unique_constraint(None, 'users', ['email'])",
      "op.drop_constraint(None, 'users', type_='unique')",
    );
    expect(finding).toMatchObject({ severity: 'error', details: { cause: 'unnamed-constraint' } });
    expect(finding.message).toMatch(/no name/);
    expect(finding.suggestion?.text).toMatch(
      /op\.drop_constraint\(None, \.\.\.\).*Pass the name Postgres gave it/,
    );
    expect(finding.suggestion?.code).toMatch(
      /^op\.drop_constraint\("users_email_key", "users", type_="unique"\)/,
    );
  });

  it('asks for the rows to be handled when they violate what the downgrade restores', async () => {
    const finding = await downgradeFailure(
      "op.alter_column('users', 'email', nullable=True, existing_type=sa.String(255))\nop.execute(\"UPDATE users SET email = NULL WHERE id = (SELECT min(id) FROM users)\")",
      "op.alter_column('users', 'email', nullable=False, existing_type=sa.String(255))",
    );
    expect(finding).toMatchObject({ severity: 'error', details: { cause: 'rows', sqlstate: '23502' } });
    expect(finding.suggestion?.text).toMatch(/fill the NULLs of the column before it becomes NOT NULL again/);
  });

  it('is a notice when downgrade() says the revision cannot be undone', async () => {
    const finding = await downgradeFailure(
      "op.add_column('users', sa.Column('nickname', sa.String(50)))",
      'raise NotImplementedError("one-way: the old values are gone")',
    );
    expect(finding).toMatchObject({ severity: 'notice', details: { cause: 'irreversible' } });
    expect(finding.message).toMatch(/says it cannot be undone: its downgrade\(\) raises NotImplementedError/);
  });

  it('names the older of two new revisions when its downgrade fails after the newer one went down', async () => {
    const project = await makeProject({
      models: MODELS,
      revisions: [
        {
          id: 'a0a0a0a0a0a0',
          upgrade: "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))",
          downgrade: "op.drop_table('users')",
        },
      ],
    });
    projects.push(project);
    await project.pullRequest((p) => {
      p.addRevision({
        id: 'b1b1b1b1b1b1',
        down: 'a0a0a0a0a0a0',
        upgrade: "op.add_column('users', sa.Column('email', sa.String(255)))",
        downgrade: "op.drop_column('users', 'no_such_column')",
      });
      p.addRevision({
        id: 'c2c2c2c2c2c2',
        down: 'b1b1b1b1b1b1',
        upgrade: "op.add_column('users', sa.Column('nickname', sa.String(50)))",
        downgrade: "op.drop_column('users', 'nickname')",
      });
    });
    const { report } = await reviewJson(project);
    const found = report.findings.filter((f) => f.ruleId === 'downgrade-failed');
    expect(found.map((f) => [f.revision, f.file])).toEqual([
      ['b1b1b1b1b1b1', 'migrations/versions/b1b1b1b1b1b1_rev.py'],
    ]);
    expect(found[0]?.line).toBe(project.lineOf('migrations/versions/b1b1b1b1b1b1_rev.py', 'no_such_column'));
    expect(found[0]?.message).toMatch(/no_such_column/);
  });
});
