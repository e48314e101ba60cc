import { describe, expect, it } from 'vitest';
import { classify, leadingTable } from '../../src/lint/classify.ts';
import { parseTexts } from '../../src/lint/parse.ts';

// Every classified text must parse to the type classify() promised: the
// engine skips parsing on that promise.
const TEXTS = [
  'ALTER TABLE users ADD COLUMN bio text',
  'alter table users drop column bio',
  'CREATE INDEX ix ON posts (title)',
  'CREATE UNIQUE INDEX ix ON posts (title)',
  'CREATE TABLE t (id int)',
  'CREATE UNLOGGED TABLE t (id int)',
  'DROP TABLE t',
  'DROP INDEX ix',
  'REINDEX INDEX ix',
  "UPDATE users SET name = 'x'",
  'DELETE FROM users',
  "INSERT INTO users (name) VALUES ('x')",
  'SELECT 1',
  "SET lock_timeout = '5s'",
  "SET TIME ZONE 'UTC'",
  'RESET lock_timeout',
  "COMMENT ON TABLE users IS 'x'",
  'TRUNCATE users',
  'COMMIT',
  'BEGIN',
  "CREATE TYPE mood AS ENUM ('a')",
  "ALTER TYPE mood ADD VALUE 'b'",
  'DROP TYPE mood',
  'CREATE SEQUENCE s',
  'ALTER SEQUENCE s RESTART',
  'DROP SEQUENCE s',
  'CREATE VIEW v AS SELECT 1',
  'CREATE OR REPLACE VIEW v AS SELECT 1',
  'DROP VIEW v',
  'ALTER INDEX ix RENAME TO iy',
  'GRANT SELECT ON users TO public',
  'REVOKE SELECT ON users FROM public',
  '  -- leading comment\n/* and another */ ALTER TABLE users ADD COLUMN bio text;  ',
];

describe('classify', () => {
  it.each(TEXTS)('%s parses to the classified type', (text) => {
    const type = classify(text);
    expect(type).toBeDefined();
    const [result] = parseTexts([text]);
    expect(result?.ok && result.statements.map((s) => s.type)).toEqual([type]);
  });

  it.each([
    "UPDATE users SET name = 'x'; ALTER TABLE users ADD COLUMN bio text",
    'WITH x AS (SELECT 1) UPDATE users SET name = (SELECT * FROM x)',
    'LOCK TABLE users',
    "INSERT INTO t VALUES ('a;b')",
    '',
  ])('%j is left to the parser', (text) => {
    expect(classify(text)).toBeUndefined();
  });
});

describe('leadingTable', () => {
  it.each([
    ['ALTER TABLE users ADD COLUMN bio text', 'public.users'],
    ['ALTER TABLE IF EXISTS ONLY audit.log ADD COLUMN x int', 'audit.log'],
    ['ALTER TABLE Users ADD COLUMN x int', 'public.users'],
    ['ALTER TABLE "Users" ADD COLUMN x int', 'public.Users'],
    ['alter table "my ""quoted"" table" add x int', 'public.my "quoted" table'],
    ['CREATE INDEX ix_posts_title ON posts (title)', 'public.posts'],
    ['CREATE INDEX ON posts (title)', 'public.posts'],
    [
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Ix" ON ONLY audit.log USING gin (message)',
      'audit.log',
    ],
    ['CREATE TABLE IF NOT EXISTS audit.events (id int)', 'audit.events'],
    ['CREATE UNLOGGED TABLE t(id int)', 'public.t'],
  ])('%s names %s', (sql, key) => {
    expect(leadingTable(sql)?.key).toBe(key);
  });

  it.each([
    'UPDATE users SET a = 1',
    'ALTER TABLE users ADD x int; DROP TABLE posts',
    'CREATE INDEX "my index" ON posts (a)',
  ])('%j names none', (sql) => {
    expect(leadingTable(sql)).toBeUndefined();
  });
});
