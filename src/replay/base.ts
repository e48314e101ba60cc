// The database at the base of the change, built one of three ways:
//  - replay: upgrade an empty database through the history to the base
//    frontier (the default);
//  - models: the base commit's own models create_all()'d, then stamped with
//    the base heads — the Alembic cookbook's way of making fresh databases,
//    for histories that cannot be replayed from empty; when the change edits
//    applied revisions, the models of the last commit before them, stamped
//    with the frontier below them, so that the edited revisions run again;
//  - schema: a `pg_dump --schema-only` file applied (without psql), stamped
//    with the base heads when its version table says nothing.
// With replay, a revision the change did not add that fails is not the
// change's fault: the base is then built from the models instead, with a notice.
import { readFile } from 'node:fs/promises';
import { finding } from '../checks/finding.ts';
import { reviewIncomplete } from '../checks/runtime.ts';
import { BridgeFailure, RevisionTimeout } from '../alembic/bridge.ts';
import { createFlaskApp } from '../alembic/project.ts';
import { errorMessage, UsageError } from '../errors.ts';
import type { Finding } from '../model.ts';
import type { ThrowawayDatabase } from '../database/provider.ts';
import type { BaseFrom } from '../options.ts';
import { isBaseTree, type BaseTree, type BaseTreeUnavailable } from './base-tree.ts';
import { appliedAboveFrontier, sameRevisions, type ReplayPlan } from './plan.ts';
import { firstFew } from '../render/words.ts';
import { emptyOutcome, failed, migrate, type ReplayContext, type UpgradeOutcome } from './replay.ts';
import { newClient } from '../database/client.ts';

export type BaseMethod = BaseFrom['kind'];

export interface BaseBuild {
  /** How the base was built in the end. */
  method: BaseMethod;
  /** The database at the base; a fresh one when the replay failed and the models were used. */
  database: ThrowawayDatabase;
  /** The last migration command (its env.py configuration); failure set when no method worked. */
  outcome: UpgradeOutcome;
  /** The replay of the history that failed, when the base came from the models instead. */
  replayFailure: UpgradeOutcome | null;
  /** Why the base could not be built at all (the change's revisions were then not applied). */
  unavailable: string | null;
  /** models: how a base below the revisions the change edits was made (else it is past them). */
  below?: BelowEdits;
}

/** A base from models below edited revisions: an older commit's models, or the base's downgraded. */
export type BelowEdits = { commit: string } | { downgraded: string[] };

export interface BaseSource {
  from: BaseFrom;
  /** The base commit's code (for models). */
  baseTree: Promise<BaseTree | BaseTreeUnavailable>;
  /** The code of the commit whose revisions end at the frontier (models below edited revisions); opened once. */
  treeAtFrontier?: () => Promise<BaseTree | BaseTreeUnavailable>;
}

/** Builds the base in database, the way `source` says (falling back from replay to models). */
export async function buildBase(
  context: ReplayContext,
  plan: ReplayPlan,
  database: ThrowawayDatabase,
  source: BaseSource,
): Promise<BaseBuild> {
  const method = source.from.kind;
  if (method !== 'replay') {
    const built = await buildWith(context, plan, database, source);
    return {
      method,
      database: built.database ?? database,
      outcome: built.outcome,
      replayFailure: null,
      unavailable: built.unavailable,
      ...(built.below === undefined ? {} : { below: built.below }),
    };
  }
  const outcome = await migrate(context, 'upgrade', database, plan.frontier, false);
  if (!failed(outcome)) return { method, database, outcome, replayFailure: null, unavailable: null };
  const failing = outcome.failure?.revision ?? outcome.timedOut?.revision ?? null;
  // env.py itself failed or hung (no revision was running): models would not help.
  if (failing === null) return { method, database, outcome, replayFailure: null, unavailable: null };
  // An old revision fails from empty: build the base from the base commit's models.
  context.log(
    `revision ${failing} of the base history fails on an empty database: building the base from the base commit's models (create_all + stamp)`,
  );
  await context.provider.dropDatabase(database);
  const fresh = await context.provider.createDatabase('rows');
  const models = await buildWith(context, plan, fresh, { ...source, from: { kind: 'models' } });
  return {
    method: 'models',
    database: models.database ?? fresh,
    outcome: models.unavailable === null ? models.outcome : outcome,
    replayFailure: outcome,
    unavailable: models.unavailable,
    ...(models.below === undefined ? {} : { below: models.below }),
  };
}

