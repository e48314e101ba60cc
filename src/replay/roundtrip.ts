// The downgrade round trip on the migrated head: downgrade the new revisions
// back to the base frontier (newest first, in one run of env.py) and compare
// with the base snapshot, then upgrade again and compare with the head
// snapshot.
import type { BridgeRevision, MigrationFailure } from '../alembic/protocol.ts';
import { finding } from '../checks/finding.ts';
import type { Finding } from '../model.ts';
import { compareSchemas, type Difference } from '../schema/diff.ts';
import { introspect } from '../schema/introspect.ts';
import { displayName, type Column, type Schema } from '../schema/types.ts';
import type { ReplayPlan } from './plan.ts';
import { failed, migrate, type HeadState, type ReplayContext, type UpgradeOutcome } from './replay.ts';

export interface RoundTrip {
  findings: Finding[];
  downgraded: number;
}

export async function roundTrip(
  context: ReplayContext,
  plan: ReplayPlan,
  head: HeadState,
  baseSchema: Schema,
  statementsOf: (revision: string) => readonly { sql: string; line: number | null }[],
  relative: (file: string) => string,
): Promise<RoundTrip> {
  const findings: Finding[] = [];
  // Everything the replay applied above the base: new revisions and existing ones re-parented onto them.
  const newest = [...plan.replayed].reverse();
  // All in one run of env.py, newest first: the bridge names the one that fails.
  const down = await migrate(
    context,
    'downgrade',
    head.database,
    newest.map((r) => r.id),
    false,
  );
  const downgraded = newest.filter((r) => down.steps.has(r.id)).length;
  if (failed(down)) {
    const failing = down.failure?.revision ?? down.timedOut?.revision;
    const revision = newest.find((r) => r.id === failing) ?? newest[downgraded] ?? newest[0];
    if (revision !== undefined) findings.push(downgradeFailed(revision, down, relative));
    return { findings, downgraded };
  }

  const afterDowngrade = await introspect(head.database.url);
  const residueDifferences = compareSchemas(afterDowngrade, baseSchema);
  const residue = residueDifferences.map(describe);
  if (residue.length > 0) {
    const culprit = attribute(residueDifferences, newest, statementsOf);
    findings.push(
      finding({
        ruleId: 'downgrade-leaves-residue',
        message: `Downgrading the new revisions does not restore the base schema: ${residue.join('; ')}.`,
        ...(culprit === undefined
          ? {}
          : {
              file: relative(culprit.path),
              revision: culprit.id,
              ...(culprit.downgradeLine === undefined || culprit.downgradeLine === null
                ? {}
                : { line: culprit.downgradeLine }),
            }),
        details: { differences: residue },
        suggestion: {
          text: 'Make downgrade() undo everything upgrade() does (drop what it creates, restore what it drops).',
        },
      }),
    );
  }

  const again = await migrate(context, 'upgrade', head.database, plan.heads, false);
  if (failed(again)) {
    const message = again.failure?.message ?? again.timedOut?.message ?? 'unknown error';
    const revision = plan.newRevisions.find((r) => r.id === again.failure?.revision);
    findings.push(
      finding({
        ruleId: 'downgrade-leaves-residue',
        message: `After downgrading, upgrading again fails: ${message}. The downgrade leaves something behind that the upgrade then trips over.`,
        ...(revision === undefined ? {} : { file: relative(revision.path), revision: revision.id }),
        ...(again.failure?.line === null || again.failure?.line === undefined
          ? {}
          : { line: again.failure.line }),
        suggestion: { text: 'Make downgrade() undo everything upgrade() does.' },
      }),
    );
    return { findings, downgraded };
  }
  const afterUpgrade = await introspect(head.database.url);
  const drift = compareSchemas(afterUpgrade, head.schema).map(describe);
  if (drift.length > 0) {
    findings.push(
      finding({
        ruleId: 'downgrade-leaves-residue',
        message: `Upgrading again after the downgrade gives a different schema than the first upgrade: ${drift.join('; ')}.`,
        details: { differences: drift },
        suggestion: {
          text: 'Make downgrade() undo everything upgrade() does, so that upgrade → downgrade → upgrade is stable.',
        },
      }),
    );
  }
  return { findings, downgraded };
}

