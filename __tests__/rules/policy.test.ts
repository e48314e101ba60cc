// Suppression comments and per-rule severities over findings that point at
// real files on disk.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finding } from '../../src/checks/finding.ts';
import type { Finding } from '../../src/model.ts';
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
