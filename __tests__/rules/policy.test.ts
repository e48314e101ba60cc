// Suppression comments and per-rule severities over findings that point at
// real files on disk.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finding } from '../../src/checks/finding.ts';
import type { Finding } from '../../src/model.ts';
import { isRuleId } from '../../src/rules/catalog.ts';
import { parseIgnoreEntry } from '../../src/rules/ignores.ts';
import { applyPolicy, applyPolicyWithReport, type Policy } from '../../src/rules/policy.ts';

const MIGRATION = `def upgrade() -> None:
    op.add_column('users', sa.Column('a', sa.Text(), nullable=False))  # alembic-review: ignore[not-null-column-without-default] users is empty in every environment
    # alembic-review: ignore[drop-column, missing-lock-timeout] the column was never read
    op.drop_column('posts', 'body')
    op.drop_column('posts', 'price')

    # alembic-review: ignore[drop-table]
    op.drop_table('legacy')
    op.drop_table('other')  # alembic-review: ignore[no-such-rule] typo
`;

let dir: string;
let policy: Policy;
const at = (ruleId: string, line: number, file = 'migrations/versions/x.py'): Finding =>
  finding({ ruleId, message: `${ruleId} at ${line}`, file, line });

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ar-policy-'));
  writeFileSync(path.join(dir, 'x.py'), MIGRATION);
  policy = {
    severity: {},
    readFile: (file) =>
      file === 'migrations/versions/x.py' ? readFileSync(path.join(dir, 'x.py'), 'utf8') : undefined,
  };
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('suppression comments', () => {
  it('silence the named rules on their own line and on the line below', () => {
    const findings = [
      at('not-null-column-without-default', 2),
      at('drop-column', 4),
      at('missing-lock-timeout', 4),
      at('drop-column', 5), // two lines below the comment: not silenced
      at('drop-table', 8),
      at('drop-table', 9), // its comment names another id
    ];
    expect(applyPolicy(findings, policy).map((f) => [f.ruleId, f.line])).toEqual([
      ['drop-column', 5],
      ['drop-table', 9],
    ]);
  });

  it('do not silence other rules on the same line', () => {
    expect(applyPolicy([at('drop-and-add-column', 4)], policy)).toHaveLength(1);
  });

  it('leave findings without a file or line alone (drift has none)', () => {
    const drift = finding({ ruleId: 'drift-column-missing', message: 'x', table: 'users', column: 'a' });
    const noLine = finding({ ruleId: 'drop-column', message: 'x', file: 'migrations/versions/x.py' });
    expect(applyPolicy([drift, noLine], policy)).toEqual([drift, noLine]);
  });

  it('leave findings in files that cannot be read alone', () => {
    expect(applyPolicy([at('drop-column', 4, 'gone.py')], policy)).toHaveLength(1);
  });

  it('report what they silenced, and comments that give no reason or name unknown rules', () => {
    const outcome = applyPolicyWithReport([at('drop-table', 8), at('drop-table', 9)], policy);
    expect(outcome.suppressed.map((s) => [s.finding.line, s.suppression.line, s.suppression.reason])).toEqual(
      [[8, 7, '']],
    );
    expect(outcome.warnings).toEqual([
      'migrations/versions/x.py:7: alembic-review: ignore[drop-table] gives no reason',
      'migrations/versions/x.py:9: alembic-review: ignore[...] names unknown rule ids: no-such-rule',
    ]);
  });
});

describe('severity overrides', () => {
  it("change a rule's severity, and 'off' removes its findings", () => {
    const findings = [at('drop-column', 5), at('drop-table', 9), at('rename-table', 1)];
    const result = applyPolicy(findings, {
      ...policy,
      severity: { 'drop-column': 'error', 'drop-table': 'off' },
    });
    expect(result.map((f) => [f.ruleId, f.severity])).toEqual([
      ['drop-column', 'error'],
      ['rename-table', 'warning'],
    ]);
  });

  it('apply after suppressions (a suppressed finding stays silenced whatever its severity)', () => {
    expect(applyPolicy([at('drop-column', 4)], { ...policy, severity: { 'drop-column': 'error' } })).toEqual(
      [],
    );
  });
});

describe('ignore entries', () => {
  const drift = (ruleId: string, table: string, details: Record<string, unknown>, column?: string): Finding =>
    finding({ ruleId, message: ruleId, table, details, ...(column === undefined ? {} : { column }) });
  const index = drift('drift-index', 'recipes', {
    change: 'unexpected',
    actual: { name: 'ix_recipes_name_trgm' },
  });
  const renamed = drift('drift-foreign-key', 'tags', {
    change: 'renamed',
    actual: { name: 'study_tags_fkey' },
    expected: { name: 'tags_fkey' },
  });
  const column = drift('drift-column-default', 'users', {}, 'auth_method');
  const enumType = drift('drift-enum', 'x', {
    change: 'unexpected',
    actual: { name: 'mood', schema: 'app' },
  });
  const entry = (text: string) => parseIgnoreEntry(text, isRuleId);

  it('silence one rule on one object, by either name of a renamed one, with * for any run', () => {
    const outcome = applyPolicyWithReport([index, renamed, column, enumType], {
      ...policy,
      ignore: [
        entry('drift-index:recipes.ix_recipes_name_trgm GIN index'),
        entry('drift-foreign-key:tags.tags_fkey'),
        entry('drift-column-default:users.auth_*'),
        entry('drift-index:users.auth_method'), // another rule's object: silences nothing
      ],
    });
    expect(outcome.findings).toEqual([enumType]);
    expect(outcome.ignored.map((i) => [i.finding.ruleId, i.entry.reason])).toEqual([
      ['drift-index', 'GIN index'],
      ['drift-foreign-key', ''],
      ['drift-column-default', ''],
    ]);
    expect(outcome.unusedIgnores.map((e) => e.text)).toEqual(['drift-index:users.auth_method']);
    expect(applyPolicy([enumType], { ...policy, ignore: [entry('drift-enum:app.*')] })).toEqual([]);
  });

  it('report an entry that matched nothing as a notice, unless its checks did not run', () => {
    const stale = entry('drift-index:recipes.ix_gone # dropped last year');
    const [notice] = applyPolicy([], { ...policy, ignore: [stale] });
    expect(notice).toMatchObject({ ruleId: 'unused-ignore', severity: 'notice', origin: 'pr' });
    expect(notice?.message).toContain('"drift-index:recipes.ix_gone" (dropped last year) matched no finding');
    expect(applyPolicy([], { ...policy, ignore: [stale], skipped: ['drift'] })).toEqual([]);
  });
});

describe('pre-existing', () => {
  const base: Finding = { ...at('drop-column', 5), origin: 'base' };
  const mine: Finding = { ...at('drop-table', 9), origin: 'pr' };
  it('makes findings of the base notices by default, keeps them with error, drops them with off', () => {
    const severities = (preExisting?: 'notice' | 'error' | 'off') =>
      applyPolicy([base, mine], { ...policy, ...(preExisting === undefined ? {} : { preExisting }) }).map(
        (f) => [f.ruleId, f.severity],
      );
    expect(severities()).toEqual([
      ['drop-column', 'notice'],
      ['drop-table', 'warning'],
    ]);
    expect(severities('error')).toEqual([
      ['drop-column', 'warning'],
      ['drop-table', 'warning'],
    ]);
    expect(severities('off')).toEqual([['drop-table', 'warning']]);
  });
});
