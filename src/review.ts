// The review pipeline, top to bottom (DESIGN.md "Pipeline"). Each stage is a
// function from typed input to typed output; this file only sequences them,
// assembles the Review and guarantees teardown.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bridge } from './alembic/bridge.ts';
import type { BridgeRevision } from './alembic/protocol.ts';
import { resolvePython, secretLooking } from './alembic/bridge.ts';
import { greetedBridge, type GreetedBridge } from './alembic/open-bridge.ts';
import {
  createFlaskApp,
  inspectProject,
  prewarm,
  readStaticFacts,
  type ProjectInfo,
} from './alembic/project.ts';
import { attributeOrigins, BaseReview, type BaseFindings } from './checks/baseline.ts';
import { baselineKept, baselineSettings, KeptBaseline } from './checks/baseline-cache.ts';
import { combineFindings } from './checks/combine.ts';
import { EachEngine, mergeEngineReviews, type EngineReview } from './engines.ts';
import { dataChecks, withEstimates } from './checks/data/index.ts';
import { DeployOrderCheck, migrationOps } from './checks/deploy-order.ts';
import { checkGraph } from './checks/graph.ts';
import { insertedBeforeApplied } from './checks/inserted-before.ts';
import {
  lockFindings,
  migrationFailed,
  replayFailures,
  reviewIncomplete,
  seedFindings,
} from './checks/runtime.ts';
import { isolationFindings, isolationInfo } from './checks/isolation.ts';
import { revisionExtensions, type AccessOptions } from './database/access.ts';
import { resolveProvider } from './database/auto.ts';
import type { DatabaseProvider } from './database/provider.ts';
import { ReservingProvider } from './database/reserved.ts';
import { errorMessage, UsageError } from './errors.ts';
import { lint } from './lint/engine.ts';
import { warmUpParser } from './lint/parse.ts';
import type { Schema } from './schema/types.ts';
import {
  summarize,
  type Category,
  type Finding,
  type Review,
  type Revision,
  type Statement,
} from './model.ts';
import type { Options } from './options.ts';
import { Progress } from './progress.ts';
import { baseFindings } from './replay/base.ts';
import { BaseCache } from './replay/base-cache.ts';
import { EarlyBase } from './replay/early-base.ts';
import {
  isBaseTree,
  loadTree,
  NO_BASE_COMMIT,
  openTreeAt,
  startTreeAt,
  type BaseTree,
  type BaseTreeUnavailable,
  type StartedTree,
} from './replay/base-tree.ts';
import { commitAtFrontier } from './replay/frontier-commit.ts';
import {
  changedPythonFiles,
  compareWithBase,
  findChanges,
  type BaseComparison,
  type Changes,
} from './replay/changes.ts';
import { buildModels, modelDrift, modelsForHead, ormSmokeTest, type ModelsState } from './replay/models.ts';
import { offlineReplay } from './replay/offline.ts';
import {
  appliedAfterBase,
  failed,
  replayChange,
  reviewedRevisions,
  revisionRun,
  toStatement,
  type HeadState,
  type Replay,
  type ReplayContext,
  type RevisionRun,
  versionTableKey,
} from './replay/replay.ts';
import { OneAtATime } from './replay/one-at-a-time.ts';
import { roundTrip } from './replay/roundtrip.ts';
import { noMigrationsRan } from './checks/tenant-env.ts';
import { applyPolicy } from './rules/policy.ts';
import { cancellation } from './teardown.ts';
import { TOOL } from './version.ts';

export interface ReviewIO {
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** Lines the project's Python wrote to stderr. */
  pythonOutput: (line: string) => void;
  /**
   * The project's bridge, opened by the caller for these options and already
   * greeted (greetedBridge): the review uses it and closes it. Else it opens one.
   */
  bridge?: GreetedBridge;
}

/** What every stage after "find new revisions" works from. */
interface Run {
  options: Options;
  progress: Progress;
  project: ProjectInfo;
  changes: Changes;
  /** The base commit's own code (its models, its graph), opened while the database starts. */
  baseTree: Promise<BaseTree | BaseTreeUnavailable>;
  /** The code of the commit whose revisions end at the frontier, opened when a base from models needs it. */
  treeAtFrontier?: () => Promise<BaseTree | BaseTreeUnavailable>;
  /** The warm base restored while the project opened, if an entry fitted. */
  earlyBase?: Promise<EarlyBase | null>;
  /** What the kept base review's key takes of this run's settings (baselineSettings), read once. */
  baselineSettings: string;
  /** The base cache, opened as soon as the change is known (its key reads the history's files). */
  cache?: Promise<BaseCache | null>;
}

