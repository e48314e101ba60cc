// The engine itself: what it parses, what the rules see, the shape and order
// of the findings, and that no statement can make it crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/lint/engine.ts';
import { LINT_RULES } from '../../src/lint/rules/index.ts';
import type { LintInput, LintRule } from '../../src/lint/types.ts';
import type { Statement } from '../../src/model.ts';
import { RULES } from '../../src/rules/catalog.ts';
import { offlineInput, ScratchDatabase } from './helpers/replay.ts';

const statement = (sql: string, line: number, file: string | null = null): Statement => ({
  sql,
  line,
  file,
  durationMs: 0,
  locks: [],
  rewrote: [],
});

const offlineRevision = (id: string, sqls: string[]): LintInput['revisions'][number] => ({
  id,
  path: `migrations/versions/${id}.py`,
  lockTimeout: null,
  statements: sqls.map((sql, i) => statement(sql, 10 + i)),
});

const setTimeout5s = [statement("SET lock_timeout = '5s'", 77, 'migrations/env.py')];

describe('lint', () => {
  let database: ScratchDatabase;
  beforeAll(async () => {
    database = await ScratchDatabase.create('lint_engine');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('builds findings with the catalog category and severity, the statement and the revision', async () => {
    const input = await database.replay({
      revisions: [{ id: 'a1', statements: ['ALTER TABLE users ADD COLUMN bio text NOT NULL'] }],
    });
    const [found] = lint(input);
    const meta = RULES.find((r) => r.id === 'not-null-column-without-default');
    expect(found).toMatchObject({
      ruleId: 'not-null-column-without-default',
      category: meta?.category,
      severity: meta?.defaultSeverity,
      file: 'migrations/versions/a1_test.py',
      line: 21,
      revision: 'a1',
      table: 'users',
      column: 'bio',
      sql: 'ALTER TABLE users ADD COLUMN bio text NOT NULL',
    });
  });

  it('reports one clear finding for a drop + add pair (drop-and-add-column supersedes drop-column)', async () => {
    const input = await database.replay({
      revisions: [
        {
          statements: [
            'ALTER TABLE posts ADD COLUMN content TEXT',
            'ALTER TABLE posts DROP COLUMN body',
            'ALTER TABLE posts DROP COLUMN price',
          ],
        },
      ],
    });
    expect(lint(input).map((f) => [f.ruleId, f.column])).toEqual([
      ['drop-and-add-column', 'body'],
      ['drop-column', 'price'],
    ]);
  });

  it('orders findings by revision, then line', () => {
    const input: LintInput = {
      revisions: [
        offlineRevision('r1', [
          'ALTER TABLE posts ADD COLUMN content TEXT',
          'DROP TABLE tags',
          'ALTER TABLE posts DROP COLUMN body',
        ]),
        offlineRevision('r2', ['ALTER TABLE users RENAME TO members']),
      ],
      baseSchema: null,
      baseRows: {},
      environmentStatements: setTimeout5s,
    };
    expect(lint(input).map((f) => [f.revision, f.line, f.ruleId])).toEqual([
      ['r1', 11, 'drop-table'],
      ['r1', 12, 'drop-and-add-column'],
      ['r2', 10, 'rename-table'],
    ]);
  });

  it('points at the file of the op.* call, else at the revision file', () => {
    const input: LintInput = {
      revisions: [
        {
          id: 'r1',
          path: 'migrations/versions/r1.py',
          lockTimeout: null,
          statements: [statement('DROP TABLE a', 5, 'migrations/helpers.py'), statement('DROP TABLE b', 6)],
        },
      ],
      baseSchema: null,
      baseRows: {},
      environmentStatements: setTimeout5s,
    };
    expect(lint(input).map((f) => [f.file, f.line])).toEqual([
      ['migrations/helpers.py', 5],
      ['migrations/versions/r1.py', 6],
    ]);
  });

  it('offline, a table created by an earlier new revision did not exist at the base', () => {
    const input = offlineInput({
      revisions: [
        { statements: ['CREATE TABLE tags (id serial PRIMARY KEY)'] },
        {
          statements: [
            'ALTER TABLE tags ADD COLUMN name text NOT NULL',
            'ALTER TABLE posts ADD COLUMN tag_id integer NOT NULL',
          ],
        },
      ],
    });
    expect(lint(input).map((f) => [f.ruleId, f.table])).toEqual([
      ['not-null-column-without-default', 'posts'],
    ]);
  });

  it('sees an UPDATE and SET NOT NULL in one op.execute() script in order', () => {
    const input = offlineInput({
      revisions: [
        {
          statements: [
            "UPDATE posts SET body = '' WHERE body IS NULL; ALTER TABLE posts ALTER COLUMN body SET NOT NULL",
          ],
        },
      ],
    });
    expect(lint(input)).toEqual([]);
  });

  it('never crashes: what the parser cannot read becomes a notice, the rest is linted', () => {
    const garbage = [
      '',
      '   ',
      ';;',
      'SELEC 1',
      "ALTER TABLE posts DROP COLUMN 'x",
      '$$',
      '\u0000',
      'ALTER TABLE',
      'CREATE INDEX ON',
    ];
    const input = offlineInput({ revisions: [{ statements: [...garbage, 'DROP TABLE posts'] }] });
    const findings = lint(input);
    expect(findings.filter((f) => f.ruleId !== 'unparsed-statement').map((f) => [f.ruleId, f.line])).toEqual([
      ['drop-table', 21 + garbage.length],
    ]);
    expect(findings.filter((f) => f.ruleId === 'unparsed-statement').map((f) => f.line)).toEqual([
      24, 25, 26, 27, 28, 29,
    ]);
  });

  it('parses only what some rule needs: an INSERT no rule reads, an UPDATE until a SET NOT NULL asks about its table', () => {
    const input = offlineInput({
      revisions: [
        { statements: ['INSERT INTO posts VALUES (', "UPDATE posts SET body = 'x", 'LOCK TABLE posts'] },
      ],
    });
    // LOCK is not classified, so it is parsed (and reported); the INSERT and the UPDATE are skipped.
    expect(lint(input).map((f) => [f.ruleId, f.line])).toEqual([['unparsed-statement', 23]]);
    const withSetNotNull = offlineInput({
      revisions: [
        { statements: ["UPDATE posts SET body = 'x", 'ALTER TABLE posts ALTER COLUMN body SET NOT NULL'] },
      ],
    });
    // The UPDATE is parsed only when SET NOT NULL asks for backfills of posts; unreadable, it is no backfill.
    expect(lint(withSetNotNull).map((f) => [f.ruleId, f.line])).toEqual([
      ['set-not-null-without-backfill', 22],
    ]);
  });

  it('runs only the rules it is given', () => {
    const input = offlineInput({
      revisions: [{ statements: ['DROP TABLE posts', 'ALTER TABLE users RENAME TO members'] }],
    });
    const renameTable = LINT_RULES.find((r) => r.meta.id === 'rename-table') as LintRule;
    expect(lint(input, [renameTable]).map((f) => f.ruleId)).toEqual(['rename-table']);
  });

  it('lints 2,000 statements in one pass without a finding on a clean change', () => {
    const sqls = Array.from({ length: 2000 }, (_, i) =>
      i % 2 === 0
        ? `CREATE TABLE t${i} (id serial PRIMARY KEY, name text)`
        : `CREATE INDEX ix_t${i - 1} ON t${i - 1} (name)`,
    );
    expect(lint(offlineInput({ revisions: [{ statements: sqls }] }))).toEqual([]);
  });
});
