// The ORM smoke test on models that are fine must not fail: NOT NULL Float
// and Numeric columns (small precision too) get values that fit, and NOT NULL
// foreign keys point at a parent row — the one stored for the parent's class,
// or one made for a table no class maps. Real PostgreSQL, both Alembic pairs.
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, VENV, VENV_OLDEST, type AlembicProject } from '../helpers/alembic-project.ts';
import { reviewJson } from '../helpers/review-json.ts';
import { VENV_SA13 } from '../projects/review.ts';

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

const ormFindings = (report: Awaited<ReturnType<typeof reviewJson>>['report']) =>
  report.findings.filter(
    (f) => f.ruleId === 'orm-insert-failed' || (f.ruleId === 'review-incomplete' && /ORM/.test(f.message)),
  );

/**
 * A change that only indexes one column (its revision, and index=True on the
 * model's line): the models are fine, so the ORM smoke test must find nothing.
 */
async function reviewIndexOnly(
  spec: { models: string; base: { id: string; upgrade: string }; venv?: string },
  index: { id: string; table: string; column: string; line: string },
): Promise<Awaited<ReturnType<typeof reviewJson>>> {
  const project = await makeProject({ models: spec.models, revisions: [spec.base], venv: spec.venv ?? VENV });
  projects.push(project);
  const name = `ix_${index.table}_${index.column}`;
  await project.pullRequest((p) => {
    p.addRevision({
      id: index.id,
      down: spec.base.id,
      upgrade: `op.create_index('${name}', '${index.table}', ['${index.column}'])`,
      downgrade: `op.drop_index('${name}', '${index.table}')`,
    });
    p.write('app/models.py', spec.models.replace(index.line, index.line.replace(/\)$/, ', index=True)')));
  });
  return reviewJson(project);
}

for (const [pair, venv] of [
  ['current', VENV],
  ['oldest', VENV_OLDEST],
] as const) {
  describe(`ORM smoke test (${pair} Alembic/SQLAlchemy)`, () => {
    it('stores models with NOT NULL Float, Numeric and foreign key columns without a false failure', async () => {
      const { report, stderr } = await reviewIndexOnly(
        { models: MODELS, base: BASE, venv },
        {
          id: 'b1b1b1b1b1b1',
          table: 'ledger',
          column: 'currency',
          line: 'currency = Column(String(3), ForeignKey("currencies.code"), nullable=False)',
        },
      );
      expect(stderr).toMatch(/ORM smoke test done in .*: 2 mapped classes/);
      expect(ormFindings(report)).toEqual([]);
      expect(report.findings.filter((f) => f.category === 'drift')).toEqual([]);
    });
  });
}

// Real projects' own types: a TypeDecorator whose Python code wants an object
// of the application (redash's encrypted settings call value.to_json()), and
// a UUID type that is CHAR(36) in general but a uuid on PostgreSQL (prefect's
// impl = TypeEngine + load_dialect_impl). Neither says anything about the
// schema: the class and the class whose foreign key needs its row are stored.
const APP_TYPES = `import uuid

from sqlalchemy import CHAR, Column, ForeignKey, Integer, LargeBinary
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator, TypeEngine

Base = declarative_base()


class Settings(TypeDecorator):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.to_json().encode()


class UUIDType(TypeDecorator):
    impl = TypeEngine
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID())
        return dialect.type_descriptor(CHAR(36))

    def process_bind_param(self, value, dialect):
        return None if value is None else str(uuid.UUID(str(value)))


class Source(Base):
    __tablename__ = "sources"
    id = Column(Integer, primary_key=True)
    options = Column(Settings, nullable=False)


class SourceGroup(Base):
    __tablename__ = "source_groups"
    id = Column(Integer, primary_key=True)
    source_id = Column(Integer, ForeignKey("sources.id"), nullable=False)
    token = Column(UUIDType, nullable=False)
`;

const APP_TYPES_BASE = {
  id: 'c0c0c0c0c0c0',
  upgrade: `from sqlalchemy.dialects import postgresql
op.create_table('sources',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('options', sa.LargeBinary(), nullable=False))
op.create_table('source_groups',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('source_id', sa.Integer(), sa.ForeignKey('sources.id'), nullable=False),
    sa.Column('token', postgresql.UUID(), nullable=False))`,
};

