// Which statements of a change validate existing data, and what breaks each:
// a table of statements against a real base schema (created and introspected
// on the local PostgreSQL), with the condition expected or none.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeStatement } from '../../../src/alembic/protocol.ts';
import { findCases } from '../../../src/checks/data/statements.ts';
import { introspect } from '../../../src/schema/introspect.ts';
import type { Schema } from '../../../src/schema/types.ts';
import { LOCAL_URL } from '../../helpers/alembic-project.ts';

const BASE = `
CREATE TYPE status AS ENUM ('active', 'archived', 'closed');
CREATE TABLE teams (id serial PRIMARY KEY, slug varchar(50));
CREATE TABLE members (
  id serial PRIMARY KEY,
  email varchar(200),
  name varchar(200),
  code text,
  short_code varchar(10),
  score integer,
  amount numeric(10, 2),
  team_id integer,
  status status,
  starts_on date,
  ends_on date
);`;

const name = `alembic_review_cases_${randomBytes(4).toString('hex')}`;
let schema: Schema;

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: LOCAL_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = LOCAL_URL.replace(/\/postgres$/, `/${name}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(BASE);
  await client.end();
  schema = await introspect(url);
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: LOCAL_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

function statement(sql: string, line = 10): BridgeStatement {
  return { sql, file: null, line, durationMs: 1, locks: [], rewrote: [] };
}

function casesOf(...sql: string[]) {
  return findCases(
    [{ id: 'r1', path: '/p/r1.py', statements: sql.map((s, i) => statement(s, 10 + i)) }],
    schema,
  ).map((c) => ({
    condition: c.spec.condition,
    table: c.tableRef.display,
    columns: c.columns.map((col) => col.name),
    constraint: c.constraint,
  }));
}

describe('validating statements', () => {
  it.each([
    [
      'ALTER TABLE members ADD CONSTRAINT uq_members_email UNIQUE (email)',
      'duplicates',
      ['email'],
      'uq_members_email',
    ],
    ['ALTER TABLE members ADD UNIQUE (email, team_id)', 'duplicates', ['email', 'team_id'], undefined],
    [
      'CREATE UNIQUE INDEX ix_members_lower ON members (lower(email))',
      'duplicates',
      ['email'],
      'ix_members_lower',
    ],
    [
      'CREATE UNIQUE INDEX CONCURRENTLY ix_code ON members (code) WHERE score > 0',
      'duplicates',
      ['code', 'score'],
      'ix_code',
    ],
    ['ALTER TABLE teams ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES teams (id)', 'orphans', ['id'], 'fk'],
    [
      'ALTER TABLE members ADD CONSTRAINT fk_team FOREIGN KEY(team_id) REFERENCES teams (id)',
      'orphans',
      ['team_id'],
      'fk_team',
    ],
    ['ALTER TABLE members ADD FOREIGN KEY (team_id) REFERENCES teams', 'orphans', ['team_id'], undefined],
    ['ALTER TABLE members ALTER COLUMN name SET NOT NULL', 'nulls', ['name'], undefined],
    ['ALTER TABLE members ADD CONSTRAINT ck CHECK (score > 0)', 'check-violation', ['score'], 'ck'],
    [
      'ALTER TABLE members ADD CHECK (starts_on < ends_on)',
      'check-violation',
      ['starts_on', 'ends_on'],
      undefined,
    ],
    ['ALTER TABLE members ALTER COLUMN code TYPE VARCHAR(40)', 'too-long', ['code'], undefined],
    [
      'ALTER TABLE members ALTER COLUMN code TYPE VARCHAR(40) USING left(code, 40)',
      'too-long',
      ['code'],
      undefined,
    ],
    ['ALTER TABLE members ALTER COLUMN email TYPE varchar(100)', 'too-long', ['email'], undefined],
    [
      'ALTER TABLE members ALTER COLUMN code TYPE INTEGER USING code::integer',
      'not-castable',
      ['code'],
      undefined,
    ],
    ['ALTER TABLE members ALTER COLUMN amount TYPE INTEGER', 'not-castable', ['amount'], undefined],
    ['ALTER TABLE members ALTER COLUMN score TYPE SMALLINT', 'not-castable', ['score'], undefined],
  ])('%s → %s', (sql, condition, columns, constraint) => {
    expect(casesOf(sql)).toEqual([
      { condition, table: sql.includes('teams ADD') ? 'teams' : 'members', columns, constraint },
    ]);
  });

  it('sees a primary key on a nullable column as duplicates and NULLs', () => {
    expect(
      casesOf('ALTER TABLE teams ADD CONSTRAINT pk_slug PRIMARY KEY (slug)').map((c) => c.condition),
    ).toEqual(['duplicates', 'nulls']);
  });

  it('follows the rename-and-recreate way of removing an enum label', () => {
    const cases = findCases(
      [
        {
          id: 'r1',
          path: '/p/r1.py',
          statements: [
            statement('ALTER TYPE status RENAME TO status_old'),
            statement("CREATE TYPE status AS ENUM ('active', 'closed')"),
            statement('ALTER TABLE members ALTER COLUMN status TYPE status USING status::text::status'),
            statement('DROP TYPE status_old'),
          ],
        },
      ],
      schema,
    );
    expect(cases.map((c) => c.spec)).toEqual([
      { condition: 'enum-value-in-use', to: 'status', removed: ['archived'] },
    ]);
  });

  it('follows a label renamed in place: rows move with it', () => {
    expect(
      casesOf(
        "ALTER TYPE status RENAME VALUE 'archived' TO 'gone'",
        'ALTER TYPE status RENAME TO status_old',
        "CREATE TYPE status AS ENUM ('active', 'gone', 'closed')",
        'ALTER TABLE members ALTER COLUMN status TYPE status USING status::text::status',
      ),
    ).toEqual([]);
  });

  it('casts text to an enum the change creates against its labels', () => {
    const [found] = findCases(
      [
        {
          id: 'r1',
          path: '/p/r1.py',
          statements: [
            statement("CREATE TYPE tier AS ENUM ('gold', 'silver')"),
            statement('ALTER TABLE members ALTER COLUMN code TYPE tier USING code::tier'),
          ],
        },
      ],
      schema,
    );
    expect(found?.spec).toMatchObject({ condition: 'not-castable', labels: ['gold', 'silver'] });
  });

  it.each([
    ['NOT VALID', 'ALTER TABLE members ADD CONSTRAINT ck CHECK (score > 0) NOT VALID'],
    [
      'NOT VALID foreign key',
      'ALTER TABLE members ADD CONSTRAINT fk FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID',
    ],
    ['VALIDATE in a later revision', 'ALTER TABLE members VALIDATE CONSTRAINT ck'],
    ['a column the change adds', 'ALTER TABLE members ALTER COLUMN nickname SET NOT NULL'],
    ['a new column with a constraint', 'ALTER TABLE members ADD COLUMN nick varchar(10) UNIQUE'],
    ['a table the change creates', 'ALTER TABLE invoices ADD CONSTRAINT uq UNIQUE (number)'],
    [
      'a unique constraint on an existing index',
      'ALTER TABLE members ADD CONSTRAINT uq UNIQUE USING INDEX ix',
    ],
    ['a non-unique index', 'CREATE INDEX ix ON members (email)'],
    ['widening varchar', 'ALTER TABLE members ALTER COLUMN short_code TYPE varchar(20)'],
    ['varchar to text', 'ALTER TABLE members ALTER COLUMN email TYPE text'],
    ['integer to bigint', 'ALTER TABLE members ALTER COLUMN score TYPE bigint'],
    ['a column already NOT NULL', 'ALTER TABLE teams ALTER COLUMN id SET NOT NULL'],
    [
      'a foreign key to a table the change creates',
      'ALTER TABLE members ADD FOREIGN KEY (team_id) REFERENCES groups (id)',
    ],
  ])('nothing for %s', (_what, sql) => {
    expect(casesOf(sql)).toEqual([]);
  });

  it('marks CHECK expressions that call other functions as not for a preflight database (but checks them)', () => {
    const [plain] = findCases(
      [
        {
          id: 'r',
          path: '/p',
          statements: [statement('ALTER TABLE members ADD CHECK (length(code) > 2 AND score::numeric > 0)')],
        },
      ],
      schema,
    );
    const [other] = findCases(
      [{ id: 'r', path: '/p', statements: [statement('ALTER TABLE members ADD CHECK (my_function(code))')] }],
      schema,
    );
    expect(plain?.spec).toMatchObject({ condition: 'check-violation', plain: true });
    expect(other?.spec).toMatchObject({ condition: 'check-violation', plain: false });
    const [pgsleep] = findCases(
      [
        {
          id: 'r',
          path: '/p',
          statements: [statement('ALTER TABLE members ADD CHECK (pg_sleep(score) IS NOT NULL)')],
        },
      ],
      schema,
    );
    expect(pgsleep?.spec).toMatchObject({ plain: false });
  });
});
