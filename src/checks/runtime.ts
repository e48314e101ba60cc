// Findings from what happened when the revisions ran: failures (proven to be
// caused by existing rows when the empty replay passes), table rewrites and
// ACCESS EXCLUSIVE locks on tables that existed at the base.
import type { RevisionTimeout } from '../alembic/bridge.ts';
import type { BridgeRevision, BridgeStatement, MigrationFailure } from '../alembic/protocol.ts';
import { relationRef } from '../lint/names.ts';
import type { Finding } from '../model.ts';
import type { Replay, UpgradeOutcome } from '../replay/replay.ts';
import type { SeedFailure } from '../replay/seed.ts';
import { failed } from '../replay/replay.ts';
import type { Schema } from '../schema/types.ts';
import { finding } from './finding.ts';

type Relative = (file: string) => string;

function sqlstateSuffix(sqlstate: string | null): string {
  return sqlstate === null ? '' : ` (SQLSTATE ${sqlstate})`;
}

function location(failure: MigrationFailure, relative: Relative, revisionPath: string | undefined) {
  const file = failure.file ?? revisionPath;
  return {
    ...(file === undefined ? {} : { file: relative(file) }),
    ...(failure.line === null ? {} : { line: failure.line }),
    ...(failure.revision === null ? {} : { revision: failure.revision }),
    ...(failure.statement === null ? {} : { sql: failure.statement.sql.trim() }),
  };
}

export function migrationFailed(
  failure: MigrationFailure,
  relative: Relative,
  revisionPath: string | undefined,
  base = false,
): Finding {
  return finding({
    ruleId: 'migration-failed',
    message: `${base ? 'The base history fails to apply: revision' : 'Revision'} ${failure.revision ?? '?'} failed: ${failure.message}${sqlstateSuffix(failure.sqlstate)}`,
    ...location(failure, relative, revisionPath),
    details: { sqlstate: failure.sqlstate, exception: failure.exception, ...(base ? { atBase: true } : {}) },
  });
}

export function failsOnExistingRows(
  failure: MigrationFailure,
  relative: Relative,
  revisionPath: string | undefined,
  rows: number | undefined,
): Finding {
  const found = finding({
    ruleId: 'fails-on-existing-rows',
    message: `Revision ${failure.revision ?? '?'} fails on a database whose tables hold rows${rows === undefined ? '' : ` (${rows} per table here)`}: ${failure.message}${sqlstateSuffix(failure.sqlstate)}. On an empty database it passes, so it works in development and breaks the production deploy.`,
    ...location(failure, relative, revisionPath),
    details: { sqlstate: failure.sqlstate, exception: failure.exception },
  });
  // SQLSTATE class 22 (data exception: a cast or a value out of range) depends
  // on what the rows hold, and ours are synthetic: likely, not proven.
  if (failure.sqlstate?.startsWith('22') === true) {
    return {
      ...found,
      severity: 'warning',
      message: `${found.message} The rows here are synthetic, so check that every value of your real data converts (or give the review realistic rows with seed-sql).`,
    };
  }
  return found;
}

export function revisionTimedOut(timeout: RevisionTimeout, revisionPath: string | undefined): Finding {
  const seconds = Math.round(timeout.timeoutMs / 1000);
  if (timeout.revision === null) {
    return finding({
      ruleId: 'migration-failed',
      message: `env.py did not finish within ${seconds} s (revision-timeout) outside of any revision and was stopped: does it wait for something (a server, a lock, input)?`,
      details: { timeoutMs: timeout.timeoutMs },
    });
  }
  return finding({
    ruleId: 'migration-failed',
    message: `Revision ${timeout.revision} did not finish within ${seconds} s and was stopped (a lock wait or a long data migration?).`,
    revision: timeout.revision,
    ...(revisionPath === undefined ? {} : { file: revisionPath }),
    details: { timeoutMs: timeout.timeoutMs },
  });
}

