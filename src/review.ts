// The review pipeline, top to bottom (DESIGN.md "Pipeline"). Each stage is a
// function from typed input to typed output; this file only sequences them
// and guarantees teardown.
import { inspectProject, openBridge } from './alembic/project.ts';
import { migrationFailed, revisionTimedOut } from './checks/runtime.ts';
import { resolveProvider } from './database/auto.ts';
import type { DatabaseProvider } from './database/provider.ts';
import { UsageError } from './errors.ts';
import { summarize, type Finding, type Review, type Revision } from './model.ts';
import type { Options } from './options.ts';
import { Progress } from './progress.ts';
import { findChanges } from './replay/changes.ts';
import { replayPlan, toStatement, type UpgradeOutcome } from './replay/replay.ts';
import type { BridgeRevision } from './alembic/protocol.ts';
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
    if (changes.plan.newRevisions.length > options.maxNewRevisions) {
      throw new UsageError(
        'usage',
        `The change adds ${changes.plan.newRevisions.length} revisions, more than max-new-revisions (${options.maxNewRevisions}). Check --base (is it the right branch?), or raise max-new-revisions for this run.`,
      );
    }
    if (options.database === 'none') {
      throw new UsageError('usage', '--database none (offline mode) is not available yet.');
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
    const context = { bridge, python: project.python, provider: server, urlEnv: options.urlEnv };

    const replay = await progress.stage(
      'replay',
      async () => {
        const database = await server.createDatabase('rows');
        return replayPlan(context, database, changes.plan);
      },
      (r) => `${r.changes.steps.size} of ${changes.plan.newRevisions.length} new revisions applied`,
    );

    const findings: Finding[] = [];
    const pathOf = (id: string | null): string | undefined =>
      project.load.revisions.find((r) => r.id === id)?.path;
    for (const outcome of [replay.frontier, replay.changes]) findings.push(...failures(outcome, changes.relative, pathOf));

    const newIds = new Set(changes.plan.newRevisions.map((r) => r.id));
    const revisions = project.load.revisions.map((r) =>
      toRevision(r, newIds.has(r.id), replay.frontier, replay.changes, changes.relative),
    );
    const versions = project.hello;
    const postgres = await server.serverVersion();
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
        python: versions.python,
        alembic: versions.alembic,
        sqlalchemy: versions.sqlalchemy,
        driver: project.load.driver,
        database: server.description,
        postgres,
      },
      environmentStatements: replay.changes.preamble.map((s) => toStatement(s, changes.relative)),
    };
  } finally {
    await bridge.close();
    await provider?.stop();
  }
}

function failures(
  outcome: UpgradeOutcome,
  relative: (file: string) => string,
  pathOf: (id: string | null) => string | undefined,
): Finding[] {
  const found: Finding[] = [];
  if (outcome.failure !== null) {
    found.push(migrationFailed(outcome.failure, relative, pathOf(outcome.failure.revision)));
  }
  if (outcome.timedOut !== null) {
    const file = pathOf(outcome.timedOut.revision);
    found.push(revisionTimedOut(outcome.timedOut, file === undefined ? undefined : relative(file)));
  }
  return found;
}

function toRevision(
  revision: BridgeRevision,
  isNew: boolean,
  frontier: UpgradeOutcome,
  changes: UpgradeOutcome,
  relative: (file: string) => string,
): Revision {
  const step = changes.steps.get(revision.id);
  const failed = changes.failure?.revision === revision.id ? changes.failure : null;
  const statements = step?.statements ?? failed?.statements ?? [];
  if (failed?.statement) statements.push(failed.statement);
  const baseApplied = frontier.failure === null && frontier.timedOut === null;
  return {
    id: revision.id,
    path: relative(revision.path),
    new: isNew,
    downRevisions: revision.downRevisions,
    dependsOn: revision.dependsOn,
    branchLabels: revision.branchLabels,
    message: revision.message,
    applied: isNew ? step !== undefined : baseApplied,
    durationMs: step?.durationMs ?? 0,
    statements: statements.map((s) => toStatement(s, relative)),
  };
}
