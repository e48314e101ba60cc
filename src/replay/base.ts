// The database at the base of the change, built one of three ways:
//  - replay: upgrade an empty database through the history to the base
//    frontier (the default);
//  - models: the base commit's own models create_all()'d, then stamped with
//    the base heads — the Alembic cookbook's way of making fresh databases,
//    for histories that cannot be replayed from empty;
//  - schema: a `pg_dump --schema-only` file applied (without psql), stamped
//    with the base heads when its version table says nothing.
// With replay, a revision the change did not add that fails is not the
// change's fault: the base is then built from the models instead, with a notice.
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { finding } from '../checks/finding.ts';
import { reviewIncomplete } from '../checks/runtime.ts';
import { createFlaskApp } from '../alembic/project.ts';
import { errorMessage, UsageError } from '../errors.ts';
import type { Finding } from '../model.ts';
import type { ThrowawayDatabase } from '../database/provider.ts';
import type { BaseFrom } from '../options.ts';
import { isBaseTree, type BaseTree, type BaseTreeUnavailable } from './base-tree.ts';
import type { ReplayPlan } from './plan.ts';
import { emptyOutcome, failed, migrate, type ReplayContext, type UpgradeOutcome } from './replay.ts';

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
}

export interface BaseSource {
  from: BaseFrom;
  /** The base commit's code (for models). */
  baseTree: Promise<BaseTree | BaseTreeUnavailable>;
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
    return { method, database, outcome: built.outcome, replayFailure: null, unavailable: built.unavailable };
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
    database: fresh,
    outcome: models.unavailable === null ? models.outcome : outcome,
    replayFailure: outcome,
    unavailable: models.unavailable,
  };
}

/** The base built again the same way (the empty copy, when a template copy is not possible). */
export async function rebuildBase(
  context: ReplayContext,
  plan: ReplayPlan,
  database: ThrowawayDatabase,
  built: BaseBuild,
  source: BaseSource,
): Promise<UpgradeOutcome> {
  const again = await buildWith(context, plan, database, {
    ...source,
    from: sourceFor(built.method, source),
  });
  return again.outcome;
}

function sourceFor(method: BaseMethod, source: BaseSource): BaseFrom {
  if (method === source.from.kind) return source.from;
  return method === 'schema' ? source.from : { kind: method };
}

interface Built {
  outcome: UpgradeOutcome;
  unavailable: string | null;
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
  if (from.kind === 'models') return fromModels(context, plan, database, source.baseTree);
  return fromSchema(context, plan, database, from.file);
}

function failureText(outcome: UpgradeOutcome): string {
  const failure = outcome.failure;
  if (failure !== null) return `revision ${failure.revision ?? '?'} failed: ${failure.message}`;
  return outcome.timedOut?.message ?? 'unknown error';
}

/** create_all() of the base commit's models, then `alembic stamp` of the base heads. */
async function fromModels(
  context: ReplayContext,
  plan: ReplayPlan,
  database: ThrowawayDatabase,
  baseTree: Promise<BaseTree | BaseTreeUnavailable>,
): Promise<Built> {
  const tree = await baseTree;
  if (!isBaseTree(tree)) return notBuilt(`the base commit's code is not available (${tree.unavailable})`);
  try {
    await createFlaskApp(tree.bridge, tree.load, context.provider, context.urlEnv, context.python);
  } catch (error) {
    return notBuilt(`the base commit's Flask app cannot be created: ${errorMessage(error)}`);
  }
  const result = await tree.bridge.call('models', {
    url: database.url,
    expect: { name: database.name, token: database.token },
    urlEnv: context.urlEnv,
  });
  if (!result.hasMetadata) return notBuilt('env.py at the base commit passes no target_metadata');
  if (typeof result.error === 'string') return notBuilt(result.error);
  const known = new Set(tree.load.revisions.map((r) => r.id));
  const missing = plan.baseHeads.filter((id) => !known.has(id));
  if (missing.length > 0) {
    return notBuilt(`the base commit's history has no revision ${missing.join(', ')} to stamp`);
  }
  const stamp = await migrate({ ...context, bridge: tree.bridge }, 'stamp', database, plan.baseHeads, false);
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
  const client = new pg.Client({ connectionString: database.url });
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
  if (replayed !== null) {
    return [
      finding({
        ruleId: 'base-from-models',
        message: `${why}The base was built from the base commit's models instead (metadata.create_all() and alembic stamp of the base heads, the way such projects make fresh databases); the change's revisions were then applied to it as usual. Set base = "models" in [tool.alembic-review] to skip the replay.`,
      }),
    ];
  }
  return [];
}
