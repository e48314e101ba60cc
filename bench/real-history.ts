// A real migration history: a checkout of an open-source project with a long
// PostgreSQL Alembic history (default: osparc-simcore's postgres-database, kept
// outside this repository and never committed). Replays the whole history
// through the bridge, treating the last 3 revisions as the PR: upgrade to the
// frontier without capture, then to the heads with capture (BENCH_ROUNDS
// rounds, against a plain `alembic upgrade heads` for reference, and a plain
// `alembic upgrade heads` of the PR's revisions alone on a database already at
// the frontier: what a developer waits for when the database is warm), all on
// one server (a tmpfs cluster, see tmpfs-server.ts, or BENCH_DATABASE_URL's). Then
// runs the review CLI (dist/cli.js, built first) end to end with --since:
// cold (an empty base cache: the history is replayed and cached), warm
// (BENCH_ROUNDS runs restoring the base from that cache, each after a plain
// upgrade of the PR alone: the ratio compares runs made side by side), and
// once with every model module imported (BENCH_IMPORT_ALL, warm). The review
// runs the project's code as the sandbox's user (nobody, when the bench runs
// as root): the interpreter must be one that user can run, or the review runs
// it in its fallback and the bench measures that (the results say which ran).
// Records revisions applied,
// statements captured, wall times and findings in bench/results/real-history.{json,md}.
// Run: node_modules/.bin/node bench/real-history.ts [project-dir] [python]
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { Bridge } from '../src/alembic/bridge.ts';
import type { BridgeRevision } from '../src/alembic/protocol.ts';
import {
  createThrowawayDatabase,
  DATABASE_PREFIX,
  dropThrowawayDatabase,
  withClient,
} from '../src/database/server.ts';
import { formatPostgresUrl } from '../src/database/url.ts';
import { descendantsOf, headsOf, topologicalOrder } from '../src/replay/plan.ts';
import { benchServer } from './tmpfs-server.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const PROJECT = path.resolve(process.argv[2] ?? '/work/corpus/osparc-simcore/packages/postgres-database');
const PYTHON = process.argv[3] ?? '/work/corpus/venv/bin/python';
const PR_SIZE = 3;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * A second CLI run with every module of this package imported (env.py's
 * metadata of the default corpus lacks most tables; see the results). Empty: no second run.
 */
const IMPORT_ALL =
  process.env.BENCH_IMPORT_ALL ??
  (existsSync(path.join(PROJECT, 'src/simcore_postgres_database/models'))
    ? 'simcore_postgres_database.models'
    : '');

const SETUP = `The corpus is missing (project: ${PROJECT}, python: ${PYTHON}). Set it up outside this repository:

  git clone https://github.com/ITISFoundation/osparc-simcore /work/corpus/osparc-simcore
  git -C /work/corpus/osparc-simcore checkout 19a5f9dd4272cc9adffe5f291483d3f0e10fc017   # the recorded results' commit (273 revisions)
  python3.13 -m venv /work/corpus/venv        # the project requires Python ~=3.13, one the sandbox's user (nobody) can run: not under a private /root
  cd /work/corpus/osparc-simcore/packages
  grep -v '^ *#' postgres-database/requirements/_base.txt | grep . > /tmp/pg-base.txt
  /work/corpus/venv/bin/pip install -r /tmp/pg-base.txt
  /work/corpus/venv/bin/pip install --no-deps -e ./common-library -e ./postgres-database

then run: node_modules/.bin/node bench/real-history.ts [project-dir] [python]`;

if (!existsSync(PROJECT) || !existsSync(PYTHON)) {
  console.error(SETUP);
  process.exit(2);
}

/** alembic.ini at the project's root, else the shallowest one below it. */
function findAlembicIni(dir: string): string | undefined {
  let level = [dir];
  for (let depth = 0; depth < 4 && level.length > 0; depth++) {
    const next: string[] = [];
    for (const current of level) {
      const entries = readdirSync(current, { withFileTypes: true });
      if (entries.some((e) => e.isFile() && e.name === 'alembic.ini'))
        return path.join(current, 'alembic.ini');
      for (const e of entries) {
        if (
          e.isDirectory() &&
          !e.name.startsWith('.') &&
          !['node_modules', 'venv', '__pycache__'].includes(e.name)
        ) {
          next.push(path.join(current, e.name));
        }
      }
    }
    level = next.sort();
  }
  return undefined;
}

