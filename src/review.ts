// The review pipeline, top to bottom (DESIGN.md "Pipeline"). Each stage is a
// function from typed input to typed output; this file only sequences them,
// assembles the Review and guarantees teardown.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inspectProject, openBridge, type ProjectInfo } from './alembic/project.ts';
import { checkGraph } from './checks/graph.ts';
import { lockFindings, replayFailures, seedFindings } from './checks/runtime.ts';
import { resolveProvider } from './database/auto.ts';
import type { DatabaseProvider } from './database/provider.ts';
import { UsageError } from './errors.ts';
import { lint } from './lint/engine.ts';
import { summarize, type Finding, type Review, type Revision } from './model.ts';
import type { Options } from './options.ts';
import { Progress } from './progress.ts';
import { findChanges, type Changes } from './replay/changes.ts';
import { buildModels, incomplete, ormSmokeTest } from './replay/models.ts';
import { offlineReplay } from './replay/offline.ts';
import { replayChange, revisionRun, toStatement, type Replay, type ReplayContext } from './replay/replay.ts';
import { roundTrip } from './replay/roundtrip.ts';
import { applyPolicy } from './rules/policy.ts';
import { diffSchemas } from './schema/diff.ts';
import { TOOL } from './version.ts';

export interface ReviewIO {
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** Lines the project's Python wrote to stderr. */
  pythonOutput: (line: string) => void;
}