export async function review(options: Options, io: ReviewIO): Promise<Review> {
  try {
    return await reviewDatabase(options, io);
  } catch (error) {
    if (!(error instanceof EachEngine)) throw error;
    // Alembic's multidb template: each database on its own, one report.
    const parts: EngineReview[] = [];
    for (const [index, engine] of error.engines.entries()) {
      io.log(`database ${engine} (${index + 1} of ${error.engines.length}, Alembic's multidb template)`);
      // A bridge of its own each: the first review closed the caller's.
      parts.push({
        engine,
        review: await reviewDatabase({ ...options, engine }, { ...io, bridge: undefined }),
      });
    }
    return mergeEngineReviews(parts);
  }
}

async function reviewDatabase(requested: Options, io: ReviewIO): Promise<Review> {
  // Once cancelled, the only line is the signal handler's.
  const progress = new Progress((line) => {
    if (cancellation() === undefined) io.log(line);
  });
  let options = requested;
  // Its child starts now (unless the caller started it), and imports the project's stack while the rest begins.
  const { bridge, hello } = io.bridge ?? greetedBridge(options, io.pythonOutput);
  // The server starts, and the first databases are made, while the project
  // opens: only the extensions its revisions create wait for the load.
  const extensionsOfRevisions = deferred<readonly string[]>();
  const provisioning =
    options.database === 'none' ? null : provisionDatabase(options, progress, extensionsOfRevisions.promise);
  // Awaited below; a project that fails to open is the error reported, not this one.
  provisioning?.catch(() => undefined);
  // The warm base restored from the cache meanwhile, when an entry fits.
  const earlyBase = provisioning === null ? NO_EARLY_BASE : EarlyBase.start(options, provisioning);
  // Read before the project loads (the early guess of reserveDatabases needs it), the same for the key later.
  const keptSettings = baselineSettings(options, resolvePython(options.projectDir, options.python));
  let startedBase: Promise<StartedTree | BaseTreeUnavailable> = Promise.resolve(NO_BASE_TREE);
  let baseTree: Promise<BaseTree | BaseTreeUnavailable> | undefined;
  let frontierTree: Promise<BaseTree | BaseTreeUnavailable> | undefined;
  try {
    // git's view of the change, read while the project opens (each git command is a process).
    const comparison = compareWithBase(options);
    comparison.catch(noop); // said by findChanges
    // The base commit's project starts opening too: its Python's start is most of what that costs.
    if (provisioning !== null) {
      startedBase = startBaseTree(comparison, options, io, progress);
      reserveDatabases(provisioning, earlyBase, comparison, options.cacheDir, keptSettings);
    }
    // Meanwhile this process mostly waits: the SQL parser gets compiled for the lint.
    setTimeout(warmUpParser, 0).unref();
    const project = await progress.stage(
      'open project',
      () => inspectProject(bridge, options, changedPythonFiles(comparison), hello),
      (p) =>
        `${p.load.revisions.length} revisions${(p.load.known ?? 0) > 0 ? ` (${p.load.known} known from the base cache, not imported)` : ''}, Alembic ${p.hello.alembic}, SQLAlchemy ${p.hello.sqlalchemy}`,
    );
    const engines = project.load.engines ?? [];
    if (engines.length > 0 && options.engine === null) throw new EachEngine(engines);
    extensionsOfRevisions.resolve(revisionExtensions(project.load.revisions.map((r) => r.path)));
    for (const note of project.load.notes ?? []) progress.note(note);
    // A named section chosen because the change's revisions are there: the base commit's tree uses it too.
    if (typeof project.load.iniSection === 'string')
      options = { ...options, iniSection: project.load.iniSection };
    const changes = await progress.stage(
      'find new revisions',
      () => findChanges(options, project.load, comparison),
      (c) => `${c.plan.newRevisions.length} new since ${c.base}`,
    );
    refuseHugeChange(changes, options);
    // The cache key reads the history's files meanwhile.
    const cache = provisioning?.then((server) => openCache({ options, progress, project, changes }, server));
    cache?.catch(noop); // awaited by the replay
    await readStaticFacts(bridge, project, changes.plan.replayed);
    // Queued behind the facts: the ORM's import while the database is prepared.
    prewarm(bridge, project.load);
    const passed = secretLooking(options.passEnv);
    if (passed.length > 0)
      progress.note(`passing ${passed.join(', ')} to the project's Python, as pass-env asks`);
    const graph = [
      ...checkGraph(changes.plan, changes.relative),
      ...insertedBeforeApplied(changes.plan, changes.relative),
    ];
    if (provisioning === null) {
      const offline: Run = {
        options,
        progress,
        project,
        changes,
        baseTree: Promise.resolve(NO_BASE_TREE),
        baselineSettings: keptSettings,
      };
      return await reviewOffline(offline, bridge, graph);
    }

    baseTree = startedBase.then((started) => loadTree(started, options));
    // Flask-Migrate: the base commit's app is created as soon as its tree is open (it needs no
    // base), not when the base review gets its copy of the base; that review says how it went.
    void Promise.all([baseTree, provisioning])
      .then(async ([tree, server]) => {
        if (isBaseTree(tree))
          await createFlaskApp(tree.bridge, tree.load, server, options.urlEnv, project.python);
      }, noop)
      .catch(noop);
    const treeAtFrontier = () =>
      (frontierTree ??= openFrontierTree(options, changes, project, io, (line) => {
        progress.note(line);
      }));
    const run: Run = {
      options,
      progress,
      project,
      changes,
      baseTree,
      treeAtFrontier,
      earlyBase,
      baselineSettings: keptSettings,
      ...(cache === undefined ? {} : { cache }),
    };
    const server = await provisioning;
    await server.extensionsDecided();
    if (project.load.flask === true) {
      await progress.stage(
        'create the Flask app',
        () => createFlaskApp(bridge, project.load, server, options.urlEnv, project.python),
        (found) => `found as ${found ?? '?'}, in a throwaway database of its own`,
      );
    }
    return await reviewOnDatabase(run, bridge, server, graph);
  } finally {
    // A project that did not open: no revision needs an extension (the reservations may finish).
    extensionsOfRevisions.resolve([]);
    // The bridges at once; the databases after them, when no connection of theirs is left.
    const trees = await Promise.all(
      [startedBase, baseTree ?? NO_TREE, frontierTree ?? NO_TREE].map((tree) =>
        tree.catch(() => NO_BASE_TREE),
      ),
    );
    await Promise.all([
      bridge.close(),
      ...trees.flatMap((tree) => ('close' in tree ? [tree.close()] : [])),
      earlyBase.then((early) => early?.settled(), noop),
    ]);
    const provider = await provisioning?.catch(() => undefined);
    await provider?.stop();
  }
}

