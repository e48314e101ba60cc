// Offline mode (--database none): no database at all. The new revisions run
// through Alembic's `upgrade --sql` from the base frontier, and the SQL it
// writes is attributed to the revision lines that produced it, for lint.
import type { Bridge } from '../alembic/bridge.ts';
import { explainBridgeError, type ProjectInfo } from '../alembic/project.ts';
import type { BridgeStatement } from '../alembic/protocol.ts';
import type { ReplayPlan } from './plan.ts';

export interface OfflineReplay {
  statements: Map<string, BridgeStatement[]>;
  preamble: BridgeStatement[];
}

export async function offlineReplay(
  bridge: Bridge,
  project: ProjectInfo,
  plan: ReplayPlan,
  urlEnv: string[],
): Promise<OfflineReplay> {
  const statements = new Map<string, BridgeStatement[]>();
  if (plan.newRevisions.length === 0) return { statements, preamble: [] };
  try {
    const result = await bridge.call(
      'upgrade',
      { offline: true, startFrom: plan.frontier, targets: plan.heads, capture: true, urlEnv },
      (event) => {
        if (event.event === 'step-end') statements.set(event.revision, event.statements);
      },
    );
    if (result.failed !== null) {
      const failure = result.failed;
      // Offline, a failure is the revision's Python failing (no database involved).
      const failing = statements.get(failure.revision ?? '') ?? failure.statements;
      statements.set(failure.revision ?? '?', failing);
    }
    return { statements, preamble: result.preamble };
  } catch (error) {
    throw explainBridgeError(error, project.python);
  }
}
