// Replaying the change the way production meets it: upgrade a throwaway
// database to the base frontier, snapshot it, fill every table with rows,
// then apply each new revision as its own step, capturing each statement
// with the revision line that emitted it, its locks and rewrites. When a
// revision fails there, the same revisions are replayed on an empty copy of
// the base: if they pass, the rows were the problem (fails-on-existing-rows).
import { isDeepStrictEqual } from 'node:util';
import type { Bridge } from '../alembic/bridge.ts';
import { RevisionTimeout } from '../alembic/bridge.ts';
import { explainBridgeError } from '../alembic/project.ts';
import type { BridgeStatement, ConfigureSummary, MigrationFailure, RunResult } from '../alembic/protocol.ts';
import { newClient } from '../database/client.ts';
import type { DatabaseProvider, ThrowawayDatabase } from '../database/provider.ts';
import type { Statement } from '../model.ts';
import { introspect } from '../schema/introspect.ts';
import type { Schema } from '../schema/types.ts';
import { mayFailOnRows, sameRevisions, type ReplayPlan } from './plan.ts';
import { buildBase, rebuildBase, type BaseBuild, type BaseSource } from './base.ts';
import { versionRows, type BaseCache } from './base-cache.ts';
import type { EarlyBase } from './early-base.ts';
import { removeSeededRows, seedDatabase, type SeedFailure, type SeedUndo } from './seed.ts';

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
  /** Extensions the provider created in every database (see database/access.ts). */
  extensions: string[];
  log: (line: string) => void;
}

export interface ReplaySettings {
  seedRows: number;
  seedSql: string | undefined;
  /** How the database at the base is built. */
  base: BaseSource;
  /**
   * Work on the base frontier as it is before it gets rows (the baseline),
   * started as soon as the base exists and run alongside the seeding and the
   * replay; the database it is given is not changed until the promise
   * settles. It must not reject.
   */
  atBase?: (
    base: ThrowawayDatabase,
    schema: Schema,
    configure: RunResult['configure'],
    copies: BaseCopies,
  ) => Promise<void>;
  /**
   * The purposes of the further copies of the base atBase takes. On a cache
   * hit they are restored from the entry with the base and handed to atBase,
   * so that no CREATE DATABASE … TEMPLATE holds up the database the replay
   * goes on with; otherwise atBase gets none and copies the base itself.
   */
  baseCopies?: readonly string[];
  /**
   * Work for the project's Python while the base is copied and gets its rows
   * (which needs none): the bridge is idle then, and the replay's next call
   * waits for it. It must not reject.
   */
  whileSeeding?: () => Promise<void>;
  /** The warm base: restored from here on a hit, saved here after a replay. */
  cache?: BaseCache | null;
  /** The entry restored while the project opened, used if it is the cache's (see early-base.ts). */
  early?: Promise<EarlyBase | null>;
}

/** A database at the head of the change, with its schema. */
export interface HeadState {
  database: ThrowawayDatabase;
  schema: Schema;
  /** True when this is the replay without rows (the one with rows failed). */
  withoutRows: boolean;
}

export interface Replay {
  /** The upgrade to the base frontier (on the database with rows). */
  frontier: UpgradeOutcome;
  /** How the base was built (replay, models, schema), and what failed on the way. */
  base: BaseBuild;
  /** Schema at the base frontier, before seeding; null if the base could not be built. */
  baseSchema: Schema | null;
  /** Rows per "schema.table" at the base after seeding. */
  baseRows: Record<string, number>;
  seedFailures: SeedFailure[];
  /** The new revisions applied to the database with rows. */
  withRows: UpgradeOutcome;
  /** The same, on an empty copy of the base (only when the replay with rows failed). */
  withoutRows: UpgradeOutcome | null;
  /** Where the migrated head is; null when no replay reached it. */
  head: HeadState | null;
  /**
   * env.py ran without error but never ran the migrations (no context.configure(), no step):
   * an env.py that migrates each tenant schema it finds, say, on a database that has none.
   */
  noMigrationsRan: boolean;
  /**
   * The base without rows, untouched, when the replay with rows passed (the
   * data checks work on it; whoever takes it drops it): the copy made before
   * the rows, or on a cache hit restored from the entry when first asked
   * (null when it does not restore), the same however often asked. Null
   * when there is none.
   */
  baseWithoutRows: (() => Promise<ThrowawayDatabase | null>) | null;
}

/** "schema.table" of Alembic's version table, as env.py configured it. */
export function versionTableKey(configure: RunResult['configure']): string {
  return `${configure?.versionTableSchema ?? 'public'}.${configure?.versionTable ?? 'alembic_version'}`;
}

export function emptyOutcome(): UpgradeOutcome {
  return { steps: new Map(), failure: null, timedOut: null, preamble: [], configure: null };
}