/** The server started, the run's role made, and the databases every review needs being created. */
async function provisionDatabase(
  options: Options,
  progress: Progress,
  extensionsOfRevisions: Promise<readonly string[]>,
): Promise<ReservingProvider> {
  const access: AccessOptions = {
    databaseRole: options.databaseRole,
    revisionExtensions: extensionsOfRevisions,
    extraExtensions: options.extensions,
    tenantSchema: options.tenantSchema,
  };
  const started = await progress.stage(
    'provision database',
    () => startProvider(options, progress, access),
    (p) => p.description,
  );
  const server = new ReservingProvider(started);
  // Asked now, while the server is idle: the cache key needs it before the replay.
  server.serverVersion().catch(noop);
  return server;
}

/**
 * The databases every review asks for, made one at a time while the project
 * opens, the pull request's path first: the one the base goes into (unless
 * an early restore has it), the models database, and, with a base commit,
 * the base review's copy of the base (restored from the cache on a hit) and
 * the base commit's models database (the base review runs alongside;
 * neither when the early base's entry has the base review kept beside it).
 */
function reserveDatabases(
  provisioning: Promise<ReservingProvider>,
  earlyBase: Promise<EarlyBase | null>,
  comparison: Promise<BaseComparison>,
  cacheDir: string | null,
  settings: string,
): void {
  const started = Promise.all([provisioning, earlyBase]).then(([server, early]) => {
    server.reserve([...(early === null ? ['rows'] : []), 'models']);
    return { server, early };
  });
  void Promise.all([started, comparison])
    .then(async ([{ server, early }, { against }]) => {
      if (against === null) return;
      // The base review kept from an earlier run for this base needs neither (a guess, as the early base is).
      if (
        early !== null &&
        cacheDir !== null &&
        (await baselineKept(cacheDir, early.key, against.sha, settings))
      )
        return;
      server.reserve([...(early === null ? [] : ['base']), 'base models']);
    })
    .catch(noop);
}

function noop(): void {
  // A promise that failed: reported where it is awaited.
}

/** After the promises already settled have run their callbacks (a request they send is sent). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const NO_BASE_TREE: BaseTreeUnavailable = { unavailable: 'offline review' };
const NO_EARLY_BASE: Promise<EarlyBase | null> = Promise.resolve(null);
const NO_TREE = Promise.resolve(NO_BASE_TREE);

/** The base commit's tree unpacked and its bridge started, as soon as git has named the base commit. */
async function startBaseTree(
  comparison: Promise<BaseComparison>,
  options: Options,
  io: ReviewIO,
  progress: Progress,
): Promise<StartedTree | BaseTreeUnavailable> {
  // No base to compare with: findChanges says why, and the review stops there.
  const { gitRoot, against } = await comparison.catch(() => ({ gitRoot: null, against: null }));
  if (gitRoot === null || against === null) return NO_BASE_COMMIT;
  const python = resolvePython(options.projectDir, options.python);
  return startTreeAt(against.sha, gitRoot, options, python, io.pythonOutput, (line) => {
    progress.note(line);
  });
}

