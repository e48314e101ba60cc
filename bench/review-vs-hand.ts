// The whole review against what a team runs by hand before merging: `alembic
// upgrade head` then `alembic check` (two processes) on a fresh database, on
// the same server, interleaved round by round (median of BENCH_ROUNDS, 5 by
// default). Two projects: examples/blog (its pull request) and a generated
// one of 40 revisions over 30 tables (the last 2 revisions are the pull
// request). The review runs as users run it (dist/cli.js, built first) with
// --database url: warm (its base cache filled by a run before the rounds)
// and cold (--no-cache). The server: a tmpfs cluster started for the run
// (bench/tmpfs-server.ts says why), or BENCH_DATABASE_URL's. Records
// bench/results/review-vs-hand.{json,md}.
// Run: node_modules/.bin/node bench/review-vs-hand.ts
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { makeProject, type AlembicProject, type RevisionSpec } from '../__tests__/helpers/alembic-project.ts';
import { createThrowawayDatabase, dropThrowawayDatabase } from '../src/database/server.ts';
import { formatPostgresUrl } from '../src/database/url.ts';
import { benchServer } from './tmpfs-server.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE = process.execPath;
const CLI = path.join(ROOT, 'dist/cli.js');
const VENV = path.join(ROOT, '.venv');
// Both sides on one server: by default a tmpfs cluster like the review's own (see tmpfs-server.ts).
const server = await benchServer();
const SERVER = server.address;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TABLES = 30;
const REVISIONS = 40;
const TARGET = 1.5;

const ms = (start: number): number => Math.round(performance.now() - start);
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** 30 tables, each created by a revision, then 10 revisions adding a column; models to match. */
function generatedSpec(): { models: string; revisions: RevisionSpec[] } {
  const revisions: RevisionSpec[] = [];
  const id = (n: number): string => `r${String(n).padStart(11, '0')}`;
  const models = [
    'from sqlalchemy import Column, ForeignKey, Integer, String',
    'from sqlalchemy.orm import declarative_base',
    '',
    'Base = declarative_base()',
    '',
  ];
  const extra = REVISIONS - TABLES;
  for (let t = 1; t <= TABLES; t++) {
    const parent = t === 1 ? null : `t${t - 1}`;
    revisions.push({
      id: id(t),
      down: t === 1 ? null : id(t - 1),
      upgrade: `op.create_table('t${t}',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('name', sa.String(100), nullable=False),
    sa.Column('parent_id', sa.Integer(), ${parent === null ? '' : `sa.ForeignKey('${parent}.id'), `}nullable=True))
op.create_index('ix_t${t}_name', 't${t}', ['name'])`,
      downgrade: `op.drop_index('ix_t${t}_name', table_name='t${t}')\nop.drop_table('t${t}')`,
    });
    models.push(
      '',
      `class T${t}(Base):`,
      `    __tablename__ = "t${t}"`,
      '    id = Column(Integer, primary_key=True)',
      '    name = Column(String(100), nullable=False, index=True)',
      `    parent_id = Column(Integer${parent === null ? '' : `, ForeignKey("${parent}.id")`}, nullable=True)`,
      ...(t <= extra ? ['    note = Column(String(50), nullable=True)'] : []),
    );
  }
  for (let n = 1; n <= extra; n++) {
    revisions.push({
      id: id(TABLES + n),
      down: id(TABLES + n - 1),
      upgrade: `op.add_column('t${n}', sa.Column('note', sa.String(50), nullable=True))`,
      downgrade: `op.drop_column('t${n}', 'note')`,
    });
  }
  return { models: `${models.join('\n')}\n`, revisions };
}

async function generatedProject(): Promise<AlembicProject> {
  const spec = generatedSpec();
  const prSize = 2;
  const base = spec.revisions.slice(0, -prSize);
  const pr = spec.revisions.slice(-prSize);
  const project = await makeProject({ models: spec.models, revisions: base });
  await project.pullRequest((p) => {
    for (const r of pr) p.addRevision(r);
  });
  return project;
}

async function blogProject(work: string): Promise<string> {
  const dir = path.join(work, 'blog');
  await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [dir, '--venv', VENV]);
  return dir;
}

const HAND = `import sys
from alembic.config import Config
from alembic import command
config = Config(sys.argv[2])
config.set_main_option("sqlalchemy.url", sys.argv[3])
if sys.argv[1] == "upgrade":
    command.upgrade(config, "head")
else:
    try:
        command.check(config)
    except Exception as error:  # drift: the command fails, as alembic check does
        print(error, file=sys.stderr)
        sys.exit(1)
`;

/** `alembic upgrade head` then `alembic check`, two processes, on a fresh database (created untimed). */
async function byHand(dir: string): Promise<number> {
  const database = await createThrowawayDatabase(SERVER, 'bench_hand');
  try {
    const python = path.join(dir, '.venv/bin/python');
    const start = performance.now();
    const args = [path.join(dir, 'alembic.ini'), database.url];
    await execa(python, ['-c', HAND, 'upgrade', ...args], { cwd: dir });
    await execa(python, ['-c', HAND, 'check', ...args], { cwd: dir, reject: false });
    return ms(start);
  } finally {
    await dropThrowawayDatabase(SERVER, database.name);
  }
}

interface ReviewRun {
  ms: number;
  timings: Record<string, number>;
  cacheHit: boolean;
  verdict: string;
}