/** The base built again the same way (the empty copy, when a template copy is not possible); the database it is in. */
export async function rebuildBase(
  context: ReplayContext,
  plan: ReplayPlan,
  database: ThrowawayDatabase,
  built: BaseBuild,
  source: BaseSource,
): Promise<{ outcome: UpgradeOutcome; database: ThrowawayDatabase }> {
  const again = await buildWith(context, plan, database, {
    ...source,
    from: sourceFor(built.method, source),
  });
  return { outcome: again.outcome, database: again.database ?? database };
}

function sourceFor(method: BaseMethod, source: BaseSource): BaseFrom {
  if (method === source.from.kind) return source.from;
  return method === 'schema' ? source.from : { kind: method };
}

interface Built {
  outcome: UpgradeOutcome;
  unavailable: string | null;
  below?: BelowEdits;
  /** The database it is in, when not the one given (which is then dropped). */
  database?: ThrowawayDatabase;
}

function notBuilt(reason: string): Built {
  const outcome = emptyOutcome();
  return { outcome, unavailable: reason };
}

async function buildWith(
  context: ReplayContext,
  plan: ReplayPlan,
  database: ThrowawayDatabase,
  source: BaseSource,
): Promise<Built> {
  const from = source.from;
  if (from.kind === 'replay') {
    const outcome = await migrate(context, 'upgrade', database, plan.frontier, false);
    return { outcome, unavailable: failed(outcome) ? failureText(outcome) : null };
  }
  if (from.kind === 'models') return fromModels(context, plan, database, source);
  return fromSchema(context, plan, database, from.file);
}

function failureText(outcome: UpgradeOutcome): string {
  const failure = outcome.failure;
  if (failure !== null) return `revision ${failure.revision ?? '?'} failed: ${failure.message}`;
  return outcome.timedOut?.message ?? 'unknown error';
}

/**
 * create_all() of the base commit's models, then `alembic stamp` of the base
 * heads. Below revisions the change edits (the frontier): the models of the
 * commit whose revisions end at the frontier, stamped with it; else the base
 * commit's, downgraded to the frontier by the change's own versions of the
 * revisions above it (in a copy: a downgrade that fails leaves the base past
 * them, said in the progress output).
 */
async function fromModels(
  context: ReplayContext,
  plan: ReplayPlan,
  database: ThrowawayDatabase,
  source: BaseSource,
): Promise<Built> {
  const below = plan.frontier.length > 0 && !sameRevisions(plan.frontier, plan.baseHeads);
  if (below && source.treeAtFrontier !== undefined) {
    const atFrontier = await source.treeAtFrontier();
    let why: string;
    if (isBaseTree(atFrontier)) {
      const where = `commit ${atFrontier.commit.slice(0, 7)}`;
      const built = await createAndStamp(context, plan.frontier, database, atFrontier, where).catch(
        oldCodeFailure,
      );
      if (built.unavailable === null) return { ...built, below: { commit: atFrontier.commit } };
      why = built.unavailable;
    } else {
      why = atFrontier.unavailable;
    }
    context.log(
      `the models of the commit before the edited revisions do not give the base below them (${why}): the base commit's models, downgraded`,
    );
  }
  const tree = await source.baseTree;
  if (!isBaseTree(tree)) return notBuilt(`the base commit's code is not available (${tree.unavailable})`);
  const built = await createAndStamp(context, plan.baseHeads, database, tree, 'the base commit');
  if (!below || built.unavailable !== null) return built;
  return (await downgradedToFrontier(context, plan, database, tree)) ?? built;
}

