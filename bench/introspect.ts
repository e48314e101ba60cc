// Introspection and drift diff of a large schema.
//
//   node_modules/.bin/node bench/introspect.ts [--runs N] [--tables N]
//
// Creates two scratch databases on 127.0.0.1:5432 (BENCH_DATABASE_URL to use
// another server) holding a generated schema of 1,000 tables (about 8 columns,
// a primary key, 1-2 indexes, foreign keys, CHECK and unique constraints, 5
// enum types); the second one differs in every 50th table so the diff has
// work. Measures introspect() of the first (median of 5; target < 1 s) and
// diffSchemas() of the two (median of 5; target < 200 ms), then drops both.
// Writes bench/results/introspect.json and introspect.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { diffSchemas } from '../src/schema/diff.ts';
import { introspect } from '../src/schema/introspect.ts';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const RUNS = argument('--runs', 5);
const TABLES = argument('--tables', 1000);
const ENUMS = 5;

/** The DDL of the generated schema; `variant` changes every 50th table. */
function schemaDdl(variant: boolean): string {
  const statements: string[] = [];
  for (let e = 0; e < ENUMS; e++) {
    const labels = ['new', 'active', 'suspended', 'closed', ...(variant && e === 0 ? ['archived'] : [])];
    statements.push(`CREATE TYPE status_${e} AS ENUM (${labels.map((l) => `'${l}'`).join(', ')});`);
  }
  for (let i = 0; i < TABLES; i++) {
    const t = `t${String(i).padStart(4, '0')}`;
    const changed = variant && i % 50 === 7;
    const columns = [
      'id serial PRIMARY KEY',
      `name varchar(${changed ? 200 : 100}) NOT NULL`,
      `status status_${i % ENUMS} NOT NULL DEFAULT 'new'`,
      'amount numeric(12,2) CHECK (amount >= 0)',
      `created_at timestamptz ${changed ? '' : 'NOT NULL '}DEFAULT now()`,
      'payload jsonb',
      i > 0 && i % 3 === 0
        ? `parent_id int REFERENCES t${String(i - 1).padStart(4, '0')}(id) ON DELETE CASCADE`
        : 'parent_id int',
      ...(changed ? ['legacy text'] : ['note text']),
      ...(i % 4 === 0 ? ['code varchar(20) UNIQUE'] : ['code varchar(20)']),
    ];
    statements.push(`CREATE TABLE ${t} (${columns.join(', ')});`);
    if (!changed) statements.push(`CREATE INDEX ix_${t}_name ON ${t} (name);`);
    if (i % 2 === 0)
      statements.push(`CREATE INDEX ix_${t}_recent ON ${t} (created_at DESC) WHERE status <> 'closed';`);
  }
  return statements.join('\n');
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function timed<T>(runs: number, work: () => Promise<T> | T): Promise<{ samples: number[]; last: T }> {
  const samples: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    last = await work();
    samples.push(performance.now() - began);
  }
  return { samples, last: last as T };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
const stats = (samples: number[]): { median: number; min: number; max: number; samples: number[] } => ({
  median: round(median(samples)),
  min: round(Math.min(...samples)),
  max: round(Math.max(...samples)),
  samples: samples.map(round),
});

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const suffix = randomBytes(4).toString('hex');
  const names = [`alembic_review_test_bench_head_${suffix}`, `alembic_review_test_bench_models_${suffix}`];
  const urls = names.map((name) => SERVER_URL.replace(/\/[^/]*$/, `/${name}`));
  const [headUrl, modelsUrl] = urls as [string, string];
  await withClient(SERVER_URL, async (client) => {
    for (const name of names) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  });
  try {
    const ddlBegan = performance.now();
    await withClient(headUrl, (client) => client.query(schemaDdl(false)));
    await withClient(modelsUrl, (client) => client.query(schemaDdl(true)));
    const ddlMs = performance.now() - ddlBegan;
    const serverVersion = await withClient(headUrl, async (client) => {
      const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      return rows[0]?.v ?? '?';
    });

    // One connection for the runs: what is measured is the catalog queries, not connecting.
    const { introspection, queries, head, models, withRows } = await withClient(headUrl, async (client) => {
      let count = 0;
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        count += 1;
        return query(...args);
      };
      await introspect(client); // warm-up: first use of the catalog caches
      count = 0;
      const measured = await timed(RUNS, () => introspect(client));
      const perRun = count / RUNS;
      const rows = await timed(RUNS, () => introspect(client, { countRows: true }));
      return {
        introspection: measured.samples,
        queries: perRun,
        head: measured.last,
        withRows: rows.samples,
        models: await introspect(modelsUrl),
      };
    });
    await introspect(headUrl); // warm-up
    const viaUrl = await timed(RUNS, () => introspect(headUrl));
    const coldBegan = performance.now();
    diffSchemas(head, models); // the first call in the process: what one review pays, JIT warm-up included
    const diffColdMs = performance.now() - coldBegan;
    const diff = await timed(RUNS, () => diffSchemas(head, models));

    const tables = Object.values(head.tables);
    const shape = {
      tables: tables.length,
      columns: tables.reduce((n, t) => n + t.columns.length, 0),
      indexes: tables.reduce((n, t) => n + t.indexes.length, 0),
      foreignKeys: tables.reduce((n, t) => n + t.foreignKeys.length, 0),
      checkConstraints: tables.reduce((n, t) => n + t.checkConstraints.length, 0),
      uniqueConstraints: tables.reduce((n, t) => n + t.uniqueConstraints.length, 0),
      enums: Object.keys(head.enums).length,
      sequences: Object.keys(head.sequences).length,
    };
    const findings = diff.last;
    const byRule: Record<string, number> = {};
    for (const f of findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;

    const results = {
      schema: shape,
      ddlSeconds: Math.round(ddlMs / 100) / 10,
      introspectMs: { ...stats(viaUrl.samples), target: 1000, queriesPerRun: queries },
      introspectOneClientMs: stats(introspection),
      introspectCountRowsMs: stats(withRows),
      diffMs: { ...stats(diff.samples), target: 200, findings: findings.length, byRule },
      diffFirstCallMs: round(diffColdMs),
    };
    const machine = {
      nproc: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      postgres: serverVersion,
      loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number((loadavg()[0] ?? 0).toFixed(2)) },
    };
    const date = new Date().toISOString();
    const out = path.join(import.meta.dirname, 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(
      path.join(out, 'introspect.json'),
      `${JSON.stringify({ date, machine, runs: RUNS, results }, null, 2)}\n`,
    );

    const verdict = (ms: number, target: number): string =>
      ms < target ? 'under target' : '**over target**';
    const lines = [
      '# Introspection and drift diff of a 1,000-table schema',
      '',
      `Measured ${date.slice(0, 10)} on ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB, ` +
        `Node ${machine.node}, ${machine.platform}, PostgreSQL ${serverVersion.split(' ')[0] ?? ''} on 127.0.0.1.`,
      `Load average (1 min) ${machine.loadAverage1m.before} before, ${machine.loadAverage1m.after} after ` +
        `(other work may share the machine). ${RUNS} runs each, after one warm-up; ` +
        '`node bench/introspect.ts` regenerates this file.',
      '',
      `Schema: ${shape.tables} tables, ${shape.columns} columns, ${shape.indexes} indexes (primary keys and unique ` +
        `constraints included), ${shape.foreignKeys} foreign keys, ${shape.checkConstraints} CHECK and ` +
        `${shape.uniqueConstraints} unique constraints, ${shape.enums} enum types, ${shape.sequences} sequences ` +
        `(creating both databases took ${results.ddlSeconds} s). The second database differs in every 50th table ` +
        '(a longer varchar, a nullable column, a column renamed, an index missing) and one enum has an extra value.',
      '',
      '| measurement | median | min | max | target |',
      '| --- | ---: | ---: | ---: | --- |',
      `| introspect(url): ${queries} catalog queries over two new connections (what the review runs) | ` +
        `${results.introspectMs.median} ms | ${results.introspectMs.min} ms | ${results.introspectMs.max} ms | ` +
        `< 1,000 ms: ${verdict(results.introspectMs.median, 1000)} |`,
      `| introspect(client): the same queries one after the other on one warm connection | ` +
        `${results.introspectOneClientMs.median} ms | ${results.introspectOneClientMs.min} ms | ` +
        `${results.introspectOneClientMs.max} ms | |`,
      `| introspect(client, { countRows: true }) | ${results.introspectCountRowsMs.median} ms | ` +
        `${results.introspectCountRowsMs.min} ms | ${results.introspectCountRowsMs.max} ms | |`,
      `| diffSchemas(head, models): ${findings.length} findings | ${results.diffMs.median} ms | ` +
        `${results.diffMs.min} ms | ${results.diffMs.max} ms | < 200 ms: ${verdict(results.diffMs.median, 200)} |`,
      `| diffSchemas, first call in the process (JIT warm-up included; one sample) | ${results.diffFirstCallMs} ms | | | |`,
      '',
      `Findings by rule: ${Object.entries(byRule)
        .sort()
        .map(([rule, n]) => `${rule} ${n}`)
        .join(', ')}.`,
      '',
    ];
    writeFileSync(path.join(out, 'introspect.md'), lines.join('\n'));
    process.stdout.write(lines.join('\n'));
  } finally {
    await withClient(SERVER_URL, async (client) => {
      for (const name of names)
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    });
  }
}

await main();