for (const [pair, venv, models] of [
  ['current', VENV, APP_TYPES],
  ['oldest', VENV_OLDEST, APP_TYPES],
  // redash runs SQLAlchemy 1.3 (its declarative_base is in sqlalchemy.ext).
  [
    'SQLAlchemy 1.3',
    VENV_SA13,
    APP_TYPES.replace(
      'from sqlalchemy.orm import declarative_base',
      'from sqlalchemy.ext.declarative import declarative_base',
    ),
  ],
] as const) {
  describe(`ORM smoke test on the application's own types (${pair} Alembic/SQLAlchemy)`, () => {
    it('stores a class whose TypeDecorator refuses synthetic values, and the class whose foreign key needs it', async () => {
      const { report, stderr } = await reviewIndexOnly(
        { models, base: APP_TYPES_BASE, venv },
        {
          id: 'c1c1c1c1c1c1',
          table: 'source_groups',
          column: 'source_id',
          line: 'source_id = Column(Integer, ForeignKey("sources.id"), nullable=False)',
        },
      );
      expect(stderr).toMatch(/ORM smoke test done in .*: 2 mapped classes/);
      expect(ormFindings(report)).toEqual([]);
      expect(report.findings.filter((f) => f.category === 'drift')).toEqual([]);
    });
  });
}

// A parent whose model has a column the migrations never add (drift, and the
// parent's own ORM failure): its child is still tried, on a parent row stored
// as the database has the table, so the child's own problem is found too.
describe('ORM smoke test under a parent with drift', () => {
  it('tries the child on a parent row stored as the table is, and reports each class for itself', async () => {
    const models = `from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Account(Base):
    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False)


class Token(Base):
    __tablename__ = "tokens"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
`;
    const project = await makeProject({
      models,
      revisions: [
        {
          id: 'd0d0d0d0d0d0',
          upgrade: `op.create_table('accounts', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(40), nullable=False))
op.create_table('tokens', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('account_id', sa.Integer(), sa.ForeignKey('accounts.id'), nullable=False))`,
        },
      ],
    });
    projects.push(project);
    await project.pullRequest((p) => {
      // The model change of an autogenerate run that found nothing: an empty revision.
      p.addRevision({ id: 'd1d1d1d1d1d1', down: 'd0d0d0d0d0d0', upgrade: 'pass' });
      p.write(
        'app/models.py',
        models
          .replace(
            '    name = Column(String(40), nullable=False)\n',
            '    name = Column(String(40), nullable=False)\n    created_at = Column(DateTime(timezone=True), nullable=False)\n',
          )
          .replace(
            '    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)\n',
            '    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)\n    created_at = Column(DateTime(timezone=True), nullable=False)\n',
          ),
      );
    });
    const { report } = await reviewJson(project);
    expect(report.findings.filter((f) => f.ruleId === 'drift-column-missing').map((f) => f.table)).toEqual(
      expect.arrayContaining(['accounts', 'tokens']),
    );
    // Each class's own failure is folded into its drift finding (the application fails on it).
    expect(ormFindings(report)).toEqual([]);
    for (const table of ['accounts', 'tokens']) {
      expect(
        report.findings.find((f) => f.ruleId === 'drift-column-missing' && f.table === table)?.message,
      ).toMatch(/ORM smoke test/);
    }
  });
});

// Two foreign keys to one table with a check that they differ (prefect's
// block_document_reference: parent <> reference): each gets a row of its own.
describe('ORM smoke test with two foreign keys to one table', () => {
  it('points them at two rows, so that a check that they differ holds', async () => {
    const models = `from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Document(Base):
    __tablename__ = "documents"
    id = Column(Integer, primary_key=True)
    title = Column(String(40), nullable=False)


class Reference(Base):
    __tablename__ = "references"
    __table_args__ = (CheckConstraint("parent_id <> child_id", name="ck_references_not_self"),)
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("documents.id"), nullable=False)
    child_id = Column(Integer, ForeignKey("documents.id"), nullable=False)
`;
    const { report, stderr } = await reviewIndexOnly(
      {
        models,
        base: {
          id: 'e0e0e0e0e0e0',
          upgrade: `op.create_table('documents', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('title', sa.String(40), nullable=False))
op.create_table('references',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('parent_id', sa.Integer(), sa.ForeignKey('documents.id'), nullable=False),
    sa.Column('child_id', sa.Integer(), sa.ForeignKey('documents.id'), nullable=False),
    sa.CheckConstraint('parent_id <> child_id', name='ck_references_not_self'))`,
        },
      },
      {
        id: 'e1e1e1e1e1e1',
        table: 'references',
        column: 'child_id',
        line: 'child_id = Column(Integer, ForeignKey("documents.id"), nullable=False)',
      },
    );
    expect(stderr).toMatch(/ORM smoke test done in .*: 2 mapped classes/);
    expect(ormFindings(report)).toEqual([]);
  });
});
