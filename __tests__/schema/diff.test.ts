// diffSchemas on two real databases built from SQL: the finding's shape
// (message, details, suggestion, no file/line), and DiffOptions: the version
// table, include_object-style exclusions, schemas, and the model class that
// is never imported.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffSchemas } from '../../src/schema/diff.ts';
import { introspect } from '../../src/schema/introspect.ts';
import type { Schema } from '../../src/schema/types.ts';
import { createScratchDatabases, dropScratchDatabases, type ScratchDatabase } from './helpers.ts';

// The migrated side: a version table, a table in another schema, drift in users.
const HEAD = `
CREATE SCHEMA reporting;
CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
CREATE TABLE reporting.alembic_version (version_num varchar(32) PRIMARY KEY);
CREATE TABLE users (id serial PRIMARY KEY, email varchar(255) NOT NULL, name varchar(100), legacy text);
CREATE INDEX ix_users_legacy ON users (legacy);
ALTER TABLE users ADD CONSTRAINT users_email_len CHECK (length(email) > 3);
CREATE TABLE comments (id serial PRIMARY KEY, body text NOT NULL);
CREATE TABLE reporting.daily (day date PRIMARY KEY);
CREATE TABLE spatial_ref_sys_like (srid int PRIMARY KEY);
`;

// The models' side: name NOT NULL, display_name added, legacy gone.
const MODELS = `
CREATE TABLE users (id serial PRIMARY KEY, email varchar(255) NOT NULL, name varchar(100) NOT NULL, display_name varchar(100) NOT NULL);
`;