/** What one difference between the schema we have and the one we expected means, in a few words. */
function describe(d: Difference): string {
  if (d.rule === 'drift-enum') {
    const name = d.expected?.name ?? d.actual?.name ?? '?';
    return d.change === 'unexpected'
      ? `enum type ${name} is still there`
      : d.change === 'missing'
        ? `enum type ${name} is gone`
        : `enum type ${name} has other labels`;
  }
  const table = displayName(d.table.schema, d.table.name);
  switch (d.rule) {
    case 'drift-table-unexpected':
      return `table ${table} is still there`;
    case 'drift-table-missing':
      return `table ${table} is gone`;
    case 'drift-column-unexpected':
      return `column ${table}.${d.actual.name} is still there`;
    case 'drift-column-missing':
      return `column ${table}.${d.expected.name} is gone`;
    case 'drift-column-type':
    case 'drift-column-nullable':
    case 'drift-column-default':
      return `column ${table}.${d.expected.name} differs (${describeColumnChange(d.rule, d.actual, d.expected)})`;
    default: {
      const kind = d.rule.replace('drift-', '').replace('-', ' ');
      const name = objectName(d.actual) ?? objectName(d.expected) ?? '?';
      const state =
        d.change === 'unexpected' ? 'is still there' : d.change === 'missing' ? 'is gone' : 'differs';
      return `${kind} ${name} on ${table} ${state}`;
    }
  }
}

function describeColumnChange(rule: string, actual: Column, expected: Column): string {
  if (rule === 'drift-column-nullable')
    return `nullable: ${actual.nullable ? 'yes' : 'no'}, was ${expected.nullable ? 'yes' : 'no'}`;
  if (rule === 'drift-column-default')
    return `default: ${actual.default ?? 'none'}, was ${expected.default ?? 'none'}`;
  return `type: ${actual.type}, was ${expected.type}`;
}

function objectName(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && 'name' in value && typeof value.name === 'string'
    ? value.name
    : undefined;
}

/** The newest revision whose statements name the leftover column or table. */
function attribute(
  residue: readonly Difference[],
  newest: readonly BridgeRevision[],
  statementsOf: (revision: string) => readonly { sql: string }[],
): BridgeRevision | undefined {
  const names = residue
    .map((d) => ('table' in d ? d.table.name : (d.actual?.name ?? d.expected?.name)))
    .filter((n): n is string => n !== undefined)
    .map((n) => new RegExp(`\\b${n.replace(/[^A-Za-z0-9_]/g, '')}\\b`));
  return newest.find((revision) =>
    statementsOf(revision.id).some((s) => names.some((name) => name.test(s.sql))),
  );
}

export function downgradeFailed(
  revision: BridgeRevision,
  outcome: UpgradeOutcome,
  relative: (file: string) => string,
): Finding {
  const failure = outcome.failure;
  const message = failure?.message ?? outcome.timedOut?.message ?? 'unknown error';
  const line = failure?.line ?? revision.downgradeLine ?? null;
  const cause = causeOf(failure, outcome.timedOut !== null);
  const found = finding({
    ruleId: 'downgrade-failed',
    message:
      cause.kind === 'irreversible'
        ? `Revision ${revision.id} says it cannot be undone: its downgrade() raises ${failure?.exception ?? 'NotImplementedError'} (${message}).`
        : `Downgrading revision ${revision.id} failed: ${message}${failure?.sqlstate ? ` (SQLSTATE ${failure.sqlstate})` : ''}.`,
    file: relative(failure?.file ?? revision.path),
    revision: revision.id,
    ...(line === null ? {} : { line }),
    ...(failure?.statement ? { sql: failure.statement.sql.trim() } : {}),
    details: {
      cause: cause.kind,
      sqlstate: failure?.sqlstate ?? null,
      exception: failure?.exception ?? null,
    },
    suggestion: cause.suggestion,
  });
  // A one-way migration that says so is a decision, not a defect.
  return cause.kind === 'irreversible' ? { ...found, severity: 'notice' } : found;
}

