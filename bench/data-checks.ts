// What the data checks cost and how good their estimate is, in one run:
//
// 1. Cost: whole reviews (the CLI, as a user runs it) of a pull request with
//    five validating statements, with the adversarial replays and without
//    (fails-on-existing-data = "off" skips them), alternating rounds, median
//    of each: once with the five statements unguarded (five failures, five
//    replays), once guarded (they all pass). Target: at most +30%.
// 2. Estimate: a "production" database whose orders table really has 1 M
//    rows, read through a read-only role as the preflight database; the
//    review's production-size estimate of each rewrite, index build and
//    validating scan against the time the same statements take on a copy of
//    that database. Target: within 2x.
//
// Records bench/results/data-checks.{json,md}.
// Run: node_modules/.bin/node bench/data-checks.ts   (BENCH_ROUNDS, BENCH_ROWS to change)
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { makeProject, type AlembicProject, type RevisionSpec } from '../__tests__/helpers/alembic-project.ts';
import { runCli } from '../__tests__/helpers/cli.ts';
import type { ProductionEstimate, Review } from '../src/model.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PRODUCTION_ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const suffix = randomBytes(4).toString('hex');
const ROLE = `ar_bench_dc_${suffix}`;
const READER = `ar_bench_dc_reader_${suffix}`;
const PRODUCTION = `ar_bench_dc_production_${suffix}`;
const ACTUAL = `ar_bench_dc_actual_${suffix}`;

const databaseUrl = (database: string, role = 'postgres'): string => {
  const url = new URL(ADMIN);
  url.username = role;
  url.password = '';
  url.pathname = `/${database}`;
  return url.toString();
};

async function sql(database: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: databaseUrl(database) });
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

// --- 1. Cost ----------------------------------------------------------------

const MEMBERS: RevisionSpec = {
  id: 'a0a0a0a0a0a0',
  upgrade: `op.create_table('teams', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(100)))
op.create_table('members',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('email', sa.String(200)),
    sa.Column('name', sa.String(200)),
    sa.Column('code', sa.Text()),
    sa.Column('score', sa.Integer()),
    sa.Column('team_id', sa.Integer()))`,
};

const UNGUARDED = `op.create_unique_constraint('uq_members_email', 'members', ['email'])
op.alter_column('members', 'name', existing_type=sa.String(200), nullable=False)
op.alter_column('members', 'code', type_=sa.String(40), existing_type=sa.Text())
op.create_check_constraint('ck_members_score', 'members', 'score > 0')
op.create_foreign_key('fk_members_team', 'members', 'teams', ['team_id'], ['id'])`;

const GUARDED = `op.execute("DELETE FROM members a USING members b WHERE a.email = b.email AND a.id > b.id")
op.create_unique_constraint('uq_members_email', 'members', ['email'])
op.execute("UPDATE members SET name = '' WHERE name IS NULL")
op.alter_column('members', 'name', existing_type=sa.String(200), nullable=False)
op.alter_column('members', 'code', type_=sa.String(40), existing_type=sa.Text(), postgresql_using='left(code, 40)')
op.execute("UPDATE members SET score = 1 WHERE score <= 0")
op.create_check_constraint('ck_members_score', 'members', 'score > 0')
op.execute("UPDATE members SET team_id = NULL WHERE team_id NOT IN (SELECT id FROM teams)")
op.create_foreign_key('fk_members_team', 'members', 'teams', ['team_id'], ['id'])`;

async function project(body: string, off: boolean): Promise<AlembicProject> {
  const p = await makeProject({ revisions: [MEMBERS] });
  await p.pullRequest((change) => {
    if (off) change.write('pyproject.toml', '[tool.alembic-review.rules]\nfails-on-existing-data = "off"\n');
    change.addRevision({ id: 'b1b1b1b1b1b1', down: 'a0a0a0a0a0a0', upgrade: body });
  });
  return p;
}

interface Timed {
  ms: number;
  report: Review;
}

async function timeReview(p: AlembicProject, extra: string[] = []): Promise<Timed> {
  const output = path.join(p.dir, 'report.json');
  const start = performance.now();
  const result = await runCli([
    'review',
    '--project',
    p.dir,
    '--base',
    'main',
    '--database-url',
    databaseUrl('postgres', ROLE),
    '--format',
    'json',
    '--output',
    output,
    '--fail-on',
    'never',
    ...extra,
  ]);
  const ms = performance.now() - start;
  if (result.code !== 0) throw new Error(`review failed (${result.code}): ${result.stderr}`);
  return { ms, report: JSON.parse(readFileSync(output, 'utf8')) as Review };
}