export function failed(outcome: UpgradeOutcome): boolean {
  return outcome.failure !== null || outcome.timedOut !== null;
}

/** Upgrades (or downgrades) a database; with capture, one step record per revision. */
export async function migrate(
  context: ReplayContext,
  command: 'upgrade' | 'downgrade' | 'stamp',
  database: ThrowawayDatabase,
  targets: string[],
  capture: boolean,
  /** Roll the upgrade back at the end (the data checks replay the same base again and again). */
  rollback = false,
): Promise<UpgradeOutcome> {
  const outcome = emptyOutcome();
  if (targets.length === 0) return outcome;
  try {
    const result = await context.bridge.call(
      command,
      {
        url: database.url,
        expect: { name: database.name, token: database.token },
        targets,
        capture,
        urlEnv: context.urlEnv,
        ...(context.extensions.length === 0 ? {} : { extensions: context.extensions }),
        ...(rollback ? { rollback } : {}),
      },
      (event) => {
        if (event.event === 'step-end') {
          outcome.steps.set(event.revision, {
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
    if (!(error instanceof RevisionTimeout)) throw explainBridgeError(error, context.python);
    outcome.timedOut = error;
    // The watchdog killed the child; later stages get a fresh one.
    await context.bridge.restart();
  }
  return outcome;
}

export async function replayChange(
  context: ReplayContext,
  plan: ReplayPlan,
  settings: ReplaySettings,
): Promise<Replay> {
  const { provider, log } = context;
  const cache = settings.base.from.kind === 'replay' ? (settings.cache ?? null) : null;
  const restored = await restoreBase(context, plan, cache, settings.baseCopies ?? [], settings.early);
  const base =
    restored ?? (await buildBase(context, plan, await provider.createDatabase('rows'), settings.base));
  const rows = base.database;
  const frontier = base.outcome;
  const replay: Replay = {
    frontier,
    base,
    baseSchema: null,
    baseRows: {},
    seedFailures: [],
    withRows: emptyOutcome(),
    withoutRows: null,
    head: null,
    noMigrationsRan: false,
    baseWithoutRows: null,
  };
  if (base.unavailable !== null || failed(frontier)) return replay;

  const baseSchema = restored?.schema ?? (await introspect(rows.url));
  replay.baseSchema = baseSchema;
  const targets = plan.replayed.length === 0 ? [] : plan.heads;
  // The base without rows, for the replay without them should the one with
  // rows fail: restored from the cache only when nothing better is at hand.
  const restoreEmpty = targets.length === 0 ? null : (restored?.withoutRows ?? null);
  // The models database meanwhile: the project's Python has nothing else to do.
  const meanwhile = settings.whileSeeding?.() ?? Promise.resolve();
  // A copy of the base before it gets rows: after a replay (the cache's dump
  // is taken from it), and on a restored base when a revision may fail on rows
  // (cheaper than taking the rows out again, and made while the models are built).
  const emptyBase =
    targets.length > 0 && (restored === null || mayFailOnRows(plan))
      ? await copyDatabase(context, rows, 'empty')
      : null;
  // Else, on a restored base, the seeded rows can usually be taken out again
  // (see unseeded); where they cannot, the base without rows is restored beside
  // it when a revision may fail on rows, for the replay without rows to find ready.
  const undoable = restored !== null && emptyBase === null && settings.seedSql === undefined;
  if (restored !== null && emptyBase === null && !undoable && mayFailOnRows(plan)) void restoreEmpty?.();
  // A replayed base goes to the cache before anything changes it (on a miss, a
  // cold run's cost): dumped from the copy while the base gets its rows, or
  // from the base before them when there is no copy.
  const saved =
    cache !== null && restored === null && base.method === 'replay' && base.replayFailure === null
      ? cache.save(provider, emptyBase ?? rows, frontier.configure)
      : Promise.resolve();
  if (emptyBase === null) await saved;
  // On the unseeded copy it runs alongside (once the dump has let go of it);
  // without one, on the base itself before the rows.
  const atBase = saved.then(
    () =>
      settings.atBase?.(emptyBase ?? rows, baseSchema, frontier.configure, restored?.copies ?? new Map()) ??
      null,
  );
  if (emptyBase === null) await atBase;
  const versionTable = versionTableKey(frontier.configure);
  log(`filling the ${Object.keys(replay.baseSchema.tables).length} base tables with rows …`);
  const [seeded] = await Promise.all([
    seedDatabase(rows.url, replay.baseSchema, settings.seedRows, {
      seedSql: settings.seedSql,
      versionTable,
      undoable,
    }),
    meanwhile,
  ]);
  replay.baseRows = seeded.rows;
  replay.seedFailures = seeded.failures;
  const seededTables = Object.values(seeded.rows).filter((n) => n > 0).length;
  log(`seeded ${seededTables} of ${Object.keys(seeded.rows).length} base tables with rows`);

  replay.withRows = await migrate(context, 'upgrade', rows, targets, true);
  await atBase;
  if (targets.length > 0 && !failed(replay.withRows) && replay.withRows.steps.size === 0) {
    replay.noMigrationsRan = replay.withRows.configure === null;
    if (replay.noMigrationsRan) {
      if (emptyBase !== null) await provider.dropDatabase(emptyBase);
      return replay;
    }
  }
  if (!failed(replay.withRows)) {
    replay.baseWithoutRows = emptyBase === null ? restoreEmpty : () => Promise.resolve(emptyBase);
    replay.head = { database: rows, schema: await introspect(rows.url), withoutRows: false };
    return replay;
  }

  log('a revision failed with rows in the tables: applying the same revisions to the base without rows');
  let empty =
    emptyBase ??
    (await unseeded(rows, baseSchema, frontier.configure, seeded.undo, plan.frontier, log)) ??
    (await restoreEmpty?.()) ??
    null;
  if (empty === null) {
    const rebuilt = await rebuildBase(
      context,
      plan,
      await provider.createDatabase('empty'),
      base,
      settings.base,
    );
    empty = rebuilt.database;
    if (failed(rebuilt.outcome)) {
      replay.withoutRows = rebuilt.outcome;
      return replay;
    }
  }
  replay.withoutRows = await migrate(context, 'upgrade', empty, targets, true);
  if (!failed(replay.withoutRows)) {
    replay.head = { database: empty, schema: await introspect(empty.url), withoutRows: true };
  }
  return replay;
}

/**
 * The base with rows as the base without them, when the upgrade that failed
 * on the rows left it at the base (the version table at the frontier, the
 * schema as before) and the seeded rows come out again (removeSeededRows):
 * no database to restore. Null when not.
 */
async function unseeded(
  rows: ThrowawayDatabase,
  baseSchema: Schema,
  configure: ConfigureSummary | null,
  undo: SeedUndo | null,
  frontier: readonly string[],
  log: (line: string) => void,
): Promise<ThrowawayDatabase | null> {
  if (undo === null) return null;
  // The three at once (each its own connection): when the first two say no, the
  // rows come out of a database no one uses any more.
  const [atFrontier, sameSchema, removed] = await Promise.all([
    versionAt(rows, configure, frontier),
    introspect(rows.url).then(
      (schema) => isDeepStrictEqual(schema, baseSchema),
      () => false,
    ),
    removeSeededRows(rows.url, undo).catch(() => false),
  ]);
  if (!atFrontier || !sameSchema || !removed) return null;
  log('the seeded rows taken out again: the base without rows is the same database');
  return rows;
}

/** Whether the version table holds exactly the frontier. */
async function versionAt(
  database: ThrowawayDatabase,
  configure: ConfigureSummary | null,
  frontier: readonly string[],
): Promise<boolean> {
  const client = newClient({ connectionString: database.url });
  try {
    await client.connect();
    return sameRevisions(await versionRows(client, configure), frontier);
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Databases at the base made for atBase, by purpose; null where none could be made. */
export type BaseCopies = ReadonlyMap<string, Promise<ThrowawayDatabase | null>>;

/**
 * On a cache hit, the base restored into a fresh database (and, when the
 * revisions may need it, a way to restore it into a second one: the base
 * without rows); null when the replay must run. The copies asked for are
 * restored alongside, without holding up the replay.
 */
export async function restoreBase(
  context: ReplayContext,
  plan: ReplayPlan,
  cache: BaseCache | null,
  copyPurposes: readonly string[],
  early: Promise<EarlyBase | null> = Promise.resolve(null),
): Promise<
  | (BaseBuild & {
      withoutRows: (() => Promise<ThrowawayDatabase | null>) | null;
      copies: BaseCopies;
      /** The base's schema, introspected while the project opened (null: not yet). */
      schema: Schema | null;
    })
  | null
> {
  if (cache === null || plan.frontier.length === 0 || !(await cache.available())) return null;
  const { provider } = context;
  const copyDatabases = copyPurposes.map((purpose) => provider.createDatabase(purpose).catch(() => null));
  // The base without rows only when asked for (replayChange asks at once when it
  // will likely be needed): as costly as the base, and most reviews never need it.
  let restoring: Promise<ThrowawayDatabase | null> | undefined;
  const restoredEarly = await (await early)?.take(cache, context.log);
  const database = restoredEarly?.database ?? (await provider.createDatabase('rows'));
  const restored = restoredEarly ?? (await cache.restore(database));
  if (restored !== null) {
    const withoutRows =
      plan.replayed.length === 0 ? null : () => (restoring ??= restoreWithoutRows(provider, cache));
    // Restored after the base, not competing with it: the replay goes on meanwhile.
    const copies = new Map(
      copyPurposes.map((purpose, i) => [
        purpose,
        cache.copyInto(provider, copyDatabases[i] ?? Promise.resolve(null)),
      ]),
    );
    const outcome = { ...emptyOutcome(), configure: restored.configure };
    return {
      method: 'replay',
      database,
      outcome,
      replayFailure: null,
      unavailable: null,
      withoutRows,
      copies,
      schema: restoredEarly?.schema ?? null,
    };
  }
  // A half-restored database is never the base: dropped, and the replay gets a fresh one.
  const created = [database, (await restoring) ?? null, ...(await Promise.all(copyDatabases))];
  await Promise.all(created.flatMap((d) => (d === null ? [] : [provider.dropDatabase(d)])));
  return null;
}

/** The base without rows, restored from the entry into a database of its own; null when it did not restore. */
function restoreWithoutRows(
  provider: ReplayContext['provider'],
  cache: BaseCache,
): Promise<ThrowawayDatabase | null> {
  return cache.copyInto(provider, provider.createDatabase('empty'));
}

/**
 * A copy of a database (CREATE DATABASE … TEMPLATE), or null when Postgres
 * refuses because a connection to it is still open (an env.py whose engine
 * keeps a pool): then the caller rebuilds it the slow way.
 */
async function copyDatabase(
  context: ReplayContext,
  source: ThrowawayDatabase,
  purpose: string,
): Promise<ThrowawayDatabase | null> {
  try {
    return await context.provider.createDatabase(purpose, source);
  } catch {
    return null;
  }
}

/** The revisions that ran after the base, on the replay that reached the head, parents first. */
export function appliedAfterBase(replay: Replay, plan: ReplayPlan): ReplayPlan['replayed'] {
  const steps = replay.head?.withoutRows === true ? replay.withoutRows?.steps : replay.withRows.steps;
  return plan.replayed.filter((r) => steps?.has(r.id) === true);
}

/**
 * The change's revisions the review reports on: the new ones, and the edited
 * ones that ran again (on a base made from the models or a dump they do not).
 */
export function reviewedRevisions(replay: Replay, plan: ReplayPlan): ReplayPlan['reviewed'] {
  const ran = (id: string): boolean =>
    replay.withRows.steps.has(id) ||
    replay.withRows.failure?.revision === id ||
    replay.withoutRows?.steps.has(id) === true;
  const isNew = new Set(plan.newRevisions.map((r) => r.id));
  return plan.reviewed.filter((r) => isNew.has(r.id) || ran(r.id));
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
    ...(statement.error === undefined
      ? {}
      : {
          error: {
            message: statement.error.message,
            ...(statement.error.sqlstate === undefined ? {} : { sqlstate: statement.error.sqlstate }),
          },
        }),
  };
}

export interface RevisionRun {
  statements: BridgeStatement[];
  /**
   * Its upgrade ran without error: with rows, or — for the revisions after
   * one that failed with rows — on the base without rows.
   */
  applied: boolean;
  durationMs: number;
  lockTimeout: string | null;
}

/**
 * What a new revision ran. Revisions applied with rows show that run; the one
 * that failed there (and those after it) show the complete run without rows
 * when there is one, with the failing statement marked.
 */
export function revisionRun(replay: Replay, id: string): RevisionRun {
  const withRows = replay.withRows.steps.get(id);
  if (withRows !== undefined) {
    return {
      statements: withRows.statements,
      applied: true,
      durationMs: withRows.durationMs,
      lockTimeout: withRows.lockTimeout,
    };
  }
  const failure = replay.withRows.failure?.revision === id ? replay.withRows.failure : null;
  const withoutRows = replay.withoutRows?.steps.get(id) ?? null;
  if (withoutRows !== null) {
    const failing = failure?.statement ?? null;
    const statements = withoutRows.statements.map((s) =>
      failing !== null &&
      failing.error !== undefined &&
      s.line === failing.line &&
      s.sql.trim() === failing.sql.trim()
        ? { ...s, error: failing.error }
        : s,
    );
    return {
      statements,
      applied: failure === null,
      durationMs: withoutRows.durationMs,
      lockTimeout: withoutRows.lockTimeout,
    };
  }
  if (failure !== null) {
    const statements =
      failure.statement === null ? failure.statements : [...failure.statements, failure.statement];
    return { statements, applied: false, durationMs: 0, lockTimeout: null };
  }
  return { statements: [], applied: false, durationMs: 0, lockTimeout: null };
}