async function run(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('diffSchemas', () => {
  let databases: ScratchDatabase[];
  let head: Schema;
  let models: Schema;

  beforeAll(async () => {
    databases = await createScratchDatabases(['diff_head', 'diff_models']);
    const [headDb, modelsDb] = databases as [ScratchDatabase, ScratchDatabase];
    await run(headDb.url, HEAD);
    await run(modelsDb.url, MODELS);
    [head, models] = await Promise.all([introspect(headDb.url), introspect(modelsDb.url)]);
  });

  afterAll(async () => {
    await dropScratchDatabases(databases);
  });

  const keys = (findings: ReturnType<typeof diffSchemas>): string[] =>
    findings.map((f) => `${f.ruleId} ${f.table ?? ''}${f.column === undefined ? '' : `.${f.column}`}`);

  it('reports every difference once, in fix order, ignoring alembic_version', () => {
    const findings = diffSchemas(head, models);
    expect(keys(findings)).toEqual([
      'drift-index users',
      'drift-check-constraint users',
      'drift-table-unexpected comments',
      'drift-table-unexpected spatial_ref_sys_like',
      'drift-table-unexpected reporting.alembic_version',
      'drift-table-unexpected reporting.daily',
      'drift-column-unexpected users.legacy',
      'drift-column-missing users.display_name',
      'drift-column-nullable users.name',
    ]);
    for (const f of findings) {
      expect(f.category).toBe('drift');
      expect(f.file).toBeUndefined();
      expect(f.line).toBeUndefined();
      expect(f.suggestion?.text).toMatch(/\S/);
    }
  });

  it('says what is missing or different, with typed expected/actual and the alembic fix', () => {
    const findings = diffSchemas(head, models);
    const nullable = findings.find((f) => f.ruleId === 'drift-column-nullable');
    expect(nullable).toMatchObject({
      severity: 'error',
      table: 'users',
      column: 'name',
      message:
        'Column users.name is nullable after the migrations but NOT NULL in the model (nullable=False): NULLs can get in.',
      details: { expected: { nullable: false }, actual: { nullable: true } },
    });
    expect(nullable?.suggestion?.code).toContain(
      "op.alter_column('users', 'name', existing_type=sa.String(length=100), nullable=False)",
    );

    const missing = findings.find((f) => f.ruleId === 'drift-column-missing');
    expect(missing).toMatchObject({ table: 'users', column: 'display_name', details: { actual: null } });
    expect(missing?.message).toBe(
      'Column users.display_name (character varying(100) NOT NULL) is declared in the model but no migration adds it.',
    );
    expect((missing?.details?.expected as { type: string }).type).toBe('character varying(100)');
    // NOT NULL without a default: added nullable, backfilled, then set NOT NULL.
    expect(missing?.suggestion?.code?.split('\n')).toEqual([
      "op.add_column('users', sa.Column('display_name', sa.String(length=100), nullable=True))",
      '# NOT NULL without a default: fill the existing rows first, e.g.',
      "# op.execute('UPDATE users SET display_name = ... WHERE display_name IS NULL')",
      "op.alter_column('users', 'display_name', nullable=False)",
    ]);

    const check = findings.find((f) => f.ruleId === 'drift-check-constraint');
    expect(check?.details).toEqual({
      change: 'unexpected',
      expected: null,
      actual: { name: 'users_email_len', definition: 'CHECK ((length((email)::text) > 3))', validated: true },
    });
  });

  it('takes the version table from the options, schema-qualified or not', () => {
    const tables = (versionTable?: string): string[] =>
      diffSchemas(head, models, versionTable === undefined ? {} : { versionTable })
        .filter((f) => f.ruleId === 'drift-table-unexpected')
        .map((f) => f.table ?? '');
    expect(tables()).toContain('reporting.alembic_version');
    expect(tables('reporting.alembic_version')).toEqual([
      'alembic_version',
      'comments',
      'spatial_ref_sys_like',
      'reporting.daily',
    ]);
  });

  it('leaves out what env.py excludes, on both sides', () => {
    const findings = diffSchemas(head, models, {
      exclude: {
        tables: [
          'public.spatial_ref_sys_like',
          'reporting.daily',
          'reporting.alembic_version',
          'public.comments',
        ],
        columns: ['public.users.legacy', 'public.users.display_name'],
        indexes: ['public.users.ix_users_legacy'],
        constraints: ['public.users.users_email_len'],
      },
    });
    expect(keys(findings)).toEqual(['drift-column-nullable users.name']);
  });

  it('compares only the given schemas of the migrated database', () => {
    const findings = diffSchemas(head, models, { schemas: ['public'] });
    expect(findings.map((f) => f.table)).not.toContain('reporting.daily');
    expect(findings.map((f) => f.table)).toContain('comments');
  });

  it('explains a table whose model class is never imported where the metadata is built', () => {
    const modelClasses = [
      {
        table: 'public.comments',
        className: 'Comment',
        file: 'app/models/comment.py',
        line: 7,
        inMetadata: false,
      },
      { table: 'public.users', className: 'User', file: 'app/models/user.py', line: 6, inMetadata: true },
    ];
    const comments = diffSchemas(head, models, { modelClasses }).find((f) => f.table === 'comments');
    expect(comments).toMatchObject({
      ruleId: 'drift-table-unexpected',
      severity: 'error',
      file: 'app/models/comment.py',
      line: 7,
    });
    expect(comments?.message).toContain('class Comment in app/models/comment.py:7 declares it');
    expect(comments?.message).toContain('never imported where the metadata is built');
    expect(comments?.suggestion?.text).toContain('app/models/__init__.py');
    expect(comments?.suggestion?.code).toBe('# app/models/__init__.py\nfrom .comment import Comment');
    // A table with no class at all is an ordinary unexpected table with a drop_table fix.
    const daily = diffSchemas(head, models, { modelClasses }).find((f) => f.table === 'reporting.daily');
    expect(daily?.file).toBeUndefined();
    expect(daily?.suggestion?.code).toBe("op.drop_table('daily', schema='reporting')");
  });

  it('finds nothing between a database and itself', () => {
    expect(diffSchemas(head, head)).toEqual([]);
    expect(diffSchemas(models, models)).toEqual([]);
  });
});
