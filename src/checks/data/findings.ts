// fails-on-existing-data findings: the proven failure, the fix, the query
// that tells whether production is affected and, with a preflight database,
// its answer — which makes the finding an error (production has such rows)
// or a notice (it has none).
import type { Finding, PreflightCheck } from '../../model.ts';
import { finding } from '../finding.ts';
import type { CaseOutcome } from './adversarial.ts';
import { conditionModule } from './conditions/index.ts';

type Relative = (file: string) => string;

/** Findings carry the statement, not a whole data script. */
const MAX_SQL = 2000;

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}

function preflightSentence(check: PreflightCheck): string {
  const result = check.result;
  if (result === null)
    return ' Run the query below on production (or a copy) before deploying, or give the review a preflight database.';
  if (result.error !== undefined) return ` On the preflight database: ${result.summary}.`;
  if (result.violations === 0)
    return ` On the preflight database ${result.summary}: this deploy is safe there.`;
  return ` On the preflight database ${result.summary}: the deploy will fail there.`;
}

export function dataFinding(outcome: CaseOutcome, check: PreflightCheck, relative: Relative): Finding {
  const { dataCase, failure } = outcome;
  if (failure === undefined) throw new Error('a data finding needs the failure');
  const statement = dataCase.statement;
  const sqlstate = failure.statement?.error?.sqlstate ?? failure.sqlstate;
  const error = failure.statement?.error;
  const columns = dataCase.columns.map((c) => c.name);
  const sql = statement.sql.trim();
  const found = finding({
    ruleId: 'fails-on-existing-data',
    message: `Revision ${dataCase.revision} fails when ${dataCase.tableRef.display} holds ${outcome.breaking ?? 'certain values'}: ${firstLine(failure.message)}${sqlstate === null ? '' : ` (SQLSTATE ${sqlstate})`}. It passed with the ordinary synthetic rows and failed on a copy of the base holding exactly such rows, so it breaks the deploy wherever the data holds them.${preflightSentence(check)}`,
    file: relative(statement.file ?? dataCase.revisionPath),
    ...(statement.line === null ? {} : { line: statement.line }),
    revision: dataCase.revision,
    table: dataCase.tableRef.display,
    ...(columns.length === 1 && columns[0] !== undefined ? { column: columns[0] } : {}),
    sql: sql.length > MAX_SQL ? `${sql.slice(0, MAX_SQL)}…` : sql,
    suggestion: conditionModule(dataCase.spec.condition).fix(dataCase),
    condition: dataCase.spec.condition,
    preflight: check,
    details: {
      sqlstate: sqlstate ?? null,
      ...(error?.constraint === undefined ? {} : { constraint: error.constraint }),
      columns,
    },
  });
  const result = check.result;
  if (result === null || result.error !== undefined) return found;
  return { ...found, severity: result.violations === 0 ? 'notice' : 'error' };
}
