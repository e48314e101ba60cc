// Running a probe (the query that counts the rows breaking a case) on a
// connection: on the adversarial database inside the transaction that makes
// the breaking rows, on a preflight database inside a read-only one.
import type pg from 'pg';
import type { Probe, ProbeAnswer } from './types.ts';

/** SQLSTATE class 22: a value did not convert (what a cast test reports). */
const DATA_EXCEPTION = /^22/;

function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * Runs the probe's count query; a failing cast test means "at least one"
 * (violations null). Inside an open transaction (`savepoint`), an error is
 * rolled back to a savepoint so that the transaction goes on.
 */
export async function countViolations(
  client: pg.Client,
  probe: Probe,
  savepoint = false,
): Promise<ProbeAnswer> {
  if (savepoint) await client.query('SAVEPOINT alembic_review_probe');
  try {
    const result = await client.query<Record<string, unknown>>(probe.count.sql, probe.count.params);
    if (savepoint) await client.query('RELEASE SAVEPOINT alembic_review_probe');
    const row = result.rows[0] ?? {};
    if (probe.failsIfAny === true) return { violations: 0, extra: {} };
    const extra: Record<string, number | null> = {};
    for (const [key, value] of Object.entries(row))
      if (key !== 'violations') extra[key] = numberOrNull(value);
    return { violations: numberOrNull(row.violations) ?? 0, extra };
  } catch (error) {
    if (savepoint) await client.query('ROLLBACK TO SAVEPOINT alembic_review_probe');
    const code = (error as { code?: unknown }).code;
    if (probe.failsIfAny === true && typeof code === 'string' && DATA_EXCEPTION.test(code))
      return { violations: null, extra: {} };
    throw error;
  }
}

/** True when the answer says some rows break the case. */
export function violated(answer: ProbeAnswer): boolean {
  return answer.violations === null || answer.violations > 0;
}
