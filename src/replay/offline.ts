// Offline mode (--database none): no database at all. The new revisions run
// through Alembic's `upgrade --sql` from the base frontier, and the SQL it
// writes is attributed to the revision lines that produced it, for lint.
import type { Bridge } from '../alembic/bridge.ts';
import { explainBridgeError } from '../alembic/project.ts';
import type { BridgeStatement, MigrationFailure } from '../alembic/protocol.ts';
import type { ReplayPlan } from './plan.ts';

export interface OfflineReplay {
  statements: Map<string, BridgeStatement[]>;
  preamble: BridgeStatement[];
  /** A revision whose Python failed while writing its SQL. */
  failure: MigrationFailure | null;
}

export async function offlineReplay(
  bridge: Bridge,
  python: string,
  plan: ReplayPlan,
  urlEnv: string[],
): Promise<OfflineReplay> {
  const statements = new Map<string, BridgeStatement[]>();
  if (plan.replayed.length === 0) return { statements, preamble: [], failure: null };
  try {
    const result = await bridge.call(
      'upgrade',
      { offline: true, startFrom: plan.frontier, targets: plan.heads, capture: true, urlEnv },
      (event) => {
        if (event.event === 'step-end') statements.set(event.revision, event.statements);
      },
    );
    const failure = result.failed;
    if (failure?.revision != null && !statements.has(failure.revision)) {
      statements.set(failure.revision, failure.statements);
    }
    return { statements, preamble: result.preamble, failure };
  } catch (error) {
    throw explainBridgeError(error, python);
  }
}