/** A copy of the base at the base heads, downgraded to the frontier; null (the copy dropped) when that fails. */
async function downgradedToFrontier(
  context: ReplayContext,
  plan: ReplayPlan,
  database: ThrowawayDatabase,
  tree: BaseTree,
): Promise<Built | null> {
  const known = new Set(tree.load.revisions.map((r) => r.id));
  // Children first (those the base commit has).
  const steps = appliedAboveFrontier(plan)
    .filter((r) => known.has(r.id))
    .map((r) => r.id)
    .reverse();
  let copy: ThrowawayDatabase;
  try {
    copy = await context.provider.createDatabase('rows', database);
  } catch {
    return null;
  }
  // The change's own downgrades: it edits these revisions, and the base commit's versions are
  // what it fixes (a downgrade that added a server default its upgrade no longer removes, say).
  const down = await migrate(context, 'downgrade', copy, steps, false);
  if (failed(down)) {
    context.log(
      `downgrading the base to below the edited revisions failed (${failureText(down)}): the base is past them`,
    );
    await context.provider.dropDatabase(copy).catch(() => undefined);
    return null;
  }
  await context.provider.dropDatabase(database).catch(() => undefined);
  return { outcome: down, unavailable: null, below: { downgraded: steps }, database: copy };
}

/** An older commit's code that fails (a dependency moved on since): that route is closed, the review goes on. */
function oldCodeFailure(error: unknown): Built {
  if (error instanceof BridgeFailure && error.kind === 'unsafe-database') throw error;
  if (!(error instanceof BridgeFailure) && !(error instanceof RevisionTimeout)) throw error;
  return notBuilt(error.message);
}

async function createAndStamp(
  context: ReplayContext,
  heads: readonly string[],
  database: ThrowawayDatabase,
  tree: BaseTree,
  where: string,
): Promise<Built> {
  try {
    await createFlaskApp(tree.bridge, tree.load, context.provider, context.urlEnv, context.python);
  } catch (error) {
    return notBuilt(`the Flask app of ${where} cannot be created: ${errorMessage(error)}`);
  }
  const result = await tree.bridge.call('models', {
    url: database.url,
    expect: { name: database.name, token: database.token },
    urlEnv: context.urlEnv,
  });
  if (!result.hasMetadata) return notBuilt(`env.py at ${where} passes no target_metadata`);
  if (typeof result.error === 'string') return notBuilt(result.error);
  const known = new Set(tree.load.revisions.map((r) => r.id));
  const missing = heads.filter((id) => !known.has(id));
  if (missing.length > 0) {
    return notBuilt(`the history of ${where} has no revision ${missing.join(', ')} to stamp`);
  }
  const stamp = await migrate({ ...context, bridge: tree.bridge }, 'stamp', database, [...heads], false);
  return {
    outcome: stamp,
    unavailable: failed(stamp) ? `alembic stamp failed: ${failureText(stamp)}` : null,
  };
}

/** psql's meta-commands and what a pg_dump carries that belongs to another server (owners, grants). */
export function schemaDumpSql(dump: string): string {
  return (
    dump
      .split('\n')
      .filter((line) => {
        const text = line.trim();
        if (text.startsWith('\\')) return false; // \connect, \restrict, \unrestrict, ...
        if (/^ALTER\s.+\sOWNER TO\s/i.test(text)) return false;
        if (/^(GRANT|REVOKE)\s/i.test(text)) return false;
        if (/^SET transaction_timeout\b/i.test(text)) return false; // pg_dump 17+, unknown to older servers
        if (/^COMMENT ON EXTENSION\s/i.test(text)) return false;
        if (/^CREATE SCHEMA public;$/i.test(text)) return false;
        return true;
      })
      // The tenant schema (tenant-schema) is in every database already.
      .map((line) => line.replace(/^CREATE SCHEMA (?!IF NOT EXISTS )/i, 'CREATE SCHEMA IF NOT EXISTS '))
      .join('\n')
  );
}

