// The data checks stage: the failures that depend on what the rows hold.
// Finds the new revisions' statements that validate existing data, proves
// with adversarial replays which of them fail on rows that hold breaking
// values (fails-on-existing-data, with the fix and the query that tells
// whether production is affected), and — with a preflight database — asks
// that database the query, and estimates how long each rewrite, index build
// and validating scan would take at its size.
import type { Finding, PreflightCheck, ProductionEstimate, Statement } from '../../model.ts';
import type { ReplayPlan } from '../../replay/plan.ts';
import type { Replay, ReplayContext } from '../../replay/replay.ts';
import { adversarialReplays, BaseSource, type CaseOutcome } from './adversarial.ts';
import { conditionModule } from './conditions/index.ts';
import { estimateAtProductionSize } from './estimate.ts';
import { dataFinding } from './findings.ts';
import { timedOperations } from './operations.ts';
import { PreflightDatabase } from './preflight.ts';
import { findCases, type CapturedRevision } from './statements.ts';
import type { DataCase, ServerFacts } from './types.ts';

export interface DataChecksInput {
  context: ReplayContext;
  replay: Replay;
  plan: ReplayPlan;
  relative: (file: string) => string;
  versionTable: string;
  seedRows: number;
  seedSql: string | undefined;
  /** Run the adversarial replays (off when fails-on-existing-data is off). */
  adversarial: boolean;
  preflightUrl: string | undefined;
  preflightShowValues: boolean;
}

export interface DataChecks {
  findings: Finding[];
  /** revision id → statement index → estimate at production size */
  estimates: Map<string, Map<number, ProductionEstimate>>;
  /** For the progress line. */
  summary: string;
}

/** Without a preflight database, the queries are shown as PostgreSQL 16 runs them. */
const SHOWN_SERVER: ServerFacts = { version: 160000 };

async function preflightCheck(
  outcome: CaseOutcome,
  preflight: PreflightDatabase | null,
  showValues: boolean,
): Promise<PreflightCheck> {
  const module = conditionModule(outcome.dataCase.spec.condition);
  const probe = module.probe(outcome.dataCase, preflight?.server ?? SHOWN_SERVER, 'preflight');
  if ('unavailable' in probe) {
    const own = module.probe(outcome.dataCase, SHOWN_SERVER, 'throwaway');
    return {
      sql: 'unavailable' in own ? '' : own.display,
      result:
        preflight === null
          ? null
          : { violations: null, summary: `not run there: ${probe.unavailable}`, error: probe.unavailable },
    };
  }
  return {
    sql: probe.display,
    result:
      preflight === null
        ? null
        : await preflight.answer(probe, showValues, (answer) => module.describe(outcome.dataCase, answer)),
  };
}

export async function dataChecks(input: DataChecksInput): Promise<DataChecks> {
  const { context, replay, plan } = input;
  const bases = new BaseSource(context, replay.baseWithoutRows, plan.frontier);
  let preflight: PreflightDatabase | null = null;
  const none: DataChecks = { findings: [], estimates: new Map(), summary: 'nothing to check' };
  try {
    const baseSchema = replay.baseSchema;
    if (baseSchema === null) return none;
    const paths = new Map(plan.newRevisions.map((r) => [r.id, r.path]));
    const revisions: CapturedRevision[] = [...replay.withRows.steps.values()]
      .filter((step) => paths.has(step.revision))
      .map((step) => ({
        id: step.revision,
        path: paths.get(step.revision) ?? '',
        statements: step.statements,
      }));
    // Opened first, so that a refused preflight-url is said on every run, not only when it is needed.
    if (input.preflightUrl !== undefined) {
      preflight = await PreflightDatabase.open(input.preflightUrl);
      context.log(`preflight database: ${preflight.where} (read-only)`);
    }
    const found = findCases(revisions, baseSchema);
    const cases = input.adversarial ? found : [];
    const operations = preflight === null ? [] : timedOperations(revisions, baseSchema);
    if (cases.length === 0 && operations.length === 0)
      return { ...none, summary: 'no statement validates or rewrites existing data' };
    // The estimates need a copy of the base after the adversarial replays.
    if (operations.length > 0) bases.keepTemplate();
    const adversarial = await adversarialReplays({
      context,
      cases,
      baseSchema,
      bases,
      seedRows: input.seedRows,
      seedSql: input.seedSql,
      versionTable: input.versionTable,
    });
    for (const outcome of adversarial.outcomes) {
      if (outcome.note !== undefined && outcome.verdict !== 'passes') {
        const where = `${input.relative(outcome.dataCase.revisionPath)}:${outcome.dataCase.statement.line ?? '?'}`;
        context.log(`${where} (${outcome.dataCase.spec.condition}) not decided: ${outcome.note}`);
      }
    }
    const failing = adversarial.outcomes.filter((o) => o.verdict === 'fails');
    const findings: Finding[] = [];
    for (const outcome of failing) {
      findings.push(
        dataFinding(
          outcome,
          await preflightCheck(outcome, preflight, input.preflightShowValues),
          input.relative,
        ),
      );
    }
    const guarded = adversarial.outcomes.filter((o) => o.verdict === 'passes').length;
    let summary = `${cases.length} validating ${cases.length === 1 ? 'statement' : 'statements'}: ${failing.length} fail on breaking rows, ${guarded} guarded (${adversarial.replays} adversarial ${adversarial.replays === 1 ? 'replay' : 'replays'})`;

    let estimates = new Map<string, Map<number, ProductionEstimate>>();
    if (preflight !== null && operations.length > 0) {
      const estimated = await estimateAtProductionSize({
        context,
        operations,
        revisions,
        baseSchema,
        bases,
        preflight,
        seedRows: input.seedRows,
        seedSql: input.seedSql,
        versionTable: input.versionTable,
        madeUnique: madeUnique(found),
      });
      for (const note of estimated.notes) context.log(note);
      estimates = estimated.estimates;
      const count = [...estimates.values()].reduce((n, m) => n + m.size, 0);
      summary += `; ${count} production-size ${count === 1 ? 'estimate' : 'estimates'}`;
    }
    return { findings, estimates, summary };
  } finally {
    await preflight?.close();
    bases.close();
  }
}

/** The columns each table's new unique keys cover. */
function madeUnique(cases: readonly DataCase[]): Map<string, string[]> {
  const columns = new Map<string, string[]>();
  for (const c of cases) {
    if (c.spec.condition !== 'duplicates') continue;
    const key = c.tableRef.key;
    columns.set(key, [...(columns.get(key) ?? []), ...c.columns.map((column) => column.name)]);
  }
  return columns;
}

/** The report's statements with their estimates (same revisions, same order as the replay with rows). */
export function withEstimates(
  statements: Map<string, Statement[]>,
  estimates: ReadonlyMap<string, ReadonlyMap<number, ProductionEstimate>>,
): Map<string, Statement[]> {
  for (const [revision, byIndex] of estimates) {
    const list = statements.get(revision);
    if (list === undefined) continue;
    statements.set(
      revision,
      list.map((s, i) => {
        const estimate = byIndex.get(i);
        return estimate === undefined ? s : { ...s, estimate };
      }),
    );
  }
  return statements;
}