/** The project at the last commit before the revisions above the frontier were added (see frontier-commit.ts). */
async function openFrontierTree(
  options: Options,
  changes: Changes,
  project: ProjectInfo,
  io: ReviewIO,
  note: (line: string) => void,
): Promise<BaseTree | BaseTreeUnavailable> {
  const found = await commitAtFrontier(changes, project.load.revisions);
  if ('unavailable' in found) return found;
  note(
    `the change edits applied revisions: the base below them comes from the models of ${found.commit.slice(0, 7)}, the commit before ${found.addedBy.slice(0, 7)} added the first of them`,
  );
  return openTreeAt(found.commit, options, changes, project.python, io.pythonOutput, note);
}

/** The replay on a throwaway PostgreSQL and everything computed from it. */
async function reviewOnDatabase(
  run: Run,
  bridge: Bridge,
  server: ReservingProvider,
  graph: Finding[],
): Promise<Review> {
  const { options, progress, project } = run;
  const shared = {
    python: project.python,
    provider: server,
    urlEnv: options.urlEnv,
    extensions: server.access?.extensions ?? [],
    log: (line: string) => {
      progress.note(line);
    },
  };
  const context: ReplayContext = { ...shared, bridge };
  if (context.extensions.length > 0)
    progress.note(`created as superuser in every database: ${context.extensions.join(', ')}`);

  // What main already has: the base commit's models on the base schema, alongside the replay.
  const baseline = new BaseReview(run.baseTree, shared, run.changes.plan.frontier);
  const deployOrder = new DeployOrderCheck(
    options.severity['old-code-incompatible'] === 'off' ? 'off' : options.deployOrder,
    server,
  );
  try {
    return await reviewReplay(run, context, server, graph, baseline, deployOrder);
  } finally {
    await deployOrder.dispose();
  }
}

