// Which migration op a deploy-order failure is pointed at, and what its
// message says, from the statements the new revisions emitted: a table of
// failures as the bridge reports them, each with the op it must find.
import { describe, expect, it } from 'vitest';
import type { ProbeFailure } from '../../src/alembic/protocol.ts';
import { causingOp, deployOrderFindings, type MigrationOp } from '../../src/checks/deploy-order.ts';

const op = (line: number, sql: string): MigrationOp => ({
  revision: 'b1',
  file: 'migrations/versions/b1.py',
  line,
  sql,
});

const OPS: MigrationOp[] = [
  op(10, 'ALTER TABLE comments RENAME text TO body'),
  op(11, 'ALTER TABLE posts DROP COLUMN legacy'),
  op(12, 'ALTER TABLE members ADD COLUMN slug VARCHAR(100)'),
  op(13, "UPDATE members SET slug = 'member-' || id"),
  op(14, 'ALTER TABLE members ALTER COLUMN slug SET NOT NULL'),
  op(15, 'ALTER TABLE tags ALTER COLUMN label TYPE VARCHAR(20)'),
  op(16, 'CREATE INDEX ix_editors_name ON editors (name)'),
  op(17, 'CREATE TABLE labels (id SERIAL NOT NULL, PRIMARY KEY (id))'),
  op(18, 'ALTER TABLE "Audit" RENAME TO audit_log'),
  op(19, 'DROP TABLE IF EXISTS archive.old_posts, drafts'),
  op(20, 'ALTER TABLE readers ADD COLUMN "Visits" INTEGER'),
];

describe('causingOp', () => {
  it.each([
    ['a renamed column', 'public.comments', 'text', 'old-code-on-new-schema', 10],
    ['a dropped column', 'public.posts', 'legacy', 'old-code-on-new-schema', 11],
    [
      'NOT NULL after a backfill: the SET NOT NULL, not the ADD or the UPDATE',
      'public.members',
      'slug',
      'old-code-on-new-schema',
      14,
    ],
    ['code-first: the ADD COLUMN that creates it', 'public.members', 'slug', 'new-code-on-old-schema', 12],
    ['a narrowed type', 'public.tags', 'label', 'old-code-on-new-schema', 15],
    ['a new table (code-first)', 'public.labels', undefined, 'new-code-on-old-schema', 17],
    ['a renamed table, quoted', 'public.Audit', undefined, 'old-code-on-new-schema', 18],
    ['a dropped table of another schema', 'archive.old_posts', undefined, 'old-code-on-new-schema', 19],
    ['the second table of a DROP TABLE', 'public.drafts', 'title', 'old-code-on-new-schema', 19],
    ['a quoted column', 'public.readers', 'Visits', 'new-code-on-old-schema', 20],
    [
      'a column no op names: nothing (an index is no cause)',
      'public.editors',
      'name',
      'old-code-on-new-schema',
      undefined,
    ],
    ['a table no op touches', 'public.notes', 'status', 'old-code-on-new-schema', undefined],
  ] as const)('%s', (_what, table, column, direction, line) => {
    expect(causingOp(OPS, table, column, direction)?.line).toBe(line);
  });

  it('does not take a column name inside another name', () => {
    expect(
      causingOp(
        [op(1, 'ALTER TABLE posts DROP COLUMN legacy_id')],
        'public.posts',
        'legacy',
        'old-code-on-new-schema',
      ),
    ).toBe(undefined);
  });
});

const failure = (over: Partial<ProbeFailure>): ProbeFailure => ({
  className: 'app.models.Post',
  table: 'public.posts',
  file: '/tmp/base/app/models.py',
  line: 7,
  statement: 'select',
  sql: 'SELECT posts.id, posts.legacy FROM posts LIMIT 1',
  message: 'column posts.legacy does not exist',
  sqlstate: '42703',
  column: 'legacy',
  ...over,
});

describe('deployOrderFindings', () => {
  const relative = (file: string): string => file.replace('/tmp/base/', '');

  it('makes one finding per class and cause: the SELECT and the INSERT failing on the same column', () => {
    const found = deployOrderFindings(
      {
        hasMetadata: true,
        checked: ['app.models.Post'],
        skipped: [],
        failures: [
          failure({}),
          failure({ statement: 'insert', sql: 'INSERT INTO posts (legacy) VALUES (%(legacy)s)' }),
        ],
      },
      'old-code-on-new-schema',
      OPS,
      relative,
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      ruleId: 'old-code-incompatible',
      severity: 'warning',
      file: 'migrations/versions/b1.py',
      line: 11,
      revision: 'b1',
      table: 'posts',
      column: 'legacy',
      sql: 'SELECT posts.id, posts.legacy FROM posts LIMIT 1',
      details: {
        direction: 'old-code-on-new-schema',
        cause: 'dropped-column',
        statements: ['select', 'insert'],
        model: { className: 'app.models.Post', file: 'app/models.py', line: 7 },
        op: { line: 11 },
      },
    });
  });

  it.each([
    [
      'no op found: the finding points at the model',
      failure({ table: 'public.notes', column: 'x', className: 'app.models.Note' }),
      'The running release selects notes.x, which no longer exists after this migration: it fails until every instance runs the new code.',
      'app/models.py',
    ],
    [
      'a renamed table',
      failure({
        table: 'public.Audit',
        column: undefined,
        tableMissing: true,
        sqlstate: '42P01',
        className: 'app.models.Audit',
      }),
      'The running release maps Audit to the table Audit, which this migration renames: it fails until every instance runs the new code.',
      'migrations/versions/b1.py',
    ],
    [
      'another error: the last op that changed the table',
      failure({
        statement: 'insert',
        column: undefined,
        sqlstate: '23514',
        message: 'new row violates check constraint "ck"',
      }),
      'The running release\'s INSERT of Post fails on the migrated schema (new row violates check constraint "ck" (SQLSTATE 23514)): it fails until every instance runs the new code.',
      'migrations/versions/b1.py',
    ],
  ])('%s', (_what, probed, message, file) => {
    const [found] = deployOrderFindings(
      { hasMetadata: true, checked: [probed.className], skipped: [], failures: [probed] },
      'old-code-on-new-schema',
      OPS,
      relative,
    );
    expect(found?.message).toBe(message);
    expect(found?.file).toBe(file);
  });
});