async function measureCost() {
  const variants = { unguarded: UNGUARDED, guarded: GUARDED };
  const results: Record<string, { on: number[]; off: number[]; findings: number; stage: number[] }> = {};
  for (const [name, body] of Object.entries(variants)) {
    const on = await project(body, false);
    const off = await project(body, true);
    const entry = { on: [] as number[], off: [] as number[], findings: 0, stage: [] as number[] };
    try {
      await timeReview(on); // warm-up (page cache, bytecode)
      for (let round = 0; round < ROUNDS; round++) {
        const a = await timeReview(off);
        const b = await timeReview(on);
        entry.off.push(a.ms);
        entry.on.push(b.ms);
        entry.stage.push(b.report.timings['data checks'] ?? 0);
        entry.findings = b.report.findings.filter((f) => f.ruleId === 'fails-on-existing-data').length;
      }
    } finally {
      on.remove();
      off.remove();
    }
    results[name] = entry;
  }
  return results;
}

// --- 2. Estimate against a real 1 M-row table ----------------------------------

const ORDERS: RevisionSpec = {
  id: 'a0a0a0a0a0a0',
  upgrade: `op.create_table('customers', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(100)))
op.create_table('orders',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('customer_id', sa.Integer()),
    sa.Column('status', sa.String(20)),
    sa.Column('note', sa.Text()),
    sa.Column('total', sa.Numeric(10, 2)),
    sa.Column('created_at', sa.DateTime(timezone=True)))`,
};

const ORDERS_CHANGE = `op.alter_column('orders', 'customer_id', type_=sa.BigInteger(), existing_type=sa.Integer())
op.create_index('ix_orders_created_at', 'orders', ['created_at'])
op.create_check_constraint('ck_orders_total', 'orders', 'total >= 0')
op.alter_column('orders', 'status', existing_type=sa.String(20), nullable=False)
op.create_foreign_key('fk_orders_customer', 'orders', 'customers', ['customer_id'], ['id'])`;