export async function review(options: Options, io: ReviewIO): Promise<Review> {
  const progress = new Progress(io.log);
  const bridge = openBridge(options, io.pythonOutput);
  let provider: DatabaseProvider | undefined;
  try {
    const project = await progress.stage(
      'open project',
      () => inspectProject(bridge, options),
      (p) => `${p.load.revisions.length} revisions, Alembic ${p.hello.alembic}, SQLAlchemy ${p.hello.sqlalchemy}`,
    );
    const changes = await progress.stage(
      'find new revisions',
      () => findChanges(options, project.load),
      (c) => `${c.plan.newRevisions.length} new since ${c.base}`,
    );
    refuseHugeChange(changes, options);
    const findings: Finding[] = checkGraph(changes.plan, changes.relative);

    if (options.database === 'none') {
      const offline = await progress.stage('replay offline (upgrade --sql)', () =>
        offlineReplay(bridge, project, changes.plan, options.urlEnv),
      );
      const revisions = project.load.revisions.map((r) => ({
        ...reportRevision(project, changes, r.id),
        applied: false,
        statements: (offline.statements.get(r.id) ?? []).map((s) => toStatement(s, changes.relative)),
      }));
      findings.push(
        ...(await progress.stage('lint', () =>
          Promise.resolve(
            lint({
              revisions: changes.plan.newRevisions.map((r) => ({
                id: r.id,
                path: changes.relative(r.path),
                statements: (offline.statements.get(r.id) ?? []).map((s) => toStatement(s, changes.relative)),
                lockTimeout: null,
              })),
              baseSchema: null,
              baseRows: {},
              environmentStatements: offline.preamble.map((s) => toStatement(s, changes.relative)),
            }),
          ),
        )),
      );
      return assemble(options, project, changes, progress, findings, revisions, 'none (offline: upgrade --sql)', 'n/a', []);
    }

    const selected = await progress.stage(
      'provision database',
      async () => {
        const choice = await resolveProvider(options.database === 'none' ? 'auto' : options.database, {
          databaseUrl: options.databaseUrl,
          postgresImage: options.postgresImage,
          log: (line) => {
            progress.note(line);
          },
        });
        provider = choice.provider;
        progress.note(choice.reason);
        await choice.provider.start();
        return choice;
      },
      (s) => s.provider.description,
    );
    const server = selected.provider;
    const context: ReplayContext = {
      bridge,
      python: project.python,
      provider: server,
      urlEnv: options.urlEnv,
      log: (line) => {
        progress.note(line);
      },
    };

    const replay = await progress.stage(
      'replay',
      () => replayChange(context, changes.plan, { seedRows: options.seedRows, seedSql: options.seedSql }),
      (r) => `${r.withRows.steps.size} of ${changes.plan.newRevisions.length} new revisions applied with rows`,
    );
    findings.push(...replayFailures(replay, project.load.revisions, changes.relative, options.seedRows));
    findings.push(...seedFindings(replay.seedFailures, options.seedRows));
    const runs = new Map(changes.plan.newRevisions.map((r) => [r.id, revisionRun(replay, r.id)]));
    findings.push(
      ...lockFindings(
        new Map([...runs].map(([id, run]) => [id, run.statements])),
        changes.plan.newRevisions,
        replay.baseSchema,
        replay.baseRows,
        changes.relative,
      ),
    );

    const head = replay.head;
    if (head === null) {
      findings.push(
        incomplete(
          'No replay reached the head of the change (a revision fails even on an empty database), so drift, the ORM smoke test and the downgrade round trip were skipped.',
        ),
      );
    } else {
      if (head.withoutRows) progress.note('drift, ORM smoke test and round trip use the replay without rows');
      const models = await progress.stage('build models database', () => buildModels(context, head));
      findings.push(...models.findings);
      if (models.schema !== null) {
        const modelsSchema = models.schema;
        findings.push(
          ...(await progress.stage('diff schema', () =>
            Promise.resolve(
              diffSchemas(head.schema, modelsSchema, {
                exclude: models.excluded,
                versionTable: replay.withRows.configure?.versionTable ?? 'alembic_version',
                modelClasses: models.modelClasses.map((c) => ({ ...c, file: changes.relative(c.file) })),
              }),
            ),
          )),
        );
        const orm = await progress.stage(
          'ORM smoke test',
          () => ormSmokeTest(context, head, changes.relative),
          (o) => `${o.checked} mapped classes`,
        );
        findings.push(...orm.findings);
      }
      if (replay.baseSchema !== null && changes.plan.newRevisions.length > 0) {
        const baseSchema = replay.baseSchema;
        const trip = await progress.stage('downgrade round trip', () =>
          roundTrip(context, changes.plan, head, baseSchema, (id) => runs.get(id)?.statements ?? [], changes.relative),
        );
        findings.push(...trip.findings);
      }
    }

    findings.push(
      ...(await progress.stage('lint', () =>
        Promise.resolve(
          lint({
            revisions: changes.plan.newRevisions.map((r) => ({
              id: r.id,
              path: changes.relative(r.path),
              statements: (runs.get(r.id)?.statements ?? []).map((s) => toStatement(s, changes.relative)),
              lockTimeout: runs.get(r.id)?.lockTimeout ?? null,
            })),
            baseSchema: replay.baseSchema,
            baseRows: replay.baseRows,
            environmentStatements: replay.withRows.preamble.map((s) => toStatement(s, changes.relative)),
          }),
        ),
      )),
    );

    const revisions = project.load.revisions.map((r) => {
      const run = runs.get(r.id);
      return {
        ...reportRevision(project, changes, r.id),
        applied: run === undefined ? replay.frontier.failure === null : run.applied,
        durationMs: run?.durationMs ?? 0,
        statements: (run?.statements ?? []).map((s) => toStatement(s, changes.relative)),
      };
    });
    return assemble(
      options,
      project,
      changes,
      progress,
      findings,
      revisions,
      server.description,
      await server.serverVersion(),
      environmentStatements(replay, changes),
    );
  } finally {
    await bridge.close();
    await provider?.stop();
  }
}

function refuseHugeChange(changes: Changes, options: Options): void {
  if (changes.plan.newRevisions.length > options.maxNewRevisions) {
    throw new UsageError(
      'usage',
      `The change adds ${changes.plan.newRevisions.length} revisions, more than max-new-revisions (${options.maxNewRevisions}). Check --base (is it the right branch?), or raise max-new-revisions for this run.`,
    );
  }
}

function environmentStatements(replay: Replay, changes: Changes) {
  return replay.withRows.preamble.map((s) => toStatement(s, changes.relative));
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

function assemble(
  options: Options,
  project: ProjectInfo,
  changes: Changes,
  progress: Progress,
  raw: Finding[],
  unordered: Revision[],
  database: string,
  postgres: string,
  environmentStatements: Review['environmentStatements'],
): Review {
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
  // New revisions in the order they apply, then the rest of the history.
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
      database,
      postgres,
    },
    environmentStatements,
  };
}
