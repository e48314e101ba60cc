// A table of valid and invalid cases per lint rule, in the manner of
// ESLint's RuleTester: each case's statements really run on PostgreSQL (the
// helpers/replay.ts capture), then the whole lint stage runs on what was
// captured, online (with the replay's facts) or offline (SQL only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../../../src/lint/engine.ts';
import type { LintInput } from '../../../src/lint/types.ts';
import type { Finding } from '../../../src/model.ts';
import { offlineInput, ScratchDatabase, type ReplaySpec, type StatementSpec } from './replay.ts';

export type Mode = 'online' | 'offline';

interface CaseBase {
  name: string;
  /** One revision's statements, or several revisions. */
  statements?: StatementSpec[];
  revisions?: ReplaySpec['revisions'];
  base?: string;
  lockTimeout?: string;
  /** Modes to lint in (default both: the rule must hold with and without the replay). */
  modes?: Mode[];
}

export type ValidCase = CaseBase;

export interface InvalidCase extends CaseBase {
  /** What each finding of the rule must contain, in order; the count must match. */
  findings: (Partial<Pick<Finding, 'line' | 'table' | 'column' | 'revision' | 'severity'>> & {
    message?: RegExp;
    code?: RegExp;
  })[];
}

export interface RuleCases {
  valid: ValidCase[];
  invalid: InvalidCase[];
}

function spec(c: CaseBase): ReplaySpec {
  return {
    ...(c.base === undefined ? {} : { base: c.base }),
    ...(c.lockTimeout === undefined ? {} : { lockTimeout: c.lockTimeout }),
    revisions: c.revisions ?? [{ statements: c.statements ?? [] }],
  };
}

/** Online: the statements really run on PostgreSQL. Offline: nothing runs, as with `upgrade --sql`. */
async function inputFor(database: ScratchDatabase, c: CaseBase, mode: Mode): Promise<LintInput> {
  return mode === 'online' ? database.replay(spec(c)) : offlineInput(spec(c));
}

function findingsOf(ruleId: string, input: LintInput): Finding[] {
  return lint(input).filter((f) => f.ruleId === ruleId);
}

/** Registers one describe() per rule: a test per case and mode. */
export function ruleCases(ruleId: string, cases: RuleCases): void {
  describe(ruleId, () => {
    let database: ScratchDatabase;
    beforeAll(async () => {
      database = await ScratchDatabase.create(`lint_${ruleId.replaceAll('-', '_')}`);
    });
    afterAll(async () => {
      await database.drop();
    });

    for (const c of cases.valid) {
      for (const mode of c.modes ?? (['online', 'offline'] as const)) {
        it(`valid (${mode}): ${c.name}`, async () => {
          expect(findingsOf(ruleId, await inputFor(database, c, mode))).toEqual([]);
        });
      }
    }
    for (const c of cases.invalid) {
      for (const mode of c.modes ?? (['online', 'offline'] as const)) {
        it(`invalid (${mode}): ${c.name}`, async () => {
          const found = findingsOf(ruleId, await inputFor(database, c, mode));
          expect(found.map((f) => f.message)).toHaveLength(c.findings.length);
          c.findings.forEach((expected, index) => {
            const actual = found[index];
            const { message, code, ...fields } = expected;
            expect(actual).toMatchObject(fields);
            expect(actual?.file).toMatch(/^migrations\/versions\/\w+_test\.py$/);
            expect(actual?.suggestion?.text).toBeTruthy();
            if (message !== undefined) expect(actual?.message).toMatch(message);
            if (code !== undefined) expect(actual?.suggestion?.code).toMatch(code);
          });
        });
      }
    }
  });
}
