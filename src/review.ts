// The review pipeline, top to bottom (DESIGN.md "Pipeline"). Each stage is a
// function from typed input to typed output; this file only sequences them,
// assembles the Review and guarantees teardown.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bridge } from './alembic/bridge.ts';
import { inspectProject, openBridge, type ProjectInfo } from './alembic/project.ts';
import { checkGraph } from './checks/graph.ts';
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
import { UsageError } from './errors.ts';
import { lint } from './lint/engine.ts';
import type { Schema } from './schema/types.ts';
import { summarize, type Finding, type Review, type Revision, type Statement } from './model.ts';
import type { Options } from './options.ts';
import { Progress } from './progress.ts';
import { findChanges, type Changes } from './replay/changes.ts';
import { buildModels, ormSmokeTest } from './replay/models.ts';
import { offlineReplay } from './replay/offline.ts';
import {
  replayChange,
  revisionRun,
  toStatement,
  versionTableKey,
  type HeadState,
  type Replay,
  type ReplayContext,
  type RevisionRun,
} from './replay/replay.ts';
import { roundTrip } from './replay/roundtrip.ts';
import { applyPolicy } from './rules/policy.ts';
import { diffSchemas } from './schema/diff.ts';
import { cancellation } from './teardown.ts';
import { TOOL } from './version.ts';

export interface ReviewIO {
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** Lines the project's Python wrote to stderr. */
  pythonOutput: (line: string) => void;
}

/** What every stage after "find new revisions" works from. */
interface Run {
  options: Options;
  progress: Progress;
  project: ProjectInfo;
  changes: Changes;
}

export async function review(options: Options, io: ReviewIO): Promise<Review> {
  // Once cancelled, the only line is the signal handler's.
  const progress = new Progress((line) => {
    if (cancellation() === undefined) io.log(line);
  });
  const bridge = openBridge(options, io.pythonOutput);
  let provider: DatabaseProvider | undefined;
  try {
    const project = await progress.stage(
      'open project',
      () => inspectProject(bridge, options),
      (p) =>
        `${p.load.revisions.length} revisions, Alembic ${p.hello.alembic}, SQLAlchemy ${p.hello.sqlalchemy}`,
    );
    const changes = await progress.stage(
      'find new revisions',
      () => findChanges(options, project.load),
      (c) => `${c.plan.newRevisions.length} new since ${c.base}`,
    );
    refuseHugeChange(changes, options);
    const run: Run = { options, progress, project, changes };
    const graph = checkGraph(changes.plan, changes.relative);

    if (options.database === 'none') return await reviewOffline(run, bridge, graph);

    const access: AccessOptions = {
      databaseRole: options.databaseRole,
      revisionExtensions: revisionExtensions(project.load.revisions.map((r) => r.path)),
      extraExtensions: options.extensions,
    };
    provider = await progress.stage(
      'provision database',
      () => startProvider(options, progress, access),
      (p) => p.description,
    );
    return await reviewOnDatabase(run, bridge, provider, graph);
  } finally {
    await bridge.close();
    await provider?.stop();
  }
}

/** The replay on a throwaway PostgreSQL and everything computed from it. */
async function reviewOnDatabase(
  run: Run,
  bridge: Bridge,
  server: DatabaseProvider,
  graph: Finding[],
): Promise<Review> {
  const { options, progress, project, changes } = run;
  const context: ReplayContext = {
    bridge,
    python: project.python,
    provider: server,
    urlEnv: options.urlEnv,
    extensions: server.access?.extensions ?? [],
    log: (line) => {
      progress.note(line);
    },
  };
  const findings = [...graph];
  if (context.extensions.length > 0)
    progress.note(`created as superuser in every database: ${context.extensions.join(', ')}`);

  const replay = await progress.stage(
    'replay',
    () => replayChange(context, changes.plan, { seedRows: options.seedRows, seedSql: options.seedSql }),
    (r) => `${r.withRows.steps.size} of ${changes.plan.newRevisions.length} new revisions applied with rows`,
  );
  const runs = new Map(changes.plan.newRevisions.map((r) => [r.id, revisionRun(replay, r.id)]));
  findings.push(
    ...replayFailures(replay, project.load.revisions, changes.relative, options.seedRows),
    ...seedFindings(replay.seedFailures, options.seedRows),
    ...lockFindings(
      new Map([...runs].map(([id, r]) => [id, r.statements])),
      changes.plan.newRevisions,
      replay.baseSchema,
      replay.baseRows,
      changes.relative,
    ),
  );

  if (replay.head === null) {
    findings.push(
      reviewIncomplete(
        'No replay reached the head of the change (a revision fails even on an empty database), so drift, the ORM smoke test and the downgrade round trip were skipped.',
      ),
    );
  } else {
    findings.push(...(await checkHead(run, context, replay, replay.head, runs)));
  }

  const statements = reportStatements(changes, runs);
  const environment = replay.withRows.preamble.map((s) => toStatement(s, changes.relative));
  findings.push(
    ...(await progress.stage('lint', () =>
      lint(lintInput(changes, runs, statements, replay.baseSchema, replay.baseRows, environment)),
    )),
  );

  const revisions = project.load.revisions.map((r) => {
    const ran = runs.get(r.id);
    return {
      ...reportRevision(project, changes, r.id),
      applied: ran === undefined ? replay.frontier.failure === null : ran.applied,
      durationMs: ran?.durationMs ?? 0,
      statements: statements.get(r.id) ?? [],
    };
  });
  findings.push(...isolationFindings(server.access, bridge));
  return assemble(run, findings, revisions, {
    database: server.description,
    postgres: await server.serverVersion(),
    environmentStatements: environment,
    isolation: isolationInfo(server.access, bridge),
  });
}