async function reviewReplay(
  run: Run,
  context: ReplayContext,
  server: ReservingProvider,
  graph: Finding[],
  baseline: BaseReview,
  deployOrder: DeployOrderCheck,
): Promise<Review> {
  const { options, progress, project, changes } = run;
  const findings = [...graph];
  const cache = await (run.cache ?? openCache(run, server));
  const keptBase = await keepBaseReview(run, cache, server, baseline);
  // The base review needs a base commit (and none when kept); on a hit, its copy is restored with the base.
  const baseCopies = [
    ...deployOrder.baseCopies,
    ...(changes.baseCommit === null || keptBase ? [] : ['base']),
  ];
  // The models database while the base gets its rows: the project's Python has nothing else to do then.
  let earlyModels: Promise<ModelsState | Skipped> | undefined;
  const whileSeeding = async (): Promise<void> => {
    earlyModels = optional(context, 'the models database', () =>
      progress.stage('build models database', () => buildModels(context, null)),
    );
    await earlyModels;
  };
  const replay = await progress.stage(
    'replay',
    () =>
      replayChange(context, changes.plan, {
        whileSeeding,
        seedRows: options.seedRows,
        seedSql: options.seedSql,
        base: {
          from: options.baseFrom,
          baseTree: run.baseTree,
          ...(run.treeAtFrontier === undefined ? {} : { treeAtFrontier: run.treeAtFrontier }),
        },
        atBase: async (database, schema, configure, copies) => {
          // One copy at a time: CREATE DATABASE … TEMPLATE refuses a template in use.
          await deployOrder.atBase(database, copies.get('code-first'));
          await baseline.run(database, schema, configure, copies.get('base'));
        },
        baseCopies,
        cache,
        ...(run.earlyBase === undefined ? {} : { early: run.earlyBase }),
      }),
    (r) =>
      `${r.withRows.steps.size} of ${changes.plan.replayed.length} revisions applied with rows (${changes.plan.newRevisions.length} new${changes.plan.reviewed.length > changes.plan.newRevisions.length ? `, ${changes.plan.reviewed.length - changes.plan.newRevisions.length} edited` : ''})`,
  );
  const reviewed = reviewedRevisions(replay, changes.plan);
  const runs = new Map(reviewed.map((r) => [r.id, revisionRun(replay, r.id)]));
  const pathOf = (id: string | null): string | undefined =>
    project.load.revisions.find((r) => r.id === id)?.path;
  findings.push(
    ...baseFindings(replay.base, pathOf, changes.relative),
    ...replayFailures(replay, project.load.revisions, changes.relative, options.seedRows),
    ...seedFindings(replay.seedFailures, options.seedRows),
    ...lockFindings(
      new Map([...runs].map(([id, r]) => [id, r.statements])),
      reviewed,
      replay.baseSchema,
      replay.baseRows,
      changes.relative,
    ),
  );

  const data = await progress.stage(
    'data checks',
    () =>
      dataChecks({
        context,
        replay,
        plan: changes.plan,
        relative: changes.relative,
        versionTable: versionTableKey(replay.frontier.configure),
        seedRows: options.seedRows,
        seedSql: options.seedSql,
        adversarial: options.severity['fails-on-existing-data'] !== 'off',
        preflightUrl: options.preflightUrl,
        preflightShowValues: options.preflightShowValues,
      }),
    (d) => d.summary,
  );
  findings.push(...data.findings);

  const statements = withEstimates(reportStatements(changes, runs), data.estimates);
  const environment = replay.withRows.preamble.map((s) => toStatement(s, changes.relative));
  let driftChecked = false;
  let headChecks: ReturnType<typeof checkHead> | null = null;
  let deployChecks: Promise<Finding[]> | null = null;
  const notRunAgain = changes.plan.reviewed.filter(
    (r) => changes.plan.modified.includes(r) && !reviewed.includes(r),
  );
  if (notRunAgain.length > 0 && replay.base.method !== 'replay' && replay.base.unavailable === null) {
    findings.push(
      reviewIncomplete(
        `The change edits ${notRunAgain.map((r) => `${r.id} (${changes.relative(r.path)})`).join(', ')}, which did not run again: the base was built ${replay.base.method === 'models' ? "from the base commit's models" : 'from the schema file'}, which is past ${notRunAgain.length === 1 ? 'it' : 'them'}, and only a replay of the history gives a database below ${notRunAgain.length === 1 ? 'it' : 'them'}. Only the checks that need no database apply to ${notRunAgain.length === 1 ? 'this edit' : 'these edits'}.`,
      ),
    );
  }
  if (replay.noMigrationsRan) {
    findings.push(reviewIncomplete(noMigrationsRan(project.load.envPy, options.tenantSchema)));
  } else if (replay.head === null && replay.base.unavailable === null) {
    findings.push(
      reviewIncomplete(
        failed(replay.frontier)
          ? 'The history up to the base fails to apply (see migration-failed), so the new revisions were not replayed: their SQL, drift, the ORM smoke test and the downgrade round trip were not checked.'
          : 'No replay reached the head of the change (a revision fails even on an empty database), so drift, the ORM smoke test and the downgrade round trip were skipped.',
      ),
    );
  } else if (replay.head !== null) {
    // The head's users take turns; the running release's probe takes one as soon as its process is ready.
    const turns = new OneAtATime();
    headChecks = checkHead(run, context, replay, replay.head, runs, turns, earlyModels);
    headChecks.catch(noop); // awaited after the lint
    if (deployOrder.enabled) {
      const input = { replay, head: replay.head, runs, reviewed, turns };
      deployChecks = deployOrderCheck(run, context, baseline, deployOrder, input, headChecks);
      deployChecks.catch(noop); // awaited after the head's checks
    }
    // The head's checks wait on the project's Python: the lint, which needs no database, runs meanwhile.
    await nextTurn();
  }
  const linted = await progress.stage('lint', () =>
    lint(lintInput(reviewed, changes, runs, statements, replay.baseSchema, replay.baseRows, environment)),
  );
  if (headChecks !== null) {
    const checked = await headChecks;
    findings.push(...checked.findings);
    driftChecked = checked.driftChecked;
  }
  findings.push(...linted);

  if (deployChecks !== null) findings.push(...(await deployChecks));

  const revisions = project.load.revisions.map((r) => {
    const ran = runs.get(r.id);
    return {
      ...reportRevision(project, changes, r.id),
      applied: ran === undefined ? replay.frontier.failure === null : ran.applied,
      durationMs: ran?.durationMs ?? 0,
      statements: statements.get(r.id) ?? [],
    };
  });
  const base = await baseline.result();
  if (base.unavailable === null) {
    if (!keptBase) progress.timings['baseline (alongside)'] = base.durationMs;
    progress.note(`baseline: ${base.findings.length} drift and ORM findings already on the base commit`);
  }
  if (await baseline.keep()) progress.note("baseline: the base commit's review kept in the cache");
  findings.push(...isolationFindings(server.access, context.bridge));
  return assemble(run, findings, revisions, {
    database: server.description,
    postgres: await server.serverVersion(),
    environmentStatements: environment,
    base,
    driftChecked,
    oneTransaction: replay.withRows.configure?.transactionPerMigration !== true,
    isolation: isolationInfo(server.access, context.bridge),
  });
}