type Cause =
  | 'unnamed-constraint'
  | 'irreversible'
  | 'rows'
  | 'conversion'
  | 'missing-object'
  | 'dependents'
  | 'timeout'
  | 'other';

/** Why a downgrade failed, and the fix that fits. */
function causeOf(
  failure: MigrationFailure | null,
  timedOut: boolean,
): { kind: Cause; suggestion: { text: string; code?: string } } {
  const sqlstate = failure?.sqlstate ?? '';
  const exception = failure?.exception ?? '';
  if (timedOut) {
    return {
      kind: 'timeout',
      suggestion: {
        text: 'The downgrade did not finish within the time limit: it waits for a lock, or rewrites a large table. Make it do only what undoes upgrade().',
      },
    };
  }
  if (exception === 'CompileError' && /no name/i.test(failure?.message ?? '')) {
    return {
      kind: 'unnamed-constraint',
      suggestion: {
        text: "downgrade() drops a constraint it does not name: autogenerate writes op.drop_constraint(None, ...) for a constraint that was created without a name. Pass the name Postgres gave it (<table>_<columns>_key, _fkey, _check; `\\d table` in psql shows it), and give the models' MetaData a naming_convention so that new constraints get names.",
        code: 'op.drop_constraint("users_email_key", "users", type_="unique")  # the name Postgres gave it',
      },
    };
  }
  if (exception === 'NotImplementedError') {
    return {
      kind: 'irreversible',
      suggestion: {
        text: 'Nothing to fix if the change is meant to be one-way: going back means restoring a backup. If it can be undone, write the inverse operations in downgrade().',
      },
    };
  }
  if (sqlstate.startsWith('23')) return { kind: 'rows', suggestion: { text: rowsFix(sqlstate) } };
  if (sqlstate.startsWith('22')) {
    return {
      kind: 'conversion',
      suggestion: {
        text: 'The downgrade converts values back to a type that cannot hold all of them (values written after the upgrade). Map them in downgrade() first: UPDATE them, or give alter_column a postgresql_using expression that converts every value.',
      },
    };
  }
  if (['42P01', '42703', '42704', '3F000'].includes(sqlstate)) {
    return {
      kind: 'missing-object',
      suggestion: {
        text: 'downgrade() refers to a table, column, index or constraint that is not there at that point: it undoes something upgrade() did not do, under another name, or in another order. Make downgrade() the exact inverse of upgrade(), in reverse order.',
      },
    };
  }
  if (sqlstate === '2BP01') {
    return {
      kind: 'dependents',
      suggestion: {
        text: 'Other objects (views, foreign keys, indexes) depend on what downgrade() drops: drop or re-create them first, in downgrade(), rather than with CASCADE.',
      },
    };
  }
  return {
    kind: 'other',
    suggestion: { text: 'Fix downgrade() so that it runs on a database that holds rows.' },
  };
}

/** Constraint violations: the rows written while the upgrade was in force do not fit the old schema. */
function rowsFix(sqlstate: string): string {
  const handle: Record<string, string> = {
    '23502':
      'fill the NULLs of the column before it becomes NOT NULL again (op.execute("UPDATE ... SET col = ... WHERE col IS NULL"))',
    '23505': 'remove or merge the duplicate rows before the unique constraint or index comes back',
    '23503':
      'delete the rows that point nowhere (or re-create their parents) before the foreign key comes back',
    '23514': 'fix the rows that break the CHECK constraint before it comes back',
  };
  return `The downgrade restores a constraint that rows written after the upgrade violate (the replay's synthetic rows do). Handle those rows in downgrade() first: ${handle[sqlstate] ?? 'make them fit the constraint'}. Downgrades run on production data, not on an empty database.`;
}
