// What the deploy-order check (old-code-incompatible) adds to a review, in
// one run: whole reviews (the CLI, as a user runs it) of examples/blog and of
// a generated 50-table project, with deploy-order = "off" and with the
// default "migrate-first" (and, for the 50 tables, "code-first"), alternating
// rounds after a warm-up, median of each. Reported: the deploy-order stage
// (from the report's timings) and the difference of the whole review's wall
// time. Target: the stage under 1 s.
//
// Records bench/results/old-code.{json,md}.
// Run: node_modules/.bin/node bench/old-code.ts   (BENCH_ROUNDS, BENCH_TABLES to change)
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { makeProject, VENV, type AlembicProject } from '../__tests__/helpers/alembic-project.ts';
import { runCli } from '../__tests__/helpers/cli.ts';
import type { Review } from '../src/model.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TABLES = Number(process.env.BENCH_TABLES ?? 50);
const ROLE = `ar_bench_oc_${randomBytes(4).toString('hex')}`;
const TARGET_MS = 1000;

const roleUrl = (): string => {
  const url = new URL(ADMIN);
  url.username = ROLE;
  url.password = '';
  return url.toString();
};

async function sql(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** examples/blog as make-repo.sh builds it: main and the pull request. */
async function blog(): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'ar-bench-oc-')), 'blog');
  await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [dir, '--venv', VENV]);
  return dir;
}

/**
 * TABLES tables of 8 columns (foreign keys to the table before), and a pull
 * request whose revision touches every tenth table: a rename, a drop, a NOT
 * NULL column after a backfill, a nullable column, an index.
 */
async function generated(): Promise<AlembicProject> {
  const name = (i: number): string => `t${String(i).padStart(3, '0')}`;
  const cls = (i: number): string => `T${String(i).padStart(3, '0')}`;
  const model = (i: number, variant: 'old' | 'new'): string => {
    const changed = variant === 'new' && i % 10 === 3;
    const kind = Math.floor(i / 10) % 5;
    const lines = [
      `class ${cls(i)}(Base):`,
      `    __tablename__ = "${name(i)}"`,
      '    id = Column(Integer, primary_key=True)',
      changed && kind === 0 ? '    label = Column(String(100))' : '    title = Column(String(100))',
      '    body = Column(Text)',
      '    amount = Column(Numeric(10, 2))',
      '    created_at = Column(DateTime)',
      '    active = Column(Boolean)',
      changed && kind === 1 ? '' : '    legacy = Column(Text)',
      i === 0 ? '' : `    parent_id = Column(Integer, ForeignKey("${name(i - 1)}.id"))`,
      changed && kind === 2 ? '    slug = Column(String(50), nullable=False)' : '',
      changed && kind === 3 ? '    note = Column(Text)' : '',
    ];
    return lines.filter((l) => l !== '').join('\n');
  };
  const models = (variant: 'old' | 'new'): string =>
    `from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


${Array.from({ length: TABLES }, (_, i) => model(i, variant)).join('\n\n\n')}
`;
  const create = Array.from(
    { length: TABLES },
    (_, i) => `op.create_table('${name(i)}',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('title', sa.String(100)),
    sa.Column('body', sa.Text()),
    sa.Column('amount', sa.Numeric(10, 2)),
    sa.Column('created_at', sa.DateTime()),
    sa.Column('active', sa.Boolean()),
    sa.Column('legacy', sa.Text())${i === 0 ? '' : `,\n    sa.Column('parent_id', sa.Integer(), sa.ForeignKey('${name(i - 1)}.id'))`})`,
  ).join('\n');
  const change = Array.from({ length: TABLES }, (_, i) => i)
    .filter((i) => i % 10 === 3)
    .map((i) => {
      const t = name(i);
      switch (Math.floor(i / 10) % 5) {
        case 0:
          return `op.alter_column('${t}', 'title', new_column_name='label')`;
        case 1:
          return `op.drop_column('${t}', 'legacy')`;
        case 2:
          return `op.add_column('${t}', sa.Column('slug', sa.String(50), nullable=True))
op.execute("UPDATE ${t} SET slug = 'x' || id")
op.alter_column('${t}', 'slug', existing_type=sa.String(50), nullable=False)`;
        case 3:
          return `op.add_column('${t}', sa.Column('note', sa.Text(), nullable=True))`;
        default:
          return `op.create_index('ix_${t}_title', '${t}', ['title'])`;
      }
    })
    .join('\n');
  const project = await makeProject({
    models: models('old'),
    revisions: [{ id: 'a0a0a0a0a0a0', upgrade: create }],
  });
  await project.pullRequest((p) => {
    p.write('app/models.py', models('new'));
    p.addRevision({ id: 'b1b1b1b1b1b1', down: 'a0a0a0a0a0a0', upgrade: change });
  });
  return project;
}

interface Timed {
  ms: number;
  stageMs: number;
  findings: number;
  classes: string;
}