/** The production stand-in: orders with realistic widths, every row valid for the change. */
async function buildProduction(): Promise<void> {
  await sql('postgres', `CREATE DATABASE ${PRODUCTION}`);
  await sql(
    PRODUCTION,
    `CREATE TABLE customers (id serial PRIMARY KEY, name varchar(100));
     CREATE TABLE orders (id serial PRIMARY KEY, customer_id integer, status varchar(20), note text,
                          total numeric(10, 2), created_at timestamptz);
     INSERT INTO customers (name) SELECT 'Customer ' || g FROM generate_series(1, 10000) g;
     INSERT INTO orders (customer_id, status, note, total, created_at)
       SELECT 1 + g % 10000, (ARRAY['new', 'paid', 'shipped', 'closed'])[1 + g % 4],
              'Order note ' || g || ' ' || repeat(md5(g::text), 1 + g % 3),
              (g % 100000) / 100.0, TIMESTAMPTZ '2024-01-01' + (g % 31536000) * INTERVAL '1 second'
         FROM generate_series(1, ${PRODUCTION_ROWS}) g;`,
  );
  await sql(PRODUCTION, 'VACUUM ANALYZE');
  await sql(PRODUCTION, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER}`);
}

/** The statements' real times on a copy of production, in one transaction as the migration runs them. */
async function actualTimes(statements: string[]): Promise<number[]> {
  await sql('postgres', `CREATE DATABASE ${ACTUAL} TEMPLATE ${PRODUCTION}`);
  const client = new pg.Client({ connectionString: databaseUrl(ACTUAL) });
  await client.connect();
  try {
    await client.query('VACUUM ANALYZE');
    // Three times (rolled back each time), the fastest of each statement: a busy machine only adds time.
    const times = statements.map(() => Number.POSITIVE_INFINITY);
    for (let round = 0; round < 3; round++) {
      await client.query('BEGIN');
      for (const [i, statement] of statements.entries()) {
        const start = performance.now();
        await client.query(statement);
        times[i] = Math.min(times[i] ?? Number.POSITIVE_INFINITY, performance.now() - start);
      }
      await client.query('ROLLBACK');
    }
    return times;
  } finally {
    await client.end();
    await sql('postgres', `DROP DATABASE IF EXISTS ${ACTUAL}`);
  }
}

async function measureEstimates() {
  await buildProduction();
  const p = await makeProject({ revisions: [ORDERS] });
  await p.pullRequest((change) => {
    change.addRevision({ id: 'b1b1b1b1b1b1', down: 'a0a0a0a0a0a0', upgrade: ORDERS_CHANGE });
  });
  try {
    const review = await timeReview(p, ['--preflight-url', databaseUrl(PRODUCTION, READER)]);
    const revision = review.report.revisions.find((r) => r.id === 'b1b1b1b1b1b1');
    const statements = revision?.statements ?? [];
    const actual = await actualTimes(statements.map((s) => s.sql));
    const rows = statements.flatMap((s, i) => {
      const estimate: ProductionEstimate | undefined = s.estimate;
      const ms = actual[i] ?? 0;
      if (estimate === undefined) return [];
      return [
        {
          sql: s.sql,
          estimate: estimate.text,
          estimatedSeconds: estimate.seconds,
          actualSeconds: Number((ms / 1000).toFixed(3)),
          ratio: Number((estimate.seconds / (ms / 1000)).toFixed(2)),
        },
      ];
    });
    return { rows, reviewMs: Math.round(review.ms), stageMs: review.report.timings['data checks'] ?? 0 };
  } finally {
    p.remove();
  }
}

// --- run ---------------------------------------------------------------------

await sql('postgres', `CREATE ROLE ${ROLE} LOGIN CREATEDB`);
await sql('postgres', `CREATE ROLE ${READER} LOGIN`);
try {
  const cost = await measureCost();
  const estimates = await measureEstimates();
  const ratio = (v: { on: number[]; off: number[] }): number =>
    Number((median(v.on) / median(v.off)).toFixed(2));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    rounds: ROUNDS,
    cost: Object.fromEntries(
      Object.entries(cost).map(([name, v]) => [
        name,
        {
          validatingStatements: 5,
          findings: v.findings,
          withDataChecksMs: { median: Math.round(median(v.on)), all: v.on.map(Math.round) },
          withoutMs: { median: Math.round(median(v.off)), all: v.off.map(Math.round) },
          dataChecksStageMs: { median: Math.round(median(v.stage)) },
          ratio: ratio(v),
        },
      ]),
    ),
    costTarget: 1.3,
    estimates: { productionRows: PRODUCTION_ROWS, ...estimates },
    estimateTarget: 'within 2x (ratio 0.5 to 2)',
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/data-checks.json'), `${JSON.stringify(result, null, 2)}\n`);
  const costRows = Object.entries(result.cost)
    .map(
      ([name, v]) =>
        `| ${name} (${v.findings} findings) | ${v.withoutMs.median} ms | ${v.withDataChecksMs.median} ms | ${v.dataChecksStageMs.median} ms | **${v.ratio}×** |`,
    )
    .join('\n');
  const estimateRows = result.estimates.rows
    .map(
      (r) =>
        `| \`${r.sql.replace(/\s+/g, ' ').replace(/\|/g, '\\|')}\` | ${r.estimate} | ${r.actualSeconds} s | **${r.ratio}×** |`,
    )
    .join('\n');
  writeFileSync(
    path.join(ROOT, 'bench/results/data-checks.md'),
    `# Data checks (${result.date.slice(0, 10)}, ${result.machine.cpus} cores, Node ${result.machine.node})

## What the adversarial replays add to a review

Whole reviews (the CLI, \`--database url\` on the local PostgreSQL) of a pull request with five validating
statements (ADD UNIQUE, SET NOT NULL, a narrowing type change, ADD CHECK, ADD FOREIGN KEY), with the data checks
and with \`fails-on-existing-data = "off"\` (which skips the adversarial replays), median of ${ROUNDS} alternating
rounds after a warm-up.

| pull request | without | with | data checks stage | ratio |
|---|---|---|---|---|
${costRows}

Target: at most ${result.costTarget}×.

## Production-size estimate against a real ${PRODUCTION_ROWS.toLocaleString('en-US')}-row table

The preflight database has \`orders\` with ${PRODUCTION_ROWS.toLocaleString('en-US')} rows (notes of 45 to 110 characters, 10,000
customers), read through a read-only role. The review's estimate for each statement, against the time the same
statement took on a copy of that database (one transaction, in the migration's order, same server). The review
took ${result.estimates.reviewMs} ms, its data checks stage ${result.estimates.stageMs} ms.

| statement | estimate | actual | ratio |
|---|---|---|---|
${estimateRows}

Target: ${result.estimateTarget}.
`,
  );
  console.log(JSON.stringify(result, null, 2));
} finally {
  await sql('postgres', `DROP DATABASE IF EXISTS ${ACTUAL}`).catch(() => undefined);
  await sql('postgres', `DROP DATABASE IF EXISTS ${PRODUCTION} WITH (FORCE)`).catch(() => undefined);
  const leftovers = await sql(
    'postgres',
    `SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = '${ROLE}'`,
  );
  for (const row of leftovers.rows as { datname: string }[])
    await sql('postgres', `DROP DATABASE "${row.datname}" WITH (FORCE)`);
  await sql('postgres', `DROP ROLE IF EXISTS ${ROLE}`);
  await sql('postgres', `DROP ROLE IF EXISTS ${READER}`);
}
