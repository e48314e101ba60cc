// The baseline: what is already true at the base commit, computed with the
// same machinery as the review of the pull request — the drift of the base
// commit's models against the base schema (the base frontier, before it gets
// rows), the ORM smoke test of those models there, and the problems of the
// base revision graph. Every finding of the review then gets an origin:
// "base" when the base already has it (matched by rule, kind of change and
// object), else "pr"; base drift the pull request no longer has is what it
// fixes.
import type { Bridge } from '../alembic/bridge.ts';
import { createFlaskApp, explainBridgeError } from '../alembic/project.ts';
import type { ConfigureSummary } from '../alembic/protocol.ts';
import type { ThrowawayDatabase } from '../database/provider.ts';
import { errorMessage } from '../errors.ts';
import type { Finding } from '../model.ts';
import { isBaseTree, type BaseTree, type BaseTreeUnavailable } from '../replay/base-tree.ts';
import { buildModels, modelDrift, ormSmokeTest } from '../replay/models.ts';
import { sameRevisions, type ReplayPlan } from '../replay/plan.ts';
import { migrate, type ReplayContext } from '../replay/replay.ts';
import { findingChange, findingObjects } from '../rules/objects.ts';
import { introspect } from '../schema/introspect.ts';
import type { Schema } from '../schema/types.ts';
import type { KeptBaseline } from './baseline-cache.ts';
import { finding } from './finding.ts';
import { reviewIncomplete } from './runtime.ts';

export interface BaseFindings {
  /** Drift and ORM findings of the base commit's models on the base schema. */
  findings: Finding[];
  /** Why the base could not be reviewed; null when it was. */
  unavailable: string | null;
  durationMs: number;
}

/** Where the base review is kept between runs (./baseline-cache.ts), and a copy of the base on demand. */
export interface Keeping {
  kept: KeptBaseline;
  /** A fresh copy of the base (restored from the warm base): on a hit, made only when the control needs it. */
  copyOfBase: () => Promise<ThrowawayDatabase | null>;
}

/** The running release: the base commit's bridge with its models loaded. */
export interface RunningRelease {
  bridge: Bridge;
  relative: (file: string) => string;
}

/** Runs the base review once the base schema exists (alongside the replay of the new revisions). */
export class BaseReview {
  readonly #tree: Promise<BaseTree | BaseTreeUnavailable>;
  readonly #context: Omit<ReplayContext, 'bridge'>;
  #result: Promise<BaseFindings> | undefined;
  #copy: ThrowawayDatabase | null = null;
  #keeping: Keeping | null = null;
  /** The review came from the cache: no copy of the base was made, and the models are not loaded yet. */
  #fromKept = false;
  #keptCopy: Promise<ThrowawayDatabase | null> | undefined;
  #release: Promise<RunningRelease | string> | undefined;

  readonly #frontier: readonly string[];

  constructor(
    tree: Promise<BaseTree | BaseTreeUnavailable>,
    context: Omit<ReplayContext, 'bridge'>,
    /** Where the base schema given to run() is: the base heads, or below the revisions the change edits. */
    frontier: readonly string[] = [],
  ) {
    this.#tree = tree;
    this.#context = context;
    this.#frontier = frontier;
  }