/** The warm base's cache for this run (replayed bases only); null when off or it cannot be keyed. */
async function openCache(
  run: Pick<Run, 'options' | 'progress' | 'project' | 'changes'>,
  server: DatabaseProvider,
): Promise<BaseCache | null> {
  const { options, project, changes } = run;
  if (options.cacheDir === null || options.baseFrom.kind !== 'replay') return null;
  try {
    return await BaseCache.open(
      {
        options,
        load: project.load,
        hello: project.hello,
        frontier: changes.plan.frontier,
        serverVersion: await server.serverVersion(),
      },
      (line) => {
        run.progress.note(line);
      },
    );
  } catch (error) {
    run.progress.note(`base cache: off for this run (${errorMessage(error)})`);
    return null;
  }
}

/**
 * The base review kept between runs beside the warm base (replayed bases
 * with a base commit only): whether this run's was kept already (then the
 * base review runs nothing, and the control's copy of the base is restored
 * only if needed).
 */
async function keepBaseReview(
  run: Run,
  cache: BaseCache | null,
  server: ReservingProvider,
  baseline: BaseReview,
): Promise<boolean> {
  const baseCommit = run.changes.baseCommit;
  if (cache === null || baseCommit === null) return false;
  const kept = await KeptBaseline.open(cache.dir, cache.key, baseCommit, run.baselineSettings);
  const hit = baseline.keepWith({
    kept,
    copyOfBase: () => cache.copyInto(server, server.createDatabase('base')),
  });
  if (hit) run.progress.note(`baseline: the base commit's review from the cache (key ${kept.shortKey})`);
  return hit;
}

/**
 * Deploy order on the migrated head: the running release's models (the base
 * commit's process) in a turn of the head as soon as they are loaded, the
 * pull request's on the base once its models are built.
 */
async function deployOrderCheck(
  run: Run,
  context: ReplayContext,
  baseline: BaseReview,
  deployOrder: DeployOrderCheck,
  at: {
    replay: Replay;
    head: HeadState;
    runs: ReadonlyMap<string, RevisionRun>;
    reviewed: readonly { id: string; path: string }[];
    turns: OneAtATime;
  },
  headChecks: Promise<{ driftChecked: boolean }>,
): Promise<Finding[]> {
  const { options, progress, project, changes } = run;
  const { replay, head, runs } = at;
  const old = await baseline.runningRelease();
  const rows = head.withoutRows ? 0 : options.seedRows;
  const deploy = await optional(context, 'the deploy-order check', () =>
    progress.stage(
      `deploy order (${options.deployOrder}): the running release on the new schema`,
      () =>
        deployOrder.run({
          oldBridge: typeof old === 'string' ? old : old.bridge,
          newBridge: headChecks.then(
            (checked) => (checked.driftChecked ? context.bridge : null),
            () => null,
          ),
          head: head.database,
          onHead: (use) => at.turns.run(use),
          python: project.python,
          ops: migrationOps(at.reviewed, (id) => runs.get(id)?.statements ?? [], changes.relative),
          oldRelative: typeof old === 'string' ? changes.relative : old.relative,
          newRelative: changes.relative,
          controlFailures: (compute) =>
            baseline.controlFailures(options.seedSql === undefined ? `rows=${rows}` : null, compute),
          controlSeed: {
            schema: replay.baseSchema ?? head.schema,
            // The head without rows (the replay with them failed): the control gets none either.
            rows,
            seedSql: options.seedSql,
            versionTable: versionTableKey(replay.frontier.configure),
          },
        }),
      (d) => d.summary,
    ),
  );
  return isSkipped(deploy) ? [deploy.skipped] : deploy.findings;
}

