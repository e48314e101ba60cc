// The ORM smoke test on models that are fine must not fail: NOT NULL Float
// and Numeric columns (small precision too) get values that fit, and NOT NULL
// foreign keys point at a parent row — the one stored for the parent's class,
// or one made for a table no class maps. Real PostgreSQL, both Alembic pairs.
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, VENV, VENV_OLDEST, type AlembicProject } from '../helpers/alembic-project.ts';
import { reviewJson } from '../helpers/review-json.ts';

const projects: AlembicProject[] = [];
afterAll(() => {
  for (const p of projects) p.remove();
});

const MODELS = `from sqlalchemy import Column, Float, ForeignKey, Integer, Numeric, String, Table
from sqlalchemy.orm import declarative_base

Base = declarative_base()

# A lookup table no class maps.
currencies = Table("currencies", Base.metadata, Column("code", String(3), primary_key=True))


class Ledger(Base):
    __tablename__ = "ledger"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    currency = Column(String(3), ForeignKey("currencies.code"), nullable=False)
    amount = Column(Numeric(12, 2), nullable=False)
    discount = Column(Numeric(2, 2), nullable=False)
    ratio = Column(Float, nullable=False)


class Account(Base):
    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True)
    weight = Column(Float(precision=24), nullable=False)
`;

const BASE = {
  id: 'a0a0a0a0a0a0',
  upgrade: `op.create_table('currencies', sa.Column('code', sa.String(3), primary_key=True))
op.create_table('accounts',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('weight', sa.Float(precision=24), nullable=False))
op.create_table('ledger',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('account_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=False),
    sa.Column('currency', sa.String(3), sa.ForeignKey('currencies.code'), nullable=False),
    sa.Column('amount', sa.Numeric(12, 2), nullable=False),
    sa.Column('discount', sa.Numeric(2, 2), nullable=False),
    sa.Column('ratio', sa.Float(), nullable=False))`,
};

for (const [pair, venv] of [
  ['current', VENV],
  ['oldest', VENV_OLDEST],
] as const) {
  describe(`ORM smoke test (${pair} Alembic/SQLAlchemy)`, () => {
    it('stores models with NOT NULL Float, Numeric and foreign key columns without a false failure', async () => {
      const project = await makeProject({ models: MODELS, revisions: [BASE], venv });
      projects.push(project);
      await project.pullRequest((p) => {
        p.addRevision({
          id: 'b1b1b1b1b1b1',
          down: 'a0a0a0a0a0a0',
          upgrade: "op.create_index('ix_ledger_currency', 'ledger', ['currency'])",
          downgrade: "op.drop_index('ix_ledger_currency', 'ledger')",
        });
        p.write(
          'app/models.py',
          MODELS.replace(
            '    currency = Column(String(3), ForeignKey("currencies.code"), nullable=False)\n',
            '    currency = Column(String(3), ForeignKey("currencies.code"), nullable=False, index=True)\n',
          ),
        );
      });
      const { report, stderr } = await reviewJson(project);
      expect(stderr).toMatch(/ORM smoke test done in .*: 2 mapped classes/);
      expect(
        report.findings.filter(
          (f) =>
            f.ruleId === 'orm-insert-failed' || (f.ruleId === 'review-incomplete' && /ORM/.test(f.message)),
        ),
      ).toEqual([]);
      expect(report.findings.filter((f) => f.category === 'drift')).toEqual([]);
    });
  });
}