async function timeReview(dir: string, order: string): Promise<Timed> {
  const output = path.join(dir, `report-${order}.json`);
  const start = performance.now();
  const result = await runCli([
    'review',
    '--project',
    dir,
    '--base',
    'main',
    '--database-url',
    roleUrl(),
    '--format',
    'json',
    '--output',
    output,
    '--fail-on',
    'never',
    '--deploy-order',
    order,
  ]);
  const ms = performance.now() - start;
  if (result.code !== 0) throw new Error(`review failed (${result.code}): ${result.stderr}`);
  const report = JSON.parse(readFileSync(output, 'utf8')) as Review;
  const stage = Object.entries(report.timings).find(([name]) => name.startsWith('deploy order'));
  const line = /deploy order .* done in [^:]*: (.*)$/m.exec(result.stderr)?.[1] ?? '';
  return {
    ms,
    stageMs: stage?.[1] ?? 0,
    findings: report.findings.filter((f) => f.ruleId === 'old-code-incompatible').length,
    classes: line,
  };
}

interface Subject {
  name: string;
  dir: string;
  orders: string[];
}

async function measure(subject: Subject) {
  const runs = new Map<string, Timed[]>(subject.orders.map((o) => [o, []]));
  for (const order of subject.orders) await timeReview(subject.dir, order); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const order of subject.orders) runs.get(order)?.push(await timeReview(subject.dir, order));
  }
  const off = median((runs.get('off') ?? []).map((t) => t.ms));
  return Object.fromEntries(
    [...runs].map(([order, timed]) => [
      order,
      {
        reviewMs: {
          median: Math.round(median(timed.map((t) => t.ms))),
          all: timed.map((t) => Math.round(t.ms)),
        },
        stageMs: {
          median: Math.round(median(timed.map((t) => t.stageMs))),
          all: timed.map((t) => t.stageMs),
        },
        addedMs: Math.round(median(timed.map((t) => t.ms)) - off),
        findings: timed[0]?.findings ?? 0,
        stage: timed[0]?.classes ?? '',
      },
    ]),
  );
}

await sql(`CREATE ROLE ${ROLE} LOGIN CREATEDB`);
const cleanup: (() => void)[] = [];
try {
  const blogDir = await blog();
  cleanup.push(() => rmSync(path.dirname(blogDir), { recursive: true, force: true }));
  const wide = await generated();
  cleanup.push(() => wide.remove());
  const subjects: Subject[] = [
    { name: 'examples/blog', dir: blogDir, orders: ['off', 'migrate-first'] },
    { name: `generated, ${TABLES} tables`, dir: wide.dir, orders: ['off', 'migrate-first', 'code-first'] },
  ];
  const measured: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const subject of subjects) measured[subject.name] = await measure(subject);
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    rounds: ROUNDS,
    targetStageMs: TARGET_MS,
    subjects: measured,
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/old-code.json'), `${JSON.stringify(result, null, 2)}\n`);
  const rows = Object.entries(measured)
    .flatMap(([name, orders]) =>
      Object.entries(orders)
        .filter(([order]) => order !== 'off')
        .map(
          ([order, v]) =>
            `| ${name} | ${order} | ${orders.off?.reviewMs.median ?? 0} ms | ${v.reviewMs.median} ms | **${v.stageMs.median} ms** | ${v.addedMs} ms | ${v.findings} | ${v.stage} |`,
        ),
    )
    .join('\n');
  writeFileSync(
    path.join(ROOT, 'bench/results/old-code.md'),
    `# Deploy order: old code on the new schema (${result.date.slice(0, 10)}, ${result.machine.cpus} cores, Node ${result.machine.node})

Whole reviews (the CLI, \`--database url\` on the local PostgreSQL) with \`--deploy-order off\` and with the
check on, median of ${ROUNDS} alternating rounds after a warm-up. The stage is the report's timing of
"deploy order (…): the running release on the new schema" (the base commit's models run their SELECT and
INSERT per mapped class on the migrated head; with code-first the pull request's models on the base too).
"Added" is the difference of the whole review's median wall time, which includes the noise of two reviews.

The generated project has ${TABLES} tables of 8 columns (each with a foreign key to the one before); its pull
request renames a column, drops a mapped column, adds a NOT NULL column after a backfill, adds a nullable
column and an index, each on every tenth table.

| project | deploy-order | review, off | review, on | stage | added | findings | stage says |
|---|---|---|---|---|---|---|---|
${rows}

Target: the stage under ${TARGET_MS} ms.
`,
  );
  console.log(JSON.stringify(result, null, 2));
} finally {
  for (const c of cleanup) c();
  const leftovers = await sql(
    `SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = '${ROLE}'`,
  );
  for (const row of leftovers.rows as { datname: string }[])
    await sql(`DROP DATABASE "${row.datname}" WITH (FORCE)`);
  await sql(`DROP ROLE IF EXISTS ${ROLE}`);
}