/** On the migrated head: drift against the models, the ORM smoke test, the round trip. */
async function checkHead(
  run: Run,
  context: ReplayContext,
  replay: Replay,
  head: HeadState,
  runs: ReadonlyMap<string, RevisionRun>,
  turns: OneAtATime,
  /** Built while the base got its rows, without the head; undefined: none was. */
  earlyModels: Promise<ModelsState | Skipped> | undefined,
): Promise<{ findings: Finding[]; driftChecked: boolean }> {
  const { progress, changes } = run;
  const findings: Finding[] = [];
  if (head.withoutRows) progress.note('drift, ORM smoke test and round trip use the replay without rows');
  const configure = replay.withRows.configure ?? replay.frontier.configure;

  let modelsSchema: Schema | null = null;
  const early = await earlyModels;
  const models =
    early !== undefined && isSkipped(early)
      ? early
      : await optional(context, 'the models database', () =>
          early === undefined
            ? progress.stage('build models database', () => buildModels(context, head))
            : modelsForHead(context, early, head),
        );
  if (isSkipped(models)) findings.push(models.skipped);
  else {
    findings.push(...models.findings);
    modelsSchema = models.schema;
    if (modelsSchema !== null) {
      const declared = { ...models, schema: modelsSchema };
      const drift = await optional(context, 'the schema drift check', () =>
        progress.stage('diff schema', () => modelDrift(head.schema, declared, configure, changes.relative)),
      );
      findings.push(...(isSkipped(drift) ? [drift.skipped] : drift));
      const orm = await optional(context, 'the ORM smoke test', () =>
        turns.run(() =>
          progress.stage(
            'ORM smoke test',
            () => ormSmokeTest(context, head, changes.relative),
            (o) => `${o.checked} mapped classes`,
          ),
        ),
      );
      findings.push(...(isSkipped(orm) ? [orm.skipped] : orm.findings));
    }
  }

  const baseSchema = replay.baseSchema;
  // Back down what ran after the base, whichever way the base was built.
  const applied = { ...changes.plan, replayed: appliedAfterBase(replay, changes.plan) };
  if (baseSchema !== null && applied.replayed.length > 0) {
    const trip = await optional(context, 'the downgrade round trip', () =>
      turns.run(() =>
        progress.stage('downgrade round trip', () =>
          roundTrip(
            context,
            applied,
            head,
            baseSchema,
            (id) => runs.get(id)?.statements ?? [],
            changes.relative,
          ),
        ),
      ),
    );
    const own = new Set(changes.plan.reviewed.map((r) => r.id));
    findings.push(...(isSkipped(trip) ? [trip.skipped] : trip.findings.map((f) => notOwn(f, own))));
  }
  return { findings, driftChecked: modelsSchema !== null };
}

/**
 * A round-trip finding on a revision the change did not touch (the round trip
 * went down through it because the change edits a revision below it) is not
 * the change's error: a notice.
 */
function notOwn(found: Finding, own: ReadonlySet<string>): Finding {
  if (found.revision === undefined || own.has(found.revision)) return found;
  return {
    ...found,
    severity: 'notice',
    message: `${found.message} Revision ${found.revision} is not part of the change: the round trip went down through it because the change edits a revision below it.`,
  };
}

/** --database none: lint what `alembic upgrade --sql` writes for the new revisions. */
async function reviewOffline(run: Run, bridge: Bridge, graph: Finding[]): Promise<Review> {
  const { options, progress, project, changes } = run;
  const offline = await progress.stage('write the SQL offline (upgrade --sql)', () =>
    offlineReplay(bridge, project.python, changes.plan, options.urlEnv),
  );
  const findings = [...graph];
  if (offline.failure !== null) {
    const failure = offline.failure;
    findings.push(
      migrationFailed(
        failure,
        changes.relative,
        project.load.revisions.find((r) => r.id === failure.revision)?.path,
      ),
    );
  }
  const runs = new Map(
    changes.plan.reviewed.map((r): [string, RevisionRun] => [
      r.id,
      { statements: offline.statements.get(r.id) ?? [], applied: false, durationMs: 0, lockTimeout: null },
    ]),
  );
  const statements = reportStatements(changes, runs);
  const environment = offline.preamble.map((s) => toStatement(s, changes.relative));
  findings.push(
    ...(await progress.stage('lint', () =>
      lint(lintInput(changes.plan.reviewed, changes, runs, statements, null, {}, environment)),
    )),
  );
  const revisions = project.load.revisions.map((r) => ({
    ...reportRevision(project, changes, r.id),
    statements: statements.get(r.id) ?? [],
  }));
  findings.push(...isolationFindings(undefined, bridge));
  return assemble(run, findings, revisions, {
    database: 'none (offline: upgrade --sql)',
    postgres: 'n/a',
    environmentStatements: environment,
    base: null,
    driftChecked: false,
    oneTransaction: true,
    isolation: isolationInfo(undefined, bridge),
  });
}

interface Skipped {
  skipped: Finding;
}

function isSkipped(value: unknown): value is Skipped {
  return typeof value === 'object' && value !== null && 'skipped' in value;
}

/**
 * An optional stage: its failure never loses the findings already made. It
 * becomes a review-incomplete notice with the reason (a refusal of the
 * statement gate still stops the review). A bridge that died is restarted for
 * the stages after it.
 */
async function optional<T>(
  context: ReplayContext,
  what: string,
  stage: () => Promise<T>,
): Promise<T | Skipped> {
  try {
    return await stage();
  } catch (error) {
    if (error instanceof UsageError && error.kind === 'database') throw error;
    if (!context.bridge.alive) await context.bridge.restart();
    return {
      skipped: reviewIncomplete(
        `${what[0]?.toUpperCase() ?? ''}${what.slice(1)} could not run, so its checks are missing from this review: ${errorMessage(error).replace(/\.$/, '')}.`,
      ),
    };
  }
}

