// Findings from what happened when the revisions ran.
import type { RevisionTimeout } from '../alembic/bridge.ts';
import type { MigrationFailure } from '../alembic/protocol.ts';
import type { Finding } from '../model.ts';
import { finding } from './finding.ts';

export function migrationFailed(
  failure: MigrationFailure,
  relative: (file: string) => string,
  revisionPath: string | undefined,
): Finding {
  const file = failure.file ?? revisionPath;
  return finding({
    ruleId: 'migration-failed',
    message: `Revision ${failure.revision ?? '?'} failed: ${failure.message}${failure.sqlstate === null ? '' : ` (SQLSTATE ${failure.sqlstate})`}`,
    ...(file === undefined ? {} : { file: relative(file) }),
    ...(failure.line === null ? {} : { line: failure.line }),
    ...(failure.revision === null ? {} : { revision: failure.revision }),
    ...(failure.statement === null ? {} : { sql: failure.statement.sql.trim() }),
    details: { sqlstate: failure.sqlstate, exception: failure.exception },
  });
}

export function revisionTimedOut(timeout: RevisionTimeout, revisionPath: string | undefined): Finding {
  return finding({
    ruleId: 'migration-failed',
    message: `Revision ${timeout.revision} did not finish within ${Math.round(timeout.timeoutMs / 1000)} s and was stopped (a lock wait or a long data migration?).`,
    revision: timeout.revision,
    ...(revisionPath === undefined ? {} : { file: revisionPath }),
    details: { timeoutMs: timeout.timeoutMs },
  });
}
