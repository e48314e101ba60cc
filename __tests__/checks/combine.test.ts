// Related findings said once (combineFindings), on findings as the pipeline
// builds them.
import { describe, expect, it } from 'vitest';
import { combineFindings } from '../../src/checks/combine.ts';
import { finding } from '../../src/checks/finding.ts';
import type { Finding } from '../../src/model.ts';

const at = (ruleId: string, extra: Partial<Finding> = {}): Finding => ({
  ...finding({
    ruleId,
    message: `${ruleId}.`,
    revision: 'r1',
    file: 'm/r1.py',
    line: 10,
    table: 'users',
    ...extra,
  }),
  origin: 'pr',
});

describe('combineFindings', () => {
  it('folds the rewrite into the type change of the same statement', () => {
    const typeChange = at('change-column-type', { column: 'email', details: { rewrote: true } });
    const rewrite = at('table-rewrite', { details: { rows: 3 } });
    const elsewhere = at('table-rewrite', { line: 12, details: { rows: 3 } });
    const combined = combineFindings([typeChange, rewrite, elsewhere], { oneTransaction: false });
    expect(combined.map((f) => [f.ruleId, f.line])).toEqual([
      ['change-column-type', 10],
      ['table-rewrite', 12],
    ]);
    expect(combined[0]?.message).toBe('change-column-type. (3 rows here, all copied)');
    expect(combined[0]?.details).toMatchObject({ rewrote: true, rows: 3 });
  });

  it('keeps the more severe of the two', () => {
    const [merged] = combineFindings(
      [at('change-column-type'), { ...at('table-rewrite'), severity: 'error' }],
      { oneTransaction: false },
    );
    expect(merged?.severity).toBe('error');
  });

  it('gives one missing-lock-timeout to revisions that run in one transaction', () => {
    const first = at('missing-lock-timeout', { details: { tables: ['users'] } });
    const second = at('missing-lock-timeout', {
      revision: 'r2',
      file: 'm/r2.py',
      table: 'posts',
      details: { tables: ['posts', 'tags'] },
    });
    const alone = combineFindings([first, second], { oneTransaction: false });
    expect(alone).toHaveLength(2);
    const [merged, ...rest] = combineFindings([first, second], { oneTransaction: true });
    expect(rest).toEqual([]);
    expect(merged).toMatchObject({
      revision: 'r1',
      details: { tables: ['users', 'posts', 'tags'], revisions: ['r1', 'r2'] },
    });
    expect(merged?.message).toMatch(/in one transaction.*: r2 also lock posts, tags without one\.$/);
  });

  it('names the later tables in one order, whatever order the statements ran in', () => {
    const first = at('missing-lock-timeout', { details: { tables: ['users'] } });
    const later = (tables: string[]) =>
      at('missing-lock-timeout', { revision: 'r2', file: 'm/r2.py', details: { tables } });
    const [one] = combineFindings([first, later(['tags', 'posts'])], { oneTransaction: true });
    const [other] = combineFindings([first, later(['posts', 'tags'])], { oneTransaction: true });
    expect(one?.message).toBe(other?.message);
    expect(one?.message).toMatch(/r2 also lock posts, tags without one\.$/);
  });

  it('lists the drift that differs in name only in one notice per origin', () => {
    const renamed = (
      ruleId: string,
      table: string,
      from: string,
      to: string,
      origin: 'pr' | 'base',
    ): Finding => ({
      ...finding({
        ruleId,
        message: `${ruleId} on ${table} differs in name only: ${from} / ${to}.`,
        table,
        details: { change: 'renamed', actual: { name: from }, expected: { name: to } },
        suggestion: { text: 'rename', code: `op.execute("ALTER ... ${from}")` },
      }),
      severity: 'notice',
      origin,
    });
    const findings = [
      renamed('drift-primary-key', 'files', 'pk_files', 'files_pkey', 'base'),
      at('drift-column-missing', { column: 'bio' }),
      renamed('drift-foreign-key', 'tags', 'study_tags_fkey', 'tags_fkey', 'base'),
      renamed('drift-index', 'users', 'ix_a', 'ix_b', 'pr'),
    ];
    const combined = combineFindings(findings, { oneTransaction: true });
    expect(combined.map((f) => [f.ruleId, f.origin, f.table])).toEqual([
      ['drift-primary-key', 'base', undefined],
      ['drift-column-missing', 'pr', 'users'],
      ['drift-index', 'pr', 'users'],
    ]);
    expect(combined[0]?.message).toMatch(
      /^2 indexes and constraints differ from the models in name only .*pk_files.*study_tags_fkey/,
    );
    expect(combined[0]?.suggestion?.code).toBe(
      'op.execute("ALTER ... pk_files")\nop.execute("ALTER ... study_tags_fkey")',
    );
    expect(combined[0]?.details?.objects).toHaveLength(2);
  });

  it('lets the drift finding say that the model cannot be stored because of it', () => {
    const drift = at('drift-column-missing', {
      file: undefined,
      line: undefined,
      revision: undefined,
      table: 'posts',
      column: 'subtitle',
    });
    const orm = at('orm-insert-failed', {
      file: 'app/models.py',
      line: 7,
      revision: undefined,
      table: 'posts',
      details: { className: 'app.Post', sqlstate: '42703' },
    });
    const other = at('orm-insert-failed', {
      table: 'tags',
      details: { className: 'app.Tag', sqlstate: '23502' },
    });
    const combined = combineFindings([drift, orm, other], { oneTransaction: true });
    expect(combined.map((f) => f.ruleId)).toEqual(['drift-column-missing', 'orm-insert-failed']);
    expect(combined[0]).toMatchObject({ file: 'app/models.py', line: 7, severity: 'error' });
    expect(combined[0]?.message).toMatch(/storing app\.Post through a Session fails/);
  });
});