async function startProvider(
  options: Options,
  progress: Progress,
  access: AccessOptions,
): Promise<DatabaseProvider> {
  const choice = await resolveProvider(options.database === 'none' ? 'auto' : options.database, {
    databaseUrl: options.databaseUrl,
    postgresImage: options.postgresImage,
    access,
    cacheDir: options.cacheDir,
    log: (line) => {
      progress.note(line);
    },
  });
  progress.note(choice.reason);
  await choice.provider.start();
  return choice.provider;
}

function refuseHugeChange(changes: Changes, options: Options): void {
  if (changes.plan.newRevisions.length > options.maxNewRevisions) {
    throw new UsageError(
      'usage',
      `The change adds ${changes.plan.newRevisions.length} revisions, more than max-new-revisions (${options.maxNewRevisions}). Check --base (is it the right branch?), or raise max-new-revisions for this run.`,
    );
  }
}

/** The new revisions' statements as the report shows them (repository-relative files). */
function reportStatements(
  changes: Changes,
  runs: ReadonlyMap<string, RevisionRun>,
): Map<string, Statement[]> {
  return new Map(
    [...runs].map(([id, ran]) => [id, ran.statements.map((s) => toStatement(s, changes.relative))]),
  );
}

function lintInput(
  reviewed: readonly BridgeRevision[],
  changes: Changes,
  runs: ReadonlyMap<string, RevisionRun>,
  statements: ReadonlyMap<string, Statement[]>,
  baseSchema: Schema | null,
  baseRows: Record<string, number>,
  environmentStatements: Statement[],
) {
  return {
    revisions: reviewed.map((r) => ({
      id: r.id,
      path: changes.relative(r.path),
      statements: statements.get(r.id) ?? [],
      lockTimeout: runs.get(r.id)?.lockTimeout ?? null,
    })),
    baseSchema,
    baseRows,
    environmentStatements,
  };
}

/** A revision's identity for the report (statements filled in by the caller). */
function reportRevision(project: ProjectInfo, changes: Changes, id: string): Revision {
  const revision = project.load.revisions.find((r) => r.id === id);
  if (revision === undefined) throw new Error(`unknown revision ${id}`);
  return {
    id,
    path: changes.relative(revision.path),
    new: changes.plan.newRevisions.some((r) => r.id === id),
    downRevisions: revision.downRevisions,
    dependsOn: revision.dependsOn,
    branchLabels: revision.branchLabels,
    message: revision.message,
    applied: false,
    durationMs: 0,
    statements: [],
  };
}

interface Assembly {
  database: string;
  postgres: string;
  environmentStatements: Review['environmentStatements'];
  /** The review of the base commit; null offline. */
  base: BaseFindings | null;
  /** The change's drift was computed (so base drift it lacks is fixed). */
  driftChecked: boolean;
  /** The new revisions ran in one transaction (Alembic's default layout). */
  oneTransaction: boolean;
  isolation: Review['environment']['isolation'];
}

/**
 * The Review: each finding's origin (this change or the base), then
 * suppressions, ignores, severity overrides and pre-existing, then related
 * findings combined into one; new revisions first.
 */
function assemble(run: Run, raw: Finding[], unordered: Revision[], assembly: Assembly): Review {
  const { options, project, changes, progress } = run;
  const attributed = attributeOrigins(raw, changes.plan, assembly.base, assembly.driftChecked);
  const skipped: Category[] = assembly.driftChecked ? [] : ['drift'];
  if (assembly.base === null) skipped.push('runtime', 'roundtrip');
  const readFile = (file: string): string | undefined => {
    try {
      return readFileSync(path.join(changes.root, file), 'utf8');
    } catch {
      return undefined;
    }
  };
  const policy = { severity: options.severity, readFile, preExisting: options.preExisting };
  const findings = combineFindings(
    applyPolicy(attributed.findings, { ...policy, ignore: options.ignore, skipped }),
    { oneTransaction: assembly.oneTransaction },
  );
  const fixed = applyPolicy(attributed.fixed, { ...policy, preExisting: 'error' });
  const order = new Map(changes.plan.reviewed.map((r, index) => [r.id, index]));
  const revisions = [...unordered].sort(
    (a, b) => (order.get(a.id) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.id) ?? Number.MAX_SAFE_INTEGER),
  );
  return {
    version: 1,
    tool: TOOL,
    project: changes.relative(options.projectDir) || '.',
    base: changes.base,
    failOn: options.failOn,
    summary: summarize(findings, options.failOn),
    revisions,
    findings,
    ...(fixed.length === 0 ? {} : { fixed }),
    timings: progress.timings,
    environment: {
      python: project.hello.python,
      alembic: project.hello.alembic,
      sqlalchemy: project.hello.sqlalchemy,
      driver: project.load.driver,
      database: assembly.database,
      postgres: assembly.postgres,
      ...(assembly.isolation === undefined ? {} : { isolation: assembly.isolation }),
    },
    environmentStatements: assembly.environmentStatements,
  };
}
