// The edits of each fixable rule on migration files written in other styles
// than autogenerate's: double quotes, tabs, a schema, calls over several
// lines, other statements between a dropped and an added column; and where
// no edit is offered (the op is not a plain op.* statement).
import { describe, expect, test } from 'vitest';
import { applyEdits } from '../../src/fix/apply.ts';
import { editsFor } from '../../src/fix/fixes.ts';
import { opCall, parseSource, statementAt } from '../../src/fix/python-source.ts';
import type { Finding } from '../../src/model.ts';

const FILE = 'migrations/versions/x.py';

function revision(upgrade: string[], downgrade: string[] = ['pass'], indent = '    '): string {
  return [
    '"""x"""',
    'from alembic import op',
    'import sqlalchemy as sa',
    '',
    '',
    'def upgrade():',
    ...upgrade.map((l) => `${indent}${l}`),
    '',
    '',
    'def downgrade():',
    ...downgrade.map((l) => `${indent}${l}`),
    '',
  ].join('\n');
}

const UPGRADE_LINE = 7;

function fixed(
  source: string,
  finding: Omit<Finding, 'category' | 'severity' | 'message' | 'file'>,
): string | null {
  const edits = editsFor(
    { category: 'lint', severity: 'error', message: 'm', file: FILE, ...finding },
    parseSource(source),
  );
  return edits === null ? null : applyEdits(source, edits);
}

describe('python source', () => {
  test('a call over several lines, with brackets and # in strings, is one statement', () => {
    const source = revision([
      'op.execute("SELECT \'(\' -- # not a comment")',
      'op.create_index(',
      '    "ix_a", "t",  # a real comment (with a paren',
      '    ["a"],',
      ')',
    ]);
    const parsed = parseSource(source);
    const statement = statementAt(parsed, UPGRADE_LINE + 2);
    expect(statement).toMatchObject({ start: UPGRADE_LINE + 1, end: UPGRADE_LINE + 4, indent: '    ' });
    expect(opCall(statement!)?.args).toEqual(['"ix_a"', '"t"', '["a"]']);
    expect(statementAt(parsed, UPGRADE_LINE)?.end).toBe(UPGRADE_LINE);
    expect(parsed.quote).toBe('"');
  });
});

describe('not-null-column-without-default', () => {
  test('double quotes and tabs, a schema: the file’s style, the schema in every step', () => {
    const source = revision(
      ['op.add_column("log", sa.Column("level", sa.Integer(), nullable=False), schema="audit")'],
      ['pass'],
      '\t',
    );
    const result = fixed(source, {
      ruleId: 'not-null-column-without-default',
      line: UPGRADE_LINE,
      sql: 'ALTER TABLE audit.log ADD COLUMN level INTEGER NOT NULL',
      table: 'audit.log',
      column: 'level',
    });
    expect(result).toContain(
      [
        '\top.add_column("log", sa.Column("level", sa.Integer(), nullable=True), schema="audit")',
        '\top.execute("UPDATE audit.log SET level = 0 WHERE level IS NULL")',
        '\top.alter_column("log", "level", nullable=False, schema="audit")',
      ].join('\n'),
    );
  });

  test('a type without a neutral value, or a NOT NULL from primary_key=: no edit', () => {
    const inet = revision(["op.add_column('t', sa.Column('ip', postgresql.INET(), nullable=False))"]);
    expect(
      fixed(inet, {
        ruleId: 'not-null-column-without-default',
        line: UPGRADE_LINE,
        sql: 'ALTER TABLE t ADD COLUMN ip INET NOT NULL',
      }),
    ).toBeNull();
    const pk = revision(["op.add_column('t', sa.Column('id', sa.Integer(), primary_key=True))"]);
    expect(
      fixed(pk, {
        ruleId: 'not-null-column-without-default',
        line: UPGRADE_LINE,
        sql: 'ALTER TABLE t ADD COLUMN id INTEGER NOT NULL',
      }),
    ).toBeNull();
  });

  test('an op inside batch_alter_table is not a plain op statement: no edit', () => {
    const source = revision([
      "with op.batch_alter_table('t') as batch:",
      "    batch.add_column(sa.Column('c', sa.Text(), nullable=False))",
    ]);
    expect(
      fixed(source, {
        ruleId: 'not-null-column-without-default',
        line: UPGRADE_LINE + 1,
        sql: 'ALTER TABLE t ADD COLUMN c TEXT NOT NULL',
      }),
    ).toBeNull();
  });
});

describe('drop-and-add-column', () => {
  test('other statements between the pair stay; downgrade() gets the reverse rename', () => {
    const source = revision(
      [
        "op.drop_column('posts', 'body')",
        "op.execute('SELECT 1')",
        "op.add_column('posts', sa.Column('content', sa.Text(), nullable=True))",
      ],
      [
        "op.add_column('posts', sa.Column('body', sa.TEXT(), nullable=True))",
        "op.drop_column('posts', 'content')",
      ],
    );
    const result = fixed(source, {
      ruleId: 'drop-and-add-column',
      line: UPGRADE_LINE,
      table: 'posts',
      column: 'body',
      details: { addedColumn: 'content' },
    });
    expect(result).toBe(
      revision(
        ["op.alter_column('posts', 'body', new_column_name='content')", "op.execute('SELECT 1')"],
        ["op.alter_column('posts', 'content', new_column_name='body')"],
      ),
    );
  });
});

describe('create-index-non-concurrently', () => {
  test('one line, tab-indented: the autocommit block one tab deeper', () => {
    const source = revision(["op.create_index('ix_posts_title', 'posts', ['title'])"], ['pass'], '\t');
    expect(fixed(source, { ruleId: 'create-index-non-concurrently', line: UPGRADE_LINE })).toContain(
      "\twith op.get_context().autocommit_block():\n\t\top.create_index('ix_posts_title', 'posts', ['title'], postgresql_concurrently=True)\n",
    );
  });

  test('already concurrent: no edit', () => {
    const source = revision(["op.create_index('ix', 't', ['a'], postgresql_concurrently=True)"]);
    expect(fixed(source, { ruleId: 'create-index-non-concurrently', line: UPGRADE_LINE })).toBeNull();
  });
});

describe('add-foreign-key-validates', () => {
  test('a named constraint in a schema: NOT VALID, then VALIDATE by that name', () => {
    const source = revision([
      "op.create_foreign_key('fk_log_user', 'log', 'users', ['user_id'], ['id'], source_schema='audit', referent_schema='public')",
    ]);
    expect(
      fixed(source, {
        ruleId: 'add-foreign-key-validates',
        line: UPGRADE_LINE,
        sql: 'ALTER TABLE audit.log ADD CONSTRAINT fk_log_user FOREIGN KEY(user_id) REFERENCES public.users (id)',
      }),
    ).toContain(
      [
        "    op.create_foreign_key('fk_log_user', 'log', 'users', ['user_id'], ['id'], source_schema='audit', referent_schema='public', postgresql_not_valid=True)",
        '    with op.get_context().autocommit_block():',
        "        op.execute('ALTER TABLE audit.log VALIDATE CONSTRAINT fk_log_user')",
      ].join('\n'),
    );
  });
});