/** Failures of the replay, with the proof from the empty replay when there is one. */
export function replayFailures(
  replay: Replay,
  revisions: readonly BridgeRevision[],
  relative: Relative,
  seedRows: number,
): Finding[] {
  const pathOf = (id: string | null): string | undefined => revisions.find((r) => r.id === id)?.path;
  const findings: Finding[] = [];
  const timeout = (outcome: UpgradeOutcome): void => {
    if (outcome.timedOut !== null) {
      const file = pathOf(outcome.timedOut.revision);
      findings.push(revisionTimedOut(outcome.timedOut, file === undefined ? undefined : relative(file)));
    }
  };
  // A failure while building the base is not the change's: replay/base.ts says what happened.
  // But env.py hanging there (no revision running) is: it runs for the change's revisions too.
  if (replay.frontier.timedOut?.revision === null) timeout(replay.frontier);
  const failure = replay.withRows.failure;
  if (failure !== null) {
    const empty = replay.withoutRows;
    const passedEmpty =
      empty !== null && failure.revision !== null && (empty.steps.has(failure.revision) || !failed(empty));
    findings.push(
      passedEmpty
        ? failsOnExistingRows(failure, relative, pathOf(failure.revision), seedRows)
        : migrationFailed(failure, relative, pathOf(failure.revision)),
    );
    if (passedEmpty && empty.failure !== null) {
      findings.push(migrationFailed(empty.failure, relative, pathOf(empty.failure.revision)));
    }
  }
  timeout(replay.withRows);
  if (replay.withoutRows !== null) timeout(replay.withoutRows);
  return findings;
}

/** A notice that a stage of the review was skipped, and why. */
export function reviewIncomplete(message: string): Finding {
  return finding({ ruleId: 'review-incomplete', message });
}

/** Base tables the replay could not fill: what ran on them ran on an empty table. */
export function seedFindings(failures: readonly SeedFailure[], seedRows: number): Finding[] {
  return failures.map((failure) =>
    finding({
      ruleId: 'seed-failed',
      message: `The table ${failure.table} could not be filled with ${seedRows} synthetic rows (${failure.message}), so the revisions ran on it with only the rows the migrations themselves inserted (if any): failures that only rows cause may not show there.`,
      table: failure.table,
      suggestion: {
        text: 'Give the review realistic rows for this table with a seed-sql file ([tool.alembic-review] seed-sql = "…").',
      },
    }),
  );
}

/** table-rewrite and access-exclusive-lock for tables that existed at the base. */
export function lockFindings(
  statementsByRevision: ReadonlyMap<string, readonly BridgeStatement[]>,
  revisions: readonly BridgeRevision[],
  baseSchema: Schema | null,
  baseRows: Record<string, number>,
  relative: Relative,
): Finding[] {
  if (baseSchema === null) return [];
  const findings: Finding[] = [];
  const existed = (relation: string): boolean => baseSchema.tables[relationRef(relation).key] !== undefined;
  for (const revision of revisions) {
    for (const statement of statementsByRevision.get(revision.id) ?? []) {
      const where = {
        file: relative(statement.file ?? revision.path),
        revision: revision.id,
        ...(statement.line === null ? {} : { line: statement.line }),
        sql: statement.sql.trim(),
      };
      for (const table of statement.rewrote.filter(existed)) {
        const rows = baseRows[relationRef(table).key];
        findings.push(
          finding({
            ruleId: 'table-rewrite',
            message: `This statement rewrote the table ${table}${rows === undefined ? '' : ` (${rows} rows here)`}: Postgres copied every row into new storage while holding an ACCESS EXCLUSIVE lock, so reads and writes wait for the whole copy on a large table.`,
            table,
            ...where,
            details: { rows },
            suggestion: {
              text: 'Avoid the rewrite (add the column without a volatile default, change types in a compatible way), or run it in a maintenance window.',
            },
          }),
        );
      }
      const exclusive = statement.locks.filter(
        (l) => l.mode === 'AccessExclusiveLock' && existed(l.relation),
      );
      for (const lock of exclusive) {
        findings.push(
          finding({
            ruleId: 'access-exclusive-lock',
            message: `Takes an ACCESS EXCLUSIVE lock on ${lock.relation}, held until the migration's transaction commits: every query on the table waits, and while it waits for running transactions, new queries queue behind it.`,
            table: lock.relation,
            ...where,
            details: { mode: lock.mode },
          }),
        );
      }
    }
  }
  return findings;
}
