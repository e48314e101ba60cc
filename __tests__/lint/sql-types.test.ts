// The type-change table is checked against PostgreSQL itself: a change the
// module calls safe must leave the table's storage in place, any other must
// rewrite it (its relfilenode changes).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compatibleTypes,
  formatColumnType,
  parseColumnType,
  safeTypeChange,
  sqlalchemyType,
} from '../../src/lint/sql-types.ts';
import { ScratchDatabase } from './helpers/replay.ts';

describe('parseColumnType', () => {
  it.each([
    ['VARCHAR(100)', 'character varying(100)'],
    ['character varying(100)', 'character varying(100)'],
    ['int8', 'bigint'],
    ['SERIAL', 'integer'],
    ['TIMESTAMP WITH TIME ZONE', 'timestamp with time zone'],
    ['timestamptz', 'timestamp with time zone'],
    ['timestamp(3) with time zone', 'timestamp with time zone(3)'],
    ['NUMERIC(10, 2)', 'numeric(10,2)'],
    ['integer[]', 'integer[]'],
    ['text ARRAY', 'text[]'],
    ['"mood"', 'mood'],
  ])('%s is %s', (text, canonical) => {
    expect(formatColumnType(parseColumnType(text))).toBe(canonical);
  });
});

describe('compatibleTypes (could a rename have been meant?)', () => {
  it.each([
    ['text', 'VARCHAR(50)', true],
    ['character varying(100)', 'TEXT', true],
    ['integer', 'BIGINT', true],
    ['timestamp without time zone', 'TIMESTAMP WITH TIME ZONE', true],
    ['text', 'INTEGER', false],
    ['integer[]', 'INTEGER', false],
    ['boolean', 'BOOLEAN', true],
  ])('%s → %s: %s', (from, to, expected) => {
    expect(compatibleTypes(parseColumnType(from), parseColumnType(to))).toBe(expected);
  });
});

describe('sqlalchemyType', () => {
  it.each([
    ['VARCHAR(100)', 'sa.String(length=100)'],
    ['TEXT', 'sa.Text()'],
    ['timestamp with time zone', 'sa.DateTime(timezone=True)'],
    ['NUMERIC(10, 2)', 'sa.Numeric(precision=10, scale=2)'],
    ['jsonb', 'postgresql.JSONB()'],
    ['integer[]', 'postgresql.ARRAY(sa.Integer())'],
    ['mood', undefined],
  ])('%s → %s', (text, expected) => {
    expect(sqlalchemyType(parseColumnType(text))).toBe(expected);
  });
});

describe('safeTypeChange agrees with PostgreSQL', () => {
  let database: ScratchDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    database = await ScratchDatabase.create('lint_types');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  // [column type at the base, the ALTER's new type, a value]
  it.each([
    ['varchar(10)', 'VARCHAR(20)', "'abc'"],
    ['varchar(10)', 'TEXT', "'abc'"],
    ['varchar(10)', 'VARCHAR', "'abc'"],
    ['text', 'VARCHAR', "'abc'"],
    ['varchar(20)', 'VARCHAR(10)', "'abc'"],
    ['text', 'VARCHAR(10)', "'abc'"],
    ['numeric(10,2)', 'NUMERIC(12, 2)', '1.5'],
    ['numeric(10,2)', 'NUMERIC', '1.5'],
    ['numeric(10,2)', 'NUMERIC(10, 4)', '1.5'],
    ['numeric(10,2)', 'NUMERIC(8, 2)', '1.5'],
    ['integer', 'BIGINT', '1'],
    ['bigint', 'INTEGER', '1'],
    ['integer', 'INTEGER', '1'],
    ['cidr', 'INET', "'10.0.0.0/8'"],
    ['varbit(5)', 'BIT VARYING(10)', "B'101'"],
    ['char(5)', 'CHAR(10)', "'abc'"],
    ['integer', 'TEXT', '1'],
  ])('%s → %s', async (from, to, value) => {
    await client.query(`DROP TABLE IF EXISTS t; CREATE TABLE t (c ${from}); INSERT INTO t VALUES (${value})`);
    const before = await client.query<{ filenode: string; type: string }>(
      "SELECT c.relfilenode::text AS filenode, format_type(a.atttypid, a.atttypmod) AS type FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'c' WHERE c.oid = 't'::regclass",
    );
    const formatType = before.rows[0]?.type ?? '';
    await client.query(`ALTER TABLE t ALTER COLUMN c TYPE ${to}`);
    const after = await client.query<{ filenode: string }>(
      "SELECT relfilenode::text AS filenode FROM pg_class WHERE oid = 't'::regclass",
    );
    const rewrote = after.rows[0]?.filenode !== before.rows[0]?.filenode;
    expect(safeTypeChange(parseColumnType(formatType), parseColumnType(to))).toBe(!rewrote);
  });
});
