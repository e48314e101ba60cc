// The spelling of the suggested fixes: PostgreSQL types as SQLAlchemy types,
// Python string literals, SQL identifiers. (That the fixes run and close the
// drift is proven on real databases by corpus.test.ts.)
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { py, pyList, sqlIdent, sqlName, sqlString } from '../../src/schema/literals.ts';
import { baseTypeName, renderEnum, renderType } from '../../src/schema/sqlalchemy-types.ts';
import { SERVER_URL } from './helpers.ts';

describe('renderType', () => {
  const cases: [string, string | null, string | null][] = [
    ['character varying(100)', null, 'sa.String(length=100)'],
    ['character varying', null, 'sa.String()'],
    ['character varying(20)', 'C', "sa.String(length=20, collation='C')"],
    ['character(1)', null, 'sa.CHAR(length=1)'],
    ['text', 'de_DE', "sa.Text(collation='de_DE')"],
    ['integer', null, 'sa.Integer()'],
    ['bigint', null, 'sa.BigInteger()'],
    ['smallint', null, 'sa.SmallInteger()'],
    ['boolean', null, 'sa.Boolean()'],
    ['numeric(10,2)', null, 'sa.Numeric(precision=10, scale=2)'],
    ['numeric', null, 'sa.Numeric()'],
    ['real', null, 'sa.REAL()'],
    ['double precision', null, 'postgresql.DOUBLE_PRECISION()'],
    ['date', null, 'sa.Date()'],
    ['timestamp without time zone', null, 'sa.DateTime()'],
    ['timestamp with time zone', null, 'sa.DateTime(timezone=True)'],
    ['timestamp(3) with time zone', null, 'postgresql.TIMESTAMP(timezone=True, precision=3)'],
    ['time without time zone', null, 'sa.Time()'],
    ['time(0) with time zone', null, 'postgresql.TIME(timezone=True, precision=0)'],
    ['interval', null, 'postgresql.INTERVAL()'],
    ['interval day to second', null, "postgresql.INTERVAL(fields='day to second')"],
    ['uuid', null, 'postgresql.UUID()'],
    ['json', null, 'postgresql.JSON()'],
    ['jsonb', null, 'postgresql.JSONB()'],
    ['bytea', null, 'postgresql.BYTEA()'],
    ['inet', null, 'postgresql.INET()'],
    ['tstzrange', null, 'postgresql.TSTZRANGE()'],
    ['bit varying(8)', null, 'postgresql.BIT(8, varying=True)'],
    ['integer[]', null, 'postgresql.ARRAY(sa.Integer())'],
    ['character varying(20)[]', null, 'postgresql.ARRAY(sa.String(length=20))'],
    ['xml', null, null],
    ['citext', null, null],
  ];
  for (const [type, collation, expected] of cases) {
    it(`${type}${collation === null ? '' : ` COLLATE ${collation}`} -> ${expected ?? 'no SQLAlchemy spelling'}`, () => {
      expect(renderType({ type, collation }, null)).toBe(expected);
    });
  }

  it('spells an enum column (and an array of one) as the existing type', () => {
    const mood = { schema: 'public', name: 'mood', labels: ['sad', "it's ok"] };
    expect(renderType({ type: 'mood', collation: null }, mood)).toBe(
      `postgresql.ENUM('sad', "it's ok", name='mood', create_type=False)`,
    );
    expect(
      renderType(
        { type: 'audit.level[]', collation: null },
        { schema: 'audit', name: 'level', labels: ['low'] },
      ),
    ).toBe("postgresql.ARRAY(postgresql.ENUM('low', name='level', schema='audit', create_type=False))");
    expect(renderEnum(mood)).toContain('create_type=False');
  });

  it('tells when a type change needs a USING cast', () => {
    expect(baseTypeName('character varying(50)')).toBe(baseTypeName('character varying(100)'));
    expect(baseTypeName('numeric(10,2)')).toBe('numeric');
    expect(baseTypeName('integer')).not.toBe(baseTypeName('bigint'));
  });
});

describe('literals', () => {
  it('writes Python string literals', () => {
    expect(py('users')).toBe("'users'");
    expect(py("it's")).toBe(`"it's"`);
    expect(py(`it's "quoted"`)).toBe(`'it\\'s "quoted"'`);
    expect(py('a\\b\nc')).toBe("'a\\\\b\\nc'");
    expect(pyList(['a', 'b'])).toBe("['a', 'b']");
  });

  it('quotes SQL identifiers only when PostgreSQL needs it', () => {
    expect(sqlIdent('users')).toBe('users');
    expect(sqlIdent('user')).toBe('"user"');
    expect(sqlIdent('order')).toBe('"order"');
    expect(sqlIdent('Users')).toBe('"Users"');
    expect(sqlIdent('weird"name')).toBe('"weird""name"');
    expect(sqlIdent('1st')).toBe('"1st"');
    expect(sqlName('public', 'user')).toBe('"user"');
    expect(sqlName('audit', 'events')).toBe('audit.events');
    expect(sqlString("it's")).toBe("'it''s'");
  });

  it("quotes exactly as the server's quote_ident, for every keyword and a few other names", async () => {
    const client = new pg.Client({ connectionString: SERVER_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; quoted: string }>(
        `SELECT name, quote_ident(name) AS quoted
         FROM (SELECT word AS name FROM pg_get_keywords()
               UNION ALL SELECT unnest(ARRAY['users', 'Users', 'a b', '_x1', '1st', 'x$y', 'wéird'])) names`,
      );
      expect(rows.length).toBeGreaterThan(400);
      for (const { name, quoted } of rows) expect(sqlIdent(name), name).toBe(quoted);
    } finally {
      await client.end();
    }
  });
});