async function fromSchema(
  context: ReplayContext,
  plan: ReplayPlan,
  database: ThrowawayDatabase,
  file: string,
): Promise<Built> {
  let dump: string;
  try {
    dump = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError('project', `base: cannot read the schema file ${file}: ${(error as Error).message}`);
  }
  const client = newClient({ connectionString: database.url });
  await client.connect();
  let stamped: boolean;
  try {
    await client.query(schemaDumpSql(dump));
    // The database's own path: the tenant schema first, with tenant-schema.
    await client.query('RESET search_path');
    const exists = await client.query<{ found: boolean }>(
      "SELECT to_regclass('alembic_version') IS NOT NULL AS found",
    );
    stamped =
      exists.rows[0]?.found === true &&
      (await client.query('SELECT 1 FROM alembic_version LIMIT 1')).rows.length > 0;
  } catch (error) {
    throw new UsageError(
      'project',
      `base: the schema file ${file} does not apply to an empty PostgreSQL database: ${(error as Error).message}. It must be the output of pg_dump --schema-only (psql meta-commands, owners and grants are skipped).`,
    );
  } finally {
    await client.end();
  }
  if (!stamped) {
    const stamp = await migrate(context, 'stamp', database, plan.baseHeads, false);
    if (failed(stamp)) return { outcome: stamp, unavailable: `alembic stamp failed: ${failureText(stamp)}` };
  }
  // A dump taken at an older revision is brought up to the base; at the base this runs nothing.
  const outcome = await migrate(context, 'upgrade', database, plan.baseHeads, false);
  return { outcome, unavailable: failed(outcome) ? failureText(outcome) : null };
}

/** Notices about how the base was built: an old revision's failure is never the change's error. */
export function baseFindings(
  built: BaseBuild,
  pathOf: (id: string | null) => string | undefined,
  relative: (file: string) => string,
): Finding[] {
  const replayed = built.replayFailure;
  const why =
    replayed === null
      ? ''
      : (() => {
          const revision = replayed.failure?.revision ?? replayed.timedOut?.revision ?? null;
          const file = pathOf(revision);
          return `The base history cannot be replayed from an empty database: revision ${revision ?? '?'}${file === undefined ? '' : ` (${relative(file)})`} ${replayed.failure === null ? `did not finish: ${failureText(replayed)}` : `fails: ${replayed.failure.message}`}. That revision is not part of the change, so it is not reported as the change's error. `;
        })();
  if (built.unavailable !== null) {
    return [
      reviewIncomplete(
        `${why}The database at the base could not be built${built.method === 'replay' ? '' : ` from ${built.method === 'models' ? "the base commit's models" : 'the schema file'}`} (${built.unavailable}), so the change's revisions were not applied and nothing that needs a database was checked.${built.method === 'replay' ? '' : ' Set base = "schema:FILE" in [tool.alembic-review] to start from a pg_dump --schema-only file.'}`,
      ),
    ];
  }
  // Below the revisions the change edits, so that the edits run again as fresh databases will run them.
  const below =
    built.below === undefined
      ? null
      : 'commit' in built.below
        ? `the models of commit ${built.below.commit.slice(0, 7)}, the last before the revisions the change edits were added (metadata.create_all() and alembic stamp of the revisions below them), so that the edited revisions ran again as fresh databases will run them`
        : `the base commit's models, downgraded through ${firstFew(built.below.downgraded, 3)} (the change's versions of their downgrade()) to below the revisions the change edits, so that the edited revisions ran again as fresh databases will run them; a schema these downgrades leave differently from the one production databases at that revision have makes findings on the edited revisions that those databases would not meet`;
  if (replayed !== null) {
    return [
      finding({
        ruleId: 'base-from-models',
        message: `${why}The base was built from ${below ?? "the base commit's models (metadata.create_all() and alembic stamp of the base heads, the way such projects make fresh databases)"} instead; the change's revisions were then applied to it as usual. Set base = "models" in [tool.alembic-review] to skip the replay.`,
      }),
    ];
  }
  if (below !== null)
    return [finding({ ruleId: 'base-from-models', message: `The base was built from ${below}.` })];
  return [];
}
