// Replaying the change on a throwaway database: upgrade to the base
// frontier, then apply every new revision as its own step, capturing each
// statement with the revision line that emitted it, its locks and rewrites.
import type { Bridge } from '../alembic/bridge.ts';
import { RevisionTimeout } from '../alembic/bridge.ts';
import { explainBridgeError } from '../alembic/project.ts';
import type { BridgeStatement, MigrationFailure, RunResult } from '../alembic/protocol.ts';
import type { DatabaseProvider, ThrowawayDatabase } from '../database/provider.ts';
import type { Statement } from '../model.ts';
import type { ReplayPlan } from './plan.ts';

export interface StepRecord {
  revision: string;
  durationMs: number;
  lockTimeout: string | null;
  statements: BridgeStatement[];
}

export interface UpgradeOutcome {
  steps: Map<string, StepRecord>;
  failure: MigrationFailure | null;
  /** The revision that ran past the time limit, if one did. */
  timedOut: RevisionTimeout | null;
  preamble: BridgeStatement[];
  configure: RunResult['configure'];
}

export interface ReplayContext {
  bridge: Bridge;
  python: string;
  provider: DatabaseProvider;
  urlEnv: string[];
}

/** Upgrades a database to targets; with capture, one step record per revision applied. */
export async function upgrade(
  context: ReplayContext,
  database: ThrowawayDatabase,
  targets: string[],
  capture: boolean,
): Promise<UpgradeOutcome> {
  const steps = new Map<string, StepRecord>();
  const outcome: UpgradeOutcome = { steps, failure: null, timedOut: null, preamble: [], configure: null };
  if (targets.length === 0) return outcome;
  try {
    const result = await context.bridge.call(
      'upgrade',
      {
        url: database.url,
        expect: { name: database.name, token: database.token },
        targets,
        capture,
        urlEnv: context.urlEnv,
      },
      (event) => {
        if (event.event === 'step-end') {
          steps.set(event.revision, {
            revision: event.revision,
            durationMs: event.durationMs,
            lockTimeout: event.lockTimeout,
            statements: event.statements,
          });
        }
      },
    );
    outcome.failure = result.failed;
    outcome.preamble = result.preamble;
    outcome.configure = result.configure;
  } catch (error) {
    if (error instanceof RevisionTimeout) outcome.timedOut = error;
    else throw explainBridgeError(error, context.python);
  }
  return outcome;
}

/** Frontier first (not captured), then the new revisions (captured). */
export async function replayPlan(
  context: ReplayContext,
  database: ThrowawayDatabase,
  plan: ReplayPlan,
  beforeNew?: () => Promise<void>,
): Promise<{ frontier: UpgradeOutcome; changes: UpgradeOutcome }> {
  const frontier = await upgrade(context, database, plan.frontier, false);
  if (frontier.failure !== null || frontier.timedOut !== null) {
    return { frontier, changes: { steps: new Map(), failure: null, timedOut: null, preamble: [], configure: null } };
  }
  if (beforeNew !== undefined) await beforeNew();
  const changes = await upgrade(context, database, plan.newRevisions.length === 0 ? [] : plan.heads, true);
  return { frontier, changes };
}

/** A bridge statement as the report shows it (repository-relative file). */
export function toStatement(statement: BridgeStatement, relative: (file: string) => string): Statement {
  return {
    sql: statement.sql.trim(),
    line: statement.line,
    file: statement.file === null ? null : relative(statement.file),
    durationMs: statement.durationMs,
    locks: statement.locks,
    rewrote: statement.rewrote,
    ...(statement.error === undefined ? {} : { error: statement.error }),
  };
}