async function reviewRun(dir: string, cacheDir: string, cache: boolean): Promise<ReviewRun> {
  const output = path.join(cacheDir, '..', `report-${Math.random().toString(16).slice(2)}.json`);
  const start = performance.now();
  const result = await execa(
    NODE,
    [
      CLI,
      'review',
      '--project',
      dir,
      '--base',
      'main',
      '--database-url',
      formatPostgresUrl(SERVER),
      '--format',
      'json',
      '--output',
      output,
      ...(cache ? ['--cache-dir', cacheDir] : ['--no-cache']),
    ],
    { reject: false, env: { NO_COLOR: '1' } },
  );
  const wall = ms(start);
  const report = JSON.parse(readFileSync(output, 'utf8')) as {
    timings: Record<string, number>;
    summary: { verdict: string };
  };
  rmSync(output, { force: true });
  return {
    ms: wall,
    timings: report.timings,
    cacheHit: /base restored from cache/.test(String(result.stderr)),
    verdict: report.summary.verdict,
  };
}

await execa(NODE, [path.join(ROOT, 'scripts/build.ts')], { cwd: ROOT });
const work = mkdtempSync(path.join(tmpdir(), 'ar-bench-vs-hand-'));
const generated = await generatedProject();
const projects = [
  { name: 'examples/blog', dir: await blogProject(work), revisions: 5, newRevisions: 3 },
  {
    name: `generated (${REVISIONS} revisions, ${TABLES} tables)`,
    dir: generated.dir,
    revisions: REVISIONS,
    newRevisions: 2,
  },
];
const results = projects.map(() => ({
  hand: [] as number[],
  warm: [] as ReviewRun[],
  cold: [] as ReviewRun[],
}));
const load = [loadavg()[0] ?? 0];
try {
  // Fill each project's cache once (and warm the OS caches), outside the rounds.
  for (const p of projects) await reviewRun(p.dir, path.join(work, `cache-${projects.indexOf(p)}`), true);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, p] of projects.entries()) {
      const r = results[index] as (typeof results)[number];
      const cacheDir = path.join(work, `cache-${index}`);
      r.hand.push(await byHand(p.dir));
      r.warm.push(await reviewRun(p.dir, cacheDir, true));
      r.cold.push(await reviewRun(p.dir, cacheDir, false));
    }
    load.push(loadavg()[0] ?? 0);
  }
} finally {
  generated.remove();
  rmSync(work, { recursive: true, force: true });
  await server.stop();
}

const medianTimings = (runs: ReviewRun[]): Record<string, number> => {
  const stages = [...new Set(runs.flatMap((r) => Object.keys(r.timings)))];
  return Object.fromEntries(stages.map((s) => [s, median(runs.map((r) => r.timings[s] ?? 0))]));
};
const summary = projects.map((p, index) => {
  const r = results[index] as (typeof results)[number];
  const hand = median(r.hand);
  const warm = median(r.warm.map((x) => x.ms));
  const cold = median(r.cold.map((x) => x.ms));
  return {
    project: p.name,
    revisions: p.revisions,
    newRevisions: p.newRevisions,
    handMs: { median: hand, all: r.hand },
    reviewWarmMs: { median: warm, all: r.warm.map((x) => x.ms) },
    reviewColdMs: { median: cold, all: r.cold.map((x) => x.ms) },
    ratioWarm: Number((warm / hand).toFixed(2)),
    ratioCold: Number((cold / hand).toFixed(2)),
    warmCacheHits: r.warm.filter((x) => x.cacheHit).length,
    verdict: r.warm[0]?.verdict,
    timingsWarm: medianTimings(r.warm),
    timingsCold: medianTimings(r.cold),
  };
});
const result = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    node: process.version,
    loadAverage1m: load.map((l) => Number(l.toFixed(2))),
  },
  server: server.description,
  rounds: ROUNDS,
  target: TARGET,
  projects: summary,
};
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench/results/review-vs-hand.json'), `${JSON.stringify(result, null, 2)}\n`);
const stagesTable = (s: (typeof summary)[number]): string => {
  const stages = [...new Set([...Object.keys(s.timingsCold), ...Object.keys(s.timingsWarm)])];
  return `| stage | cold ms | warm ms |\n|---|---|---|\n${stages.map((st) => `| ${st} | ${s.timingsCold[st] ?? '-'} | ${s.timingsWarm[st] ?? '-'} |`).join('\n')}`;
};
writeFileSync(
  path.join(ROOT, 'bench/results/review-vs-hand.md'),
  `# The whole review vs upgrade + check by hand (${result.date.slice(0, 10)}, ${result.machine.cpus} cores, Node ${result.machine.node})

Median of ${ROUNDS} interleaved rounds on one server (${server.description}: ${formatPostgresUrl({ ...SERVER, password: '' })}); all values in brackets.
By hand: \`alembic upgrade head\` then \`alembic check\`, two Python processes, on a fresh database.
Review: \`node dist/cli.js review --base main --database-url … --format json\`, warm (base from the cache) and cold (\`--no-cache\`), wall time of the process including teardown.
Load average (1 min) during the run: ${result.machine.loadAverage1m.join(', ')} (other jobs shared the machine).
Target: review ≤ ${TARGET}× by hand.

| project | by hand | review warm | × | review cold | × |
|---|---|---|---|---|---|
${summary.map((s) => `| ${s.project} | ${s.handMs.median} ms (${s.handMs.all.join(', ')}) | ${s.reviewWarmMs.median} ms (${s.reviewWarmMs.all.join(', ')}) | ${s.ratioWarm} | ${s.reviewColdMs.median} ms (${s.reviewColdMs.all.join(', ')}) | ${s.ratioCold} |`).join('\n')}

${summary.map((s) => `## ${s.project}\n\n${s.revisions} revisions, ${s.newRevisions} new; verdict ${s.verdict ?? '?'}; warm runs that hit the cache: ${s.warmCacheHits} of ${ROUNDS}.\n\nMedian stage timings (from the report):\n\n${stagesTable(s)}\n`).join('\n')}`,
);
console.log(JSON.stringify(result, null, 2));