/** On the migrated head: drift against the models, the ORM smoke test, the round trip. */
async function checkHead(
  run: Run,
  context: ReplayContext,
  replay: Replay,
  head: HeadState,
  runs: ReadonlyMap<string, RevisionRun>,
): Promise<Finding[]> {
  const { progress, changes } = run;
  const findings: Finding[] = [];
  if (head.withoutRows) progress.note('drift, ORM smoke test and round trip use the replay without rows');
  const configure = replay.withRows.configure ?? replay.frontier.configure;

  const models = await progress.stage('build models database', () => buildModels(context, head));
  findings.push(...models.findings);
  const modelsSchema = models.schema;
  if (modelsSchema !== null) {
    findings.push(
      ...(await progress.stage('diff schema', () =>
        diffSchemas(head.schema, modelsSchema, {
          exclude: models.excluded,
          versionTable: versionTableKey(configure),
          modelClasses: models.modelClasses.map((c) => ({ ...c, file: changes.relative(c.file) })),
          // Like autogenerate: other schemas only with include_schemas (or when the models use them).
          ...(configure?.includeSchemas === true ? {} : { schemas: ['public', ...models.schemas] }),
        }),
      )),
    );
    const orm = await progress.stage(
      'ORM smoke test',
      () => ormSmokeTest(context, head, changes.relative),
      (o) => `${o.checked} mapped classes`,
    );
    findings.push(...orm.findings);
  }

  const baseSchema = replay.baseSchema;
  if (baseSchema !== null && changes.plan.newRevisions.length > 0) {
    const trip = await progress.stage('downgrade round trip', () =>
      roundTrip(
        context,
        changes.plan,
        head,
        baseSchema,
        (id) => runs.get(id)?.statements ?? [],
        changes.relative,
      ),
    );
    findings.push(...trip.findings);
  }
  return findings;
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
    changes.plan.newRevisions.map((r): [string, RevisionRun] => [
      r.id,
      { statements: offline.statements.get(r.id) ?? [], applied: false, durationMs: 0, lockTimeout: null },
    ]),
  );
  const statements = reportStatements(changes, runs);
  const environment = offline.preamble.map((s) => toStatement(s, changes.relative));
  findings.push(
    ...(await progress.stage('lint', () =>
      lint(lintInput(changes, runs, statements, null, {}, environment)),
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
    isolation: isolationInfo(undefined, bridge),
  });
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
  changes: Changes,
  runs: ReadonlyMap<string, RevisionRun>,
  statements: ReadonlyMap<string, Statement[]>,
  baseSchema: Schema | null,
  baseRows: Record<string, number>,
  environmentStatements: Statement[],
) {
  return {
    revisions: changes.plan.newRevisions.map((r) => ({
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

/** The Review: findings after suppressions and severity overrides, new revisions first. */
function assemble(
  run: Run,
  raw: Finding[],
  unordered: Revision[],
  database: {
    database: string;
    postgres: string;
    environmentStatements: Review['environmentStatements'];
    isolation: Review['environment']['isolation'];
  },
): Review {
  const { options, project, changes, progress } = run;
  const findings = applyPolicy(raw, {
    severity: options.severity,
    readFile: (file) => {
      try {
        return readFileSync(path.join(changes.root, file), 'utf8');
      } catch {
        return undefined;
      }
    },
  });
  const order = new Map(changes.plan.newRevisions.map((r, index) => [r.id, index]));
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
    timings: progress.timings,
    environment: {
      python: project.hello.python,
      alembic: project.hello.alembic,
      sqlalchemy: project.hello.sqlalchemy,
      driver: project.load.driver,
      database: database.database,
      postgres: database.postgres,
      ...(database.isolation === undefined ? {} : { isolation: database.isolation }),
    },
    environmentStatements: database.environmentStatements,
  };
}
