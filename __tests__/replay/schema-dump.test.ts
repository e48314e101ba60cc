// A pg_dump --schema-only file is applied without psql: its meta-commands and
// what belongs to another server (owners, grants) are left out, the rest stays.
import { describe, expect, it } from 'vitest';
import { schemaDumpSql } from '../../src/replay/base.ts';

const DUMP = `--
-- PostgreSQL database dump
--
\\restrict abc123

SET statement_timeout = 0;
SET transaction_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.users (
    id integer NOT NULL,
    email character varying(255) NOT NULL
);
ALTER TABLE public.users OWNER TO app;
GRANT SELECT ON TABLE public.users TO reporting;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';
\\unrestrict abc123
`;

describe('schema dump', () => {
  it('keeps the SQL and drops meta-commands, owners, grants and settings older servers lack', () => {
    const sql = schemaDumpSql(DUMP);
    expect(sql).toContain('CREATE TABLE public.users (');
    expect(sql).toContain('SET statement_timeout = 0;');
    expect(sql).toContain("SELECT pg_catalog.set_config('search_path', '', false);");
    for (const gone of [
      '\\restrict',
      '\\unrestrict',
      'OWNER TO',
      'GRANT',
      'REVOKE',
      'transaction_timeout',
      'COMMENT ON EXTENSION',
    ]) {
      expect(sql).not.toContain(gone);
    }
  });

  it('creates a schema only if it is not there (the tenant schema is in every database already)', () => {
    const sql = schemaDumpSql(
      'CREATE SCHEMA public;\nCREATE SCHEMA tenant_default;\nCREATE SCHEMA IF NOT EXISTS audit;\n',
    );
    expect(sql.split('\n')).toEqual([
      'CREATE SCHEMA IF NOT EXISTS tenant_default;',
      'CREATE SCHEMA IF NOT EXISTS audit;',
      '',
    ]);
  });
});