async function gitInfo(
  dir: string,
): Promise<{ remote: string | null; commit: string | null; date: string | null }> {
  const git = async (...args: string[]): Promise<string | null> => {
    const result = await execa('git', ['-C', dir, ...args], { reject: false });
    return result.exitCode === 0 ? String(result.stdout).trim() : null;
  };
  return {
    remote: await git('config', '--get', 'remote.origin.url'),
    commit: await git('rev-parse', 'HEAD'),
    date: await git('log', '-1', '--format=%cI'),
  };
}

async function ourDatabases(): Promise<Set<string>> {
  return withClient(SERVER, async (client) => {
    const result = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${DATABASE_PREFIX}%`],
    );
    return new Set(result.rows.map((r) => r.datname));
  });
}

/** The names the review CLI gives its databases (src/database/server.ts newDatabaseName). */
const CLI_DATABASE = new RegExp(
  `^${DATABASE_PREFIX}(rows|empty|models|base|base_models|code_first|adversarial|app)_[0-9a-f]{10}$`,
);

const ms = (start: number): number => Math.round(performance.now() - start);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** `alembic upgrade heads` in a plain process, for reference. */
async function timePlain(configFile: string, url: string): Promise<number> {
  const script = `import sys
from alembic.config import Config
from alembic import command
config = Config(sys.argv[1])
config.set_main_option("sqlalchemy.url", sys.argv[2])
command.upgrade(config, "heads")
`;
  const start = performance.now();
  await execa(PYTHON, ['-c', script, configFile, url], {
    cwd: PROJECT,
    env: { PYTHONDONTWRITEBYTECODE: '1' },
  });
  return ms(start);
}

/** A plain `alembic upgrade heads` of the PR alone: the database brought to the frontier first, untimed. */
async function timePrOnly(configFile: string, url: string, frontier: string[]): Promise<number> {
  const script = `import sys
from alembic.config import Config
from alembic import command
config = Config(sys.argv[1])
config.set_main_option("sqlalchemy.url", sys.argv[2])
command.upgrade(config, sys.argv[3])
`;
  const options = { cwd: PROJECT, env: { PYTHONDONTWRITEBYTECODE: '1' } };
  for (const head of frontier) await execa(PYTHON, ['-c', script, configFile, url, head], options);
  const start = performance.now();
  await execa(PYTHON, ['-c', script, configFile, url, 'heads'], options);
  return ms(start);
}

interface BridgeRun {
  hello: { python: string; alembic: string; sqlalchemy: string; driver: string };
  totalRevisions: number;
  heads: string[];
  frontier: string[];
  pr: { id: string; file: string; message: string; statements: number; durationMs: number }[];
  since: string | null;
  sinceMatchesPr: boolean;
  frontierApplied: number;
  prApplied: number;
  statementsCaptured: number;
  environmentStatements: number;
  failure: string | null;
  ms: {
    startAndHello: number;
    load: number;
    frontierUpgrade: number;
    prUpgradeWithCapture: number;
    total: number;
  };
}

async function runBridge(
  configFile: string,
  database: { url: string; name: string; token: string },
): Promise<BridgeRun> {
  const total = performance.now();
  const bridge = new Bridge({ python: PYTHON, projectDir: PROJECT, passEnv: [], revisionTimeoutMs: 600_000 });
  try {
    let start = performance.now();
    const hello = await bridge.call('hello', {});
    const startAndHello = ms(start);
    start = performance.now();
    const load = await bridge.call('load', { configFile, tomlFile: null });
    const loadMs = ms(start);

    const ordered = topologicalOrder(load.revisions);
    if (ordered.length !== load.revisions.length)
      throw new Error('the revision graph has a cycle or dangling parents');
    const prRevisions = ordered.slice(-PR_SIZE);
    const prIds = new Set(prRevisions.map((r) => r.id));
    const base = load.revisions.filter((r) => !prIds.has(r.id));
    const frontier = headsOf(base);
    const heads = headsOf(load.revisions);
    // The CLI's --since REV reviews every descendant of REV: it matches this
    // PR when the frontier is one revision whose descendants are exactly the PR.
    const since = frontier.length === 1 ? (frontier[0] as string) : null;
    const sinceMatchesPr =
      since !== null && sameSet(descendantsOf(load.revisions, since), prIds) && prIds.size === PR_SIZE;

    const target = { url: database.url, expect: { name: database.name, token: database.token }, urlEnv: [] };
    start = performance.now();
    const frontierRun = await bridge.call('upgrade', { ...target, targets: frontier, capture: false });
    const frontierMs = ms(start);
    let failure = describeFailure('frontier', frontierRun.failed);

    const perRevision = new Map<string, { statements: number; durationMs: number }>();
    let prRun = { applied: [] as string[], preamble: [] as unknown[] };
    let prMs = 0;
    if (failure === null) {
      start = performance.now();
      const run = await bridge.call('upgrade', { ...target, targets: heads, capture: true }, (event) => {
        if (event.event === 'step-end') {
          perRevision.set(event.revision, {
            statements: event.statements.length,
            durationMs: event.durationMs,
          });
        }
      });
      prMs = ms(start);
      prRun = run;
      failure = describeFailure('PR', run.failed);
    }
    return {
      hello: {
        python: hello.python,
        alembic: hello.alembic,
        sqlalchemy: hello.sqlalchemy,
        driver: load.driver,
      },
      totalRevisions: load.revisions.length,
      heads,
      frontier,
      pr: prRevisions.map((r: BridgeRevision) => ({
        id: r.id,
        file: path.relative(PROJECT, r.path),
        message: r.message.split('\n')[0] ?? '',
        statements: perRevision.get(r.id)?.statements ?? 0,
        durationMs: Math.round(perRevision.get(r.id)?.durationMs ?? 0),
      })),
      since,
      sinceMatchesPr,
      frontierApplied: frontierRun.applied.length,
      prApplied: prRun.applied.length,
      statementsCaptured: [...perRevision.values()].reduce((sum, r) => sum + r.statements, 0),
      environmentStatements: prRun.preamble.length,
      failure,
      ms: {
        startAndHello,
        load: loadMs,
        frontierUpgrade: frontierMs,
        prUpgradeWithCapture: prMs,
        total: ms(total),
      },
    };
  } finally {
    await bridge.close();
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function describeFailure(
  phase: string,
  failed: { revision: string | null; message: string } | null,
): string | null {
  return failed === null
    ? null
    : `${phase} upgrade failed at ${failed.revision ?? '(env.py)'}: ${failed.message}`;
}

interface CliRun {
  label: string;
  pythonpath: string | null;
  exitCode: number | undefined;
  wallMs: number;
  verdict: string | null;
  summary: Record<string, unknown> | null;
  error: string | null;
  newRevisions: number;
  appliedNewWithRows: number;
  statementsCapturedNew: number;
  findingsByRule: Record<string, number>;
  /** From the report; without a report, the stages that finished as printed on stderr (0.1 s precision). */
  timings: Record<string, number>;
  timingsFrom: 'report' | 'stderr';
  progress: string[];
  /** Databases named like the CLI's that appeared while it ran and were still there when it exited. */
  databasesLeftOver: string[];
  /** Where the project's code ran (the report's environment.isolation.process). */
  sandbox: string | null;
}

interface ReportShape {
  summary?: Record<string, unknown>;
  revisions?: { id: string; new: boolean; applied: boolean; statements: unknown[] }[];
  findings?: { ruleId: string }[];
  timings?: Record<string, number>;
  environment?: { isolation?: { process?: string } };
}

/** Stage timings from the progress lines: "[  3.5s] open project done in 3.5 s: ...". */
function timingsFromProgress(lines: readonly string[]): Record<string, number> {
  const timings: Record<string, number> = {};
  for (const line of lines) {
    const match = /^\[\s*[\d.]+s\] (.+?) done in ([\d.]+) (ms|s)\b/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      timings[match[1]] = Math.round(Number(match[2]) * (match[3] === 's' ? 1000 : 1));
    }
  }
  return timings;
}

/** A sitecustomize.py that imports every module of a package, in a fresh folder for PYTHONPATH. */
function importAllFolder(pkg: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ar-bench-import-all-'));
  writeFileSync(
    path.join(dir, 'sitecustomize.py'),
    `import importlib, pkgutil\n_package = importlib.import_module(${JSON.stringify(pkg)})\nfor _module in pkgutil.walk_packages(_package.__path__, _package.__name__ + "."):\n    importlib.import_module(_module.name)\n`,
  );
  return dir;
}

async function runCli(
  configFile: string,
  since: string,
  label: string,
  pythonpath: string | null,
  cacheArgs: string[],
): Promise<CliRun> {
  const out = mkdtempSync(path.join(tmpdir(), 'ar-bench-real-'));
  const output = path.join(out, 'report.json');
  try {
    const before = await ourDatabases();
    const start = performance.now();
    const result = await execa(
      process.execPath,
      [
        path.join(ROOT, 'dist/cli.js'),
        'review',
        '--project',
        PROJECT,
        '--config',
        configFile,
        '--since',
        since,
        '--database',
        'url',
        '--database-url',
        formatPostgresUrl(SERVER),
        '--python',
        PYTHON,
        '--format',
        'json',
        '--output',
        output,
        ...cacheArgs,
      ],
      { reject: false, cwd: ROOT, env: pythonpath === null ? {} : { PYTHONPATH: pythonpath } },
    );
    const wallMs = ms(start);
    // Only names the CLI makes (its purposes): other benches and tests share the server.
    const databasesLeftOver = [...(await ourDatabases())].filter(
      (name) => !before.has(name) && CLI_DATABASE.test(name),
    );
    const progress = String(result.stderr).split('\n');
    const report = existsSync(output) ? (JSON.parse(readFileSync(output, 'utf8')) as ReportShape) : null;
    const findingsByRule: Record<string, number> = {};
    for (const f of report?.findings ?? []) findingsByRule[f.ruleId] = (findingsByRule[f.ruleId] ?? 0) + 1;
    const fresh = (report?.revisions ?? []).filter((r) => r.new);
    return {
      label,
      pythonpath,
      exitCode: result.exitCode,
      wallMs,
      verdict: typeof report?.summary?.verdict === 'string' ? report.summary.verdict : null,
      summary: report?.summary ?? null,
      error: progress.find((line) => line.startsWith('alembic-review: ')) ?? null,
      newRevisions: fresh.length,
      appliedNewWithRows: fresh.filter((r) => r.applied).length,
      statementsCapturedNew: fresh.reduce((sum, r) => sum + r.statements.length, 0),
      findingsByRule: Object.fromEntries(
        Object.entries(findingsByRule).sort(([a], [b]) => a.localeCompare(b)),
      ),
      timings: report?.timings ?? timingsFromProgress(progress),
      timingsFrom: report?.timings === undefined ? 'stderr' : 'report',
      progress: progress.filter((line) => line.trim() !== '').slice(-40),
      databasesLeftOver,
      sandbox: report?.environment?.isolation?.process ?? null,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const configFile = findAlembicIni(PROJECT);
if (configFile === undefined) {
  console.error(`No alembic.ini in ${PROJECT} or below it.`);
  process.exit(2);
}

// Every run on one server: by default a tmpfs cluster like the review's own (see tmpfs-server.ts).
const server = await benchServer();
const SERVER = server.address;
const bridgeRuns: BridgeRun[] = [];
const plainMs: number[] = [];
const prOnlyMs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const made: string[] = [];
  try {
    const database = await createThrowawayDatabase(SERVER, 'bench_real');
    made.push(database.name);
    bridgeRuns.push(await runBridge(configFile, database));
    const plain = await createThrowawayDatabase(SERVER, 'bench_real_plain');
    made.push(plain.name);
    plainMs.push(await timePlain(configFile, plain.url));
  } finally {
    for (const name of made) await dropThrowawayDatabase(SERVER, name);
  }
}

/** One plain upgrade of the PR alone, on a fresh database brought to the frontier first (untimed). */
async function prOnlyRound(frontier: string[]): Promise<number> {
  const prOnly = await createThrowawayDatabase(SERVER, 'bench_real_pr');
  try {
    return await timePrOnly(configFile as string, prOnly.url, frontier);
  } finally {
    await dropThrowawayDatabase(SERVER, prOnly.name);
  }
}
const bridgeRun = bridgeRuns.at(-1) as BridgeRun;
const summary = (values: number[]): { median: number; all: number[] } => ({
  median: median(values),
  all: values,
});
if (bridgeRun.failure !== null) console.error(bridgeRun.failure);

const cliRuns: CliRun[] = [];
const warmRuns: CliRun[] = [];
if (bridgeRun.since !== null) {
  await execa(process.execPath, [path.join(ROOT, 'scripts/build.ts')], { cwd: ROOT });
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'ar-bench-real-cache-'));
  const cache = ['--cache-dir', cacheDir];
  try {
    cliRuns.push(await runCli(configFile, bridgeRun.since, 'cold (empty base cache)', null, cache));
    // Interleaved with the plain upgrade of the PR alone, round by round: the ratio
    // compares runs made at the same time (the machine's speed drifts).
    for (let round = 0; round < ROUNDS; round++) {
      prOnlyMs.push(await prOnlyRound(bridgeRun.frontier));
      warmRuns.push(await runCli(configFile, bridgeRun.since, `warm, round ${round + 1}`, null, cache));
    }
    const warmMedian = [...warmRuns].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(warmRuns.length / 2)];
    if (warmMedian !== undefined) cliRuns.push({ ...warmMedian, label: `warm (the median of ${ROUNDS})` });
    if (IMPORT_ALL !== '') {
      const folder = importAllFolder(IMPORT_ALL);
      try {
        cliRuns.push(
          await runCli(
            configFile,
            bridgeRun.since,
            `warm, every module of ${IMPORT_ALL} imported`,
            folder,
            cache,
          ),
        );
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
await server.stop();
const warmMs = median(warmRuns.map((r) => r.wallMs));
const prOnlyMedian = median(prOnlyMs);
const git = await gitInfo(PROJECT);
const result = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  server: server.description,
  project: {
    dir: PROJECT,
    configFile: path.relative(PROJECT, configFile),
    remote: git.remote,
    commit: git.commit,
    commitDate: git.date,
  },
  python: bridgeRun.hello,
  totalRevisions: bridgeRun.totalRevisions,
  heads: bridgeRun.heads,
  frontier: bridgeRun.frontier,
  pr: bridgeRun.pr,
  revisionsApplied: {
    frontier: bridgeRun.frontierApplied,
    pr: bridgeRun.prApplied,
    total: bridgeRun.frontierApplied + bridgeRun.prApplied,
  },
  statementsCapturedPr: bridgeRun.statementsCaptured,
  environmentStatementsPr: bridgeRun.environmentStatements,
  bridgeFailure: bridgeRun.failure,
  rounds: ROUNDS,
  wallMs: {
    bridgeStartAndHello: summary(bridgeRuns.map((r) => r.ms.startAndHello)),
    load: summary(bridgeRuns.map((r) => r.ms.load)),
    frontierUpgrade: summary(bridgeRuns.map((r) => r.ms.frontierUpgrade)),
    prUpgradeWithCapture: summary(bridgeRuns.map((r) => r.ms.prUpgradeWithCapture)),
    bridgeTotal: summary(bridgeRuns.map((r) => r.ms.total)),
    plainAlembicUpgradeHeads: summary(plainMs),
    plainAlembicUpgradePrOnly: summary(prOnlyMs),
    cliReview: cliRuns.map((r) => ({ run: r.label, ms: r.wallMs })),
    cliReviewWarm: summary(warmRuns.map((r) => r.wallMs)),
  },
  targets: {
    warmUnder5s: warmMs < 5000,
    warmVsPrOnly: prOnlyMedian === 0 ? null : Number((warmMs / prOnlyMedian).toFixed(2)),
    warmAtMost2xPrOnly: prOnlyMedian !== 0 && warmMs <= 2 * prOnlyMedian,
  },
  cli: { since: bridgeRun.since, sinceMatchesPr: bridgeRun.sinceMatchesPr, runs: cliRuns },
};

mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench/results/real-history.json'), `${JSON.stringify(result, null, 2)}\n`);

const table = (header: string, entries: [string, unknown][]): string =>
  `| ${header} |\n|---|---|\n${entries.map(([k, v]) => `| ${k} | ${String(v)} |`).join('\n')}`;

const timing = (t: { median: number; all: number[] }): string => `${t.median} ms (${t.all.join(', ')})`;

function cliSection(run: CliRun): string {
  return `### ${run.label}${run.pythonpath === null ? '' : ' (a sitecustomize.py on PYTHONPATH)'}

${table('measure | value', [
  ['exit code', run.exitCode],
  ['verdict', run.verdict ?? 'no report'],
  ['error', run.error ?? 'none'],
  ['summary', run.summary === null ? '-' : JSON.stringify(run.summary)],
  ['new revisions in the report (applied with rows)', `${run.newRevisions} (${run.appliedNewWithRows})`],
  ['statements captured for new revisions', run.statementsCapturedNew],
  ['wall time', `${run.wallMs} ms`],
  ["where the project's code ran", run.sandbox ?? '-'],
  [
    'its databases (alembic_review_rows/empty/models/base…_*) left over',
    run.databasesLeftOver.length === 0 ? 'none' : run.databasesLeftOver.join(', '),
  ],
])}

Timings per stage (${run.timingsFrom === 'report' ? 'from the report' : 'stages that finished, from the progress lines'}):

${table('stage | ms', Object.entries(run.timings))}

Findings by rule:

${table('rule | count', Object.keys(run.findingsByRule).length === 0 ? [['(none)', 0]] : Object.entries(run.findingsByRule))}
`;
}

writeFileSync(
  path.join(ROOT, 'bench/results/real-history.md'),
  `# A real history (${result.date.slice(0, 10)}, ${result.machine.cpus} cores, Node ${result.machine.node})

Project: ${result.project.remote ?? result.project.dir} at \`${result.project.commit ?? 'unknown'}\` (${result.project.commitDate ?? '?'}), config \`${result.project.configFile}\`.
Python ${result.python.python}, Alembic ${result.python.alembic}, SQLAlchemy ${result.python.sqlalchemy}, driver ${result.python.driver}.
Server: ${result.server}.

${result.totalRevisions} revisions; the last ${PR_SIZE} in dependency order are treated as the PR:

| revision | file | statements | ms |
|---|---|---|---|
${result.pr.map((r) => `| \`${r.id}\` ${r.message} | \`${r.file}\` | ${r.statements} | ${r.durationMs} |`).join('\n')}

## Bridge (one process: hello, load, upgrade to the frontier, upgrade to the heads with capture)

Wall times: median of ${ROUNDS} rounds (all rounds in brackets); each round uses a fresh database.

${table('measure | value', [
  [
    'revisions applied (frontier + PR)',
    `${result.revisionsApplied.frontier} + ${result.revisionsApplied.pr} = ${result.revisionsApplied.total}`,
  ],
  ['statements captured for the PR revisions', result.statementsCapturedPr],
  ['failure', result.bridgeFailure ?? 'none'],
  ['start + hello', timing(result.wallMs.bridgeStartAndHello)],
  ['load (graph + static facts)', timing(result.wallMs.load)],
  ['upgrade to the frontier (no capture)', timing(result.wallMs.frontierUpgrade)],
  ['upgrade the PR with capture', timing(result.wallMs.prUpgradeWithCapture)],
  ['bridge total', timing(result.wallMs.bridgeTotal)],
  ['reference: plain `alembic upgrade heads` (process)', timing(result.wallMs.plainAlembicUpgradeHeads)],
])}

## Warm review vs the targets

Each warm review follows a plain \`alembic upgrade heads\` of the PR alone (a process, on a fresh database brought to the frontier first, untimed), round by round.

${table('measure | value', [
  [
    'plain `alembic upgrade heads` of the PR alone (process, database at the frontier)',
    timing(result.wallMs.plainAlembicUpgradePrOnly),
  ],
  ['warm review (median of the warm runs)', timing(result.wallMs.cliReviewWarm)],
  ['cold review', `${cliRuns[0]?.wallMs ?? '-'} ms`],
  ['warm < 5 s', result.targets.warmUnder5s],
  ['warm / plain upgrade of the PR alone', `${result.targets.warmVsPrOnly ?? '-'}× (target ≤ 2×)`],
])}

## Review CLI end to end (\`node dist/cli.js review --since ${result.cli.since ?? '?'} --database url --format json --cache-dir DIR\`)

${
  result.cli.since === null
    ? 'Not run: the frontier is not a single revision, so no --since selects the PR.'
    : `--since selects exactly the PR: ${result.cli.sinceMatchesPr}.\n\n${cliRuns.map(cliSection).join('\n')}`
}
The bench's own databases are dropped after each round.
`,
);
console.log(JSON.stringify(result, null, 2));
if (bridgeRun.failure !== null) process.exitCode = 1;