  /**
   * Reviews the base on a copy of this database (CREATE DATABASE … TEMPLATE),
   * so that the replay goes on at once and the base review runs alongside the
   * rest of the pipeline; resolves as soon as the database given is no longer
   * needed. When no copy can be made (a connection to it is still open), on
   * the database itself, resolving when done. `ready` is a copy being made
   * already (restored from the base cache), taken instead: then it resolves at
   * once, and a copy that does not restore leaves the base review unavailable
   * (copying `database` then would race with the replay). Never rejects.
   */
  async run(
    database: ThrowawayDatabase,
    schema: Schema,
    configure: ConfigureSummary | null,
    ready?: Promise<ThrowawayDatabase | null>,
  ): Promise<void> {
    if (this.#fromKept) return;
    const provider = this.#context.provider;
    if (ready !== undefined) {
      // Restored from the cache with the base: nothing of `database` is needed, and the replay goes on at once.
      this.#result = ready
        .catch(() => null)
        .then((restored) => {
          if (restored === null)
            return {
              findings: [],
              unavailable: 'its copy of the base did not restore from the cache',
              durationMs: 0,
            };
          this.#copy = restored;
          return this.#review(restored, schema, configure);
        });
      return;
    }
    // No base commit to review (--since): no copy either (the caller may be waiting for it).
    const tree = await this.#tree.catch((error: unknown) => ({ unavailable: errorMessage(error) }));
    if (!isBaseTree(tree)) {
      this.#result = Promise.resolve({ findings: [], unavailable: tree.unavailable, durationMs: 0 });
      return;
    }
    const copy = await provider.createDatabase('base', database).catch(() => null);
    if (copy === null) {
      this.#result = this.#review(database, schema, configure);
      await this.#result;
      return;
    }
    // Kept afterwards (the provider drops it at the end): its schema is the base's and it has
    // no rows (the ORM smoke test rolls back), what the deploy-order check's control needs.
    this.#copy = copy;
    this.#result = this.#review(copy, schema, configure);
  }

  /**
   * Keeps the review between runs in `keeping`; when it holds one for this
   * base and commit already, that is the result, and run() does nothing.
   * Before the replay. Whether it was kept.
   */
  keepWith(keeping: Keeping): boolean {
    this.#keeping = keeping;
    const findings = keeping.kept.findings;
    if (findings === null) return false;
    this.#fromKept = true;
    this.#result = Promise.resolve({ findings, unavailable: null, durationMs: 0 });
    return true;
  }

  /** Once the base review is done: its copy of the base, untouched, or null when it had none. */
  async baseCopy(): Promise<ThrowawayDatabase | null> {
    if (this.#fromKept) {
      this.#keptCopy ??= (this.#keeping?.copyOfBase() ?? Promise.resolve(null)).catch(() => null);
      return this.#keptCopy;
    }
    await this.#result;
    return this.#copy;
  }

  /**
   * What the running release's models fail on at the base with the rows of
   * `seeding` (the deploy-order control): kept from an earlier run, else
   * computed on the base review's copy of the base (and kept). Null when
   * there is no copy or `compute` could not tell. `seeding` null: not kept
   * (rows from a seed-sql file, which may change between runs).
   */
  async controlFailures(
    seeding: string | null,
    compute: (control: ThrowawayDatabase) => Promise<string[] | null>,
  ): Promise<ReadonlySet<string> | null> {
    const kept = seeding === null ? null : (this.#keeping?.kept.control(seeding) ?? null);
    if (kept !== null) return kept;
    const copy = await this.baseCopy();
    if (copy === null) return null;
    const failures = await compute(copy);
    if (failures === null) return null;
    if (seeding !== null) this.#keeping?.kept.setControl(seeding, failures);
    return new Set(failures);
  }

  /**
   * The base commit's bridge once its models are loaded there (the running
   * release's models, for the deploy-order check), or why there is none.
   * After a base review from the cache, loaded from an offline run of env.py,
   * else by building them in a database of their own.
   */
  runningRelease(): Promise<RunningRelease | string> {
    this.#release ??= this.#loadRelease();
    return this.#release;
  }

  async #loadRelease(): Promise<RunningRelease | string> {
    const base = await this.result();
    if (base.unavailable !== null) return base.unavailable;
    const tree = await this.#tree.catch((error: unknown) => ({ unavailable: errorMessage(error) }));
    if (!isBaseTree(tree)) return tree.unavailable;
    const release = { bridge: tree.bridge, relative: tree.relative };
    if (!this.#fromKept) return release;
    const context: ReplayContext = { ...this.#context, bridge: tree.bridge };
    try {
      await createFlaskApp(tree.bridge, tree.load, context.provider, context.urlEnv, context.python);
      const offline = await tree.bridge
        .call('metadata', { urlEnv: context.urlEnv })
        .catch(() => ({ hasMetadata: false }));
      if (offline.hasMetadata) return release;
      context.log(
        "baseline: the base commit's env.py gives no target_metadata offline: its models database is built after all",
      );
      const models = await buildModels(context, null, 'base models');
      return models.schema === null
        ? `the base commit's models could not be built (${models.findings[0]?.message ?? 'no target_metadata'})`
        : release;
    } catch (error) {
      return `loading the base commit's models failed: ${errorMessage(explainBridgeError(error, context.python))}`;
    }
  }

  /** Keeps a base review that ran to the end (and what was added to a kept one); whether it wrote. Never throws. */
  async keep(): Promise<boolean> {
    const keeping = this.#keeping;
    if (keeping === null) return false;
    const base = await this.result();
    if (base.unavailable === null) keeping.kept.setFindings(base.findings);
    return keeping.kept.save();
  }

  /** What the base review found (waits for it); unavailable when it never ran (no base schema). */
  async result(): Promise<BaseFindings> {
    return (
      (await this.#result) ?? {
        findings: [],
        unavailable: 'the base schema could not be built',
        durationMs: 0,
      }
    );
  }

  /**
   * The schema of the base commit's heads. When the change edits applied
   * revisions, the replay's base is below them; what main has is the base
   * commit's own revisions applied on top (by its own bridge), so that the
   * drift of an object a later, untouched revision creates counts as main's.
   * Where that fails, the schema given.
   */
  async #atBaseHeads(
    context: ReplayContext,
    tree: BaseTree,
    database: ThrowawayDatabase,
    schema: Schema,
  ): Promise<Schema> {
    if (sameRevisions(tree.load.heads, this.#frontier)) return schema;
    const outcome = await migrate(context, 'upgrade', database, tree.load.heads, false);
    if (outcome.failure !== null || outcome.timedOut !== null) {
      context.log(
        `baseline: the base commit's revisions above ${this.#frontier.join(', ') || 'the empty database'} did not apply (${outcome.failure?.message ?? 'revision-timeout'}): main's drift is taken there`,
      );
      return schema;
    }
    return introspect(database.url);
  }

  async #review(
    database: ThrowawayDatabase,
    schema: Schema,
    configure: ConfigureSummary | null,
  ): Promise<BaseFindings> {
    const started = performance.now();
    const done = (findings: Finding[], unavailable: string | null): BaseFindings => ({
      findings: findings.map((f) => ({ ...f, origin: 'base' })),
      unavailable,
      durationMs: Math.round(performance.now() - started),
    });
    const tree = await this.#tree.catch((error: unknown) => ({ unavailable: errorMessage(error) }));
    if (!isBaseTree(tree)) return done([], tree.unavailable);
    const context: ReplayContext = { ...this.#context, bridge: tree.bridge };
    try {
      // Flask-Migrate: the base commit's app, created in a database of its own before its env.py runs.
      await createFlaskApp(tree.bridge, tree.load, context.provider, context.urlEnv, context.python);
      const head = {
        database,
        schema: await this.#atBaseHeads(context, tree, database, schema),
        withoutRows: false,
      };
      const models = await buildModels(context, head, 'base models');
      const modelsSchema = models.schema;
      if (modelsSchema === null) {
        return done(
          [],
          `the base commit's models could not be built (${models.findings[0]?.message ?? 'no target_metadata'})`,
        );
      }
      const drift = modelDrift(head.schema, { ...models, schema: modelsSchema }, configure, tree.relative);
      const orm = await ormSmokeTest(context, head, tree.relative);
      return done([...drift, ...orm.findings.filter((f) => f.ruleId === 'orm-insert-failed')], null);
    } catch (error) {
      return done([], `reviewing the base commit failed: ${errorMessage(error)}`);
    }
  }
}

export interface Attributed {
  findings: Finding[];
  /** Base findings the pull request no longer has. */
  fixed: Finding[];
}

/** What makes two findings the same problem: rule, kind of change, object (never a line). */
function identity(f: Finding): string {
  const className = f.details?.className;
  return [
    f.ruleId,
    findingChange(f),
    [...findingObjects(f)].sort().join(' '),
    typeof className === 'string' ? className : '',
  ].join('|');
}

/** Findings the base review can also have (the rest are about the new revisions themselves). */
function comparable(f: Finding): boolean {
  return f.category === 'drift' || f.ruleId === 'orm-insert-failed';
}

/**
 * Sets every finding's origin. Drift and ORM findings are "base" when the base
 * review has the same problem; the base history failing to apply (with no
 * existing revision edited) and several heads that were already on the base
 * are "base" too. Without a base review, everything is "pr", with one notice
 * that says why. `headChecked`: the pull request's drift ran, so base drift
 * it lacks is fixed.
 */
export function attributeOrigins(
  findings: readonly Finding[],
  plan: ReplayPlan,
  base: BaseFindings | null,
  headChecked: boolean,
): Attributed {
  const remaining = new Map<string, Finding[]>();
  for (const f of base?.findings ?? []) {
    const key = identity(f);
    remaining.set(key, [...(remaining.get(key) ?? []), f]);
  }
  const reviewed = base !== null && base.unavailable === null;
  const attributed = findings.map((f): Finding => {
    if (reviewed && comparable(f)) {
      const twins = remaining.get(identity(f));
      if (twins !== undefined && twins.length > 0) {
        twins.shift();
        return { ...f, origin: 'base' };
      }
      return { ...f, origin: 'pr' };
    }
    return { ...f, origin: fromBaseGraph(f, plan) ? 'base' : 'pr' };
  });
  if (base !== null && base.unavailable !== null && headChecked) {
    attributed.push({
      ...reviewIncomplete(
        `The base commit could not be reviewed (${base.unavailable}), so findings that main already has cannot be told apart from those of this change: every finding is counted as this change's.`,
      ),
      origin: 'pr',
    });
  }
  const fixed = reviewed && headChecked ? [...remaining.values()].flat() : [];
  return { findings: attributed, fixed: [...fixed, ...fixedHeads(plan)] };
}

/** A graph or history problem the base already had. */
function fromBaseGraph(f: Finding, plan: ReplayPlan): boolean {
  if (f.ruleId === 'multiple-heads')
    return plan.frontier.length > 1 && plan.heads.length <= plan.frontier.length;
  // The base history itself fails, and the change edited none of its revisions.
  return f.ruleId === 'migration-failed' && f.details?.atBase === true && plan.modified.length === 0;
}

/** The base had several heads and the change merges them into one. */
function fixedHeads(plan: ReplayPlan): Finding[] {
  if (plan.frontier.length <= 1 || plan.heads.length !== 1 || plan.newRevisions.length === 0) return [];
  return [
    {
      ...finding({
        ruleId: 'multiple-heads',
        message: `The base has ${plan.frontier.length} heads (${plan.frontier.join(', ')}); this change merges them into one.`,
        details: { heads: plan.frontier },
      }),
      origin: 'base',
    },
  ];
}
