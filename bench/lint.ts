// The lint stage on 10,000 statements next to Squawk on the same SQL.
//
//   node_modules/.bin/node bench/lint.ts [--runs N] [--statements N]
//
// Generates a realistic mix of the SQL Alembic emits (autogenerate's DDL,
// backfills, bulk inserts, ...) as 1,000 revisions of 10 statements, with the
// facts a replay would report (locks, a base schema with rows). Then, in one
// run, times:
//   - ours, cold: `lint()` once in a fresh Node process, as the CLI runs it
//     (the engine's modules are imported before the clock starts);
//   - ours, warm: `lint()` repeated in this process;
//   - Squawk: `squawk --reporter json FILE` on the same statements as one file;
// the median of N runs each, plus offline mode and two ablations (no
// prefilter; no batching) that show what the engine's shortcuts buy.
// Writes bench/results/lint.json and lint.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parse } from 'sql-parser-cst';
import { lint } from '../src/lint/engine.ts';
import { parseTexts } from '../src/lint/parse.ts';
import type { LintInput } from '../src/lint/types.ts';
import type { Lock, Statement } from '../src/model.ts';
import type { Column, Schema, Table } from '../src/schema/types.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE = process.execPath;
const SQUAWK = path.join(ROOT, 'node_modules/.bin/squawk');
const TARGET_RATIO = 2;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

// ---------------------------------------------------------------------------
// The corpus.

/** mulberry32: the same corpus on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_TABLES = 200;
const baseTable = (n: number): string => `${['accounts', 'orders', 'invoices', 'products', 'events'][n % 5]}_${n}`;

interface Generated {
  sql: string;
  locks: Lock[];
}

const exclusive = (table: string): Lock[] => [{ relation: table, mode: 'AccessExclusiveLock' }];

/** One statement as Alembic (SQLAlchemy 2, PostgreSQL dialect) writes it, with the locks a replay would see. */
type Template = (n: number, table: string, next: () => number) => Generated;

const TEMPLATES: [weight: number, template: Template][] = [
  [
    15,
    (n, table) => ({
      sql: `CREATE TABLE new_${n} (\n\tid SERIAL NOT NULL, \n\t${table}_id INTEGER NOT NULL, \n\tname VARCHAR(120) NOT NULL, \n\tdescription TEXT, \n\tamount NUMERIC(12, 2), \n\tcreated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, \n\tPRIMARY KEY (id), \n\tFOREIGN KEY(${table}_id) REFERENCES ${table} (id) ON DELETE CASCADE\n)`,
      locks: exclusive(`new_${n}`),
    }),
  ],
  [12, (n, table) => ({ sql: `CREATE INDEX ix_${table}_c${n} ON ${table} (created_at)`, locks: [{ relation: table, mode: 'ShareLock' }] })],
  [12, (n, table) => ({ sql: `ALTER TABLE ${table} ADD COLUMN note_${n} VARCHAR(255)`, locks: exclusive(table) })],
  [4, (n, table) => ({ sql: `ALTER TABLE ${table} ADD COLUMN flag_${n} BOOLEAN DEFAULT false NOT NULL`, locks: exclusive(table) })],
  [2, (n, table) => ({ sql: `ALTER TABLE ${table} ADD COLUMN code_${n} VARCHAR(20) NOT NULL`, locks: exclusive(table) })],
  [4, (_n, table) => ({ sql: `ALTER TABLE ${table} ALTER COLUMN name TYPE VARCHAR(200)`, locks: exclusive(table) })],
  [3, (_n, table) => ({ sql: `ALTER TABLE ${table} ALTER COLUMN name SET NOT NULL`, locks: exclusive(table) })],
  [2, (_n, table) => ({ sql: `ALTER TABLE ${table} ALTER COLUMN amount DROP NOT NULL`, locks: exclusive(table) })],
  [
    5,
    (n, table, next) => ({
      sql: `ALTER TABLE ${table} ADD CONSTRAINT fk_${table}_${n} FOREIGN KEY(owner_id) REFERENCES ${baseTable(Math.floor(next() * BASE_TABLES))} (id)`,
      locks: [{ relation: table, mode: 'ShareRowExclusiveLock' }],
    }),
  ],
  [2, (n, table) => ({ sql: `ALTER TABLE ${table} ADD CONSTRAINT uq_${table}_${n} UNIQUE (name)`, locks: exclusive(table) })],
  [4, (n, table) => ({ sql: `ALTER TABLE ${table} DROP COLUMN legacy_${n}`, locks: exclusive(table) })],
  [3, (n, table) => ({ sql: `DROP INDEX ix_${table}_old_${n}`, locks: exclusive(table) })],
  [2, (n) => ({ sql: `DROP TABLE obsolete_${n}`, locks: [] })],
  [6, (n, table) => ({ sql: `UPDATE ${table} SET note_${n} = name WHERE note_${n} IS NULL`, locks: [{ relation: table, mode: 'RowExclusiveLock' }] })],
  [
    12,
    (n, table) => ({
      sql: `INSERT INTO ${table} (name, description, amount) VALUES ('item ${n}', 'seeded by revision ${n}', ${n % 97}.50)`,
      locks: [{ relation: table, mode: 'RowExclusiveLock' }],
    }),
  ],
  [3, (n, table) => ({ sql: `COMMENT ON COLUMN ${table}.name IS 'display name (${n})'`, locks: [] })],
  [2, (n) => ({ sql: `CREATE TYPE status_${n} AS ENUM ('draft', 'published', 'archived')`, locks: [] })],
  [2, (n, table) => ({ sql: `ALTER TABLE ${table} RENAME COLUMN title_${n} TO headline_${n}`, locks: exclusive(table) })],
  [1, () => ({ sql: "SET lock_timeout = '5s'", locks: [] })],
  [2, (n, table) => ({ sql: `DELETE FROM ${table} WHERE created_at < '2020-01-0${(n % 9) + 1}'`, locks: [{ relation: table, mode: 'RowExclusiveLock' }] })],
  [2, (_n, table) => ({ sql: `SELECT id, name FROM ${table} WHERE amount IS NULL ORDER BY id`, locks: [] })],
];

function generate(count: number): { input: LintInput; sqlFile: string } {
  const next = random(20_240_311);
  const total = TEMPLATES.reduce((sum, [weight]) => sum + weight, 0);
  const pick = (): Template => {
    let roll = next() * total;
    for (const [weight, template] of TEMPLATES) {
      roll -= weight;
      if (roll < 0) return template;
    }
    return TEMPLATES[0]?.[1] as Template;
  };
  const revisions: LintInput['revisions'] = [];
  const statements: string[] = [];
  for (let n = 0; n < count; n++) {
    if (n % 10 === 0) {
      const id = `r${String(n / 10).padStart(4, '0')}`;
      revisions.push({ id, path: `migrations/versions/${id}_bench.py`, statements: [], lockTimeout: '0' });
    }
    const { sql, locks } = pick()(n, baseTable(Math.floor(next() * BASE_TABLES)), next);
    const statement: Statement = { sql, line: 20 + (n % 10), file: null, durationMs: 0, locks, rewrote: [] };
    revisions.at(-1)?.statements.push(statement);
    statements.push(sql);
  }
  const tables: Record<string, Table> = {};
  const rows: Record<string, number> = {};
  for (let n = 0; n < BASE_TABLES; n++) {
    const name = baseTable(n);
    const column = (c: Partial<Column> & { name: string; type: string }, position: number): Column => ({
      nullable: true,
      default: null,
      identity: null,
      generated: null,
      collation: null,
      comment: null,
      position,
      ...c,
    });
    tables[`public.${name}`] = {
      schema: 'public',
      name,
      kind: 'table',
      columns: [
        column({ name: 'id', type: 'integer', nullable: false }, 1),
        column({ name: 'name', type: 'character varying(120)' }, 2),
        column({ name: 'amount', type: 'numeric(12,2)' }, 3),
        column({ name: 'created_at', type: 'timestamp with time zone', nullable: false }, 4),
        column({ name: 'owner_id', type: 'integer' }, 5),
        ...Array.from({ length: 20 }, (_, i) => column({ name: `legacy_${i}`, type: 'text' }, 6 + i)),
      ],
      primaryKey: { name: `${name}_pkey`, columns: ['id'] },
      uniqueConstraints: [],
      indexes: [],
      foreignKeys: [],
      checkConstraints: [],
      comment: null,
      rows: 3,
    };
    rows[`public.${name}`] = 3;
  }
  const baseSchema: Schema = { schemas: ['public'], tables, enums: {}, sequences: {} };
  const environmentStatements: Statement[] = [];
  return { input: { revisions, baseSchema, baseRows: rows, environmentStatements }, sqlFile: `${statements.join(';\n\n')};\n` };
}

const offlineOf = (input: LintInput): LintInput => ({
  ...input,
  baseSchema: null,
  baseRows: {},
  revisions: input.revisions.map((r) => ({ ...r, lockTimeout: null, statements: r.statements.map((s) => ({ ...s, locks: [] })) })),
});

// ---------------------------------------------------------------------------
// Timing.

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

function time(action: () => unknown): number {
  const start = performance.now();
  action();
  return performance.now() - start;
}

/** The child: one lint() in a fresh process, modules already loaded; prints the milliseconds. */
function child(inputFile: string): void {
  const input = JSON.parse(readFileSync(inputFile, 'utf8')) as LintInput;
  let findings = 0;
  const ms = time(() => {
    findings = lint(input).length;
  });
  process.stdout.write(`${JSON.stringify({ ms, findings })}\n`);
}

function coldRun(inputFile: string): { ms: number; findings: number } {
  const out = execFileSync(NODE, [import.meta.filename, '--child', inputFile], { encoding: 'utf8' });
  return JSON.parse(out) as { ms: number; findings: number };
}

function squawkRun(file: string): { ms: number; violations: number } {
  const start = performance.now();
  const result = spawnSync(SQUAWK, ['--reporter', 'json', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - start;
  if (result.error !== undefined) throw result.error;
  return { ms, violations: (JSON.parse(result.stdout) as unknown[]).length };
}

function main(): void {
  if (process.env.BENCH_DUMP !== undefined) { writeFileSync(process.env.BENCH_DUMP, JSON.stringify(generate(10_000).input)); return; }
  const runs = option('--runs', 7);
  const count = option('--statements', 10_000);
  const work = mkdtempSync(path.join(tmpdir(), 'ar-bench-lint-'));
  try {
    const { input, sqlFile } = generate(count);
    const sqlPath = path.join(work, 'corpus.sql');
    writeFileSync(sqlPath, sqlFile);
    const inputs = { online: path.join(work, 'online.json'), offline: path.join(work, 'offline.json') };
    writeFileSync(inputs.online, JSON.stringify(input));
    writeFileSync(inputs.offline, JSON.stringify(offlineOf(input)));
    const squawkVersion = execFileSync(SQUAWK, ['--version'], { encoding: 'utf8' }).trim();
    const loadBefore = loadavg()[0] ?? 0;

    // Interleaved, so that a busy moment of the machine hits every variant alike.
    const cold = { online: [] as number[], offline: [] as number[] };
    const squawk: number[] = [];
    let findings = { online: 0, offline: 0 };
    let violations = 0;
    for (let i = 0; i < runs; i++) {
      const online = coldRun(inputs.online);
      const offline = coldRun(inputs.offline);
      const s = squawkRun(sqlPath);
      cold.online.push(online.ms);
      cold.offline.push(offline.ms);
      squawk.push(s.ms);
      findings = { online: online.findings, offline: offline.findings };
      violations = s.violations;
    }

    const warm = Array.from({ length: runs }, () => time(() => lint(input)));
    const texts = input.revisions.flatMap((r) => r.statements.map((s) => s.sql));
    const parseAllBatched = Array.from({ length: 3 }, () => time(() => parseTexts(texts)));
    const parseEachAlone = Array.from({ length: 3 }, () =>
      time(() => {
        for (const text of texts) {
          try {
            parse(text, { dialect: 'postgresql', includeRange: true });
          } catch {
            // counted like the others: the time is what matters here
          }
        }
      }),
    );

    const results = {
      statements: count,
      revisions: input.revisions.length,
      sqlBytes: Buffer.byteLength(sqlFile),
      runs,
      oursColdMs: { online: summary(cold.online), offline: summary(cold.offline) },
      oursWarmMs: summary(warm),
      squawkMs: summary(squawk),
      ratio: round(median(cold.online) / median(squawk) * 100) / 100,
      ratioOffline: round(median(cold.offline) / median(squawk) * 100) / 100,
      ratioWarm: round(median(warm) / median(squawk) * 100) / 100,
      target: TARGET_RATIO,
      withinTarget: median(cold.online) <= TARGET_RATIO * median(squawk),
      findings,
      squawkViolations: violations,
      ablationMs: {
        parseEveryStatementBatched: summary(parseAllBatched),
        parseEveryStatementOneCallEach: summary(parseEachAlone),
      },
    };
    const machine = {
      nproc: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      squawk: squawkVersion,
      loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number((loadavg()[0] ?? 0).toFixed(2)) },
    };
    const date = new Date().toISOString();
    const out = path.join(ROOT, 'bench/results');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'lint.json'), `${JSON.stringify({ date, machine, results }, null, 2)}\n`);
    writeFileSync(path.join(out, 'lint.md'), markdown(date, machine, results));
    process.stdout.write(markdown(date, machine, results));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function summary(samples: number[]): { median: number; min: number; max: number; samples: number[] } {
  return {
    median: round(median(samples)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
    samples: samples.map(round),
  };
}

type Results = {
  statements: number;
  revisions: number;
  sqlBytes: number;
  runs: number;
  oursColdMs: { online: ReturnType<typeof summary>; offline: ReturnType<typeof summary> };
  oursWarmMs: ReturnType<typeof summary>;
  squawkMs: ReturnType<typeof summary>;
  ratio: number;
  ratioOffline: number;
  ratioWarm: number;
  target: number;
  withinTarget: boolean;
  findings: { online: number; offline: number };
  squawkViolations: number;
  ablationMs: { parseEveryStatementBatched: ReturnType<typeof summary>; parseEveryStatementOneCallEach: ReturnType<typeof summary> };
};

function markdown(
  date: string,
  machine: { nproc: number; cpu: string; memoryGiB: number; node: string; squawk: string; loadAverage1m: { before: number; after: number } },
  r: Results,
): string {
  const row = (label: string, s: ReturnType<typeof summary>, note: string): string =>
    `| ${label} | ${s.median} | ${s.min} | ${s.max} | ${note} |`;
  return [
    '# Lint stage vs Squawk',
    '',
    `Measured ${date.slice(0, 10)} on ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.squawk}. ` +
      `Load average (1 min) ${machine.loadAverage1m.before} before, ${machine.loadAverage1m.after} after.`,
    '',
    `${r.statements.toLocaleString('en')} statements (${r.revisions} revisions, ${(r.sqlBytes / 1024).toFixed(0)} KiB of SQL): a mix of what Alembic emits ` +
      '(CREATE TABLE, CREATE INDEX, ADD/ALTER/DROP COLUMN, constraints, backfills, bulk inserts, ...), ' +
      `generated by \`bench/lint.ts\`. ${r.runs} runs of each, interleaved; milliseconds.`,
    '',
    '| | median | min | max | |',
    '| --- | ---: | ---: | ---: | --- |',
    row('alembic-review `lint()`, online (cold process)', r.oursColdMs.online, `${r.findings.online} findings; base schema, locks`),
    row('alembic-review `lint()`, offline (cold process)', r.oursColdMs.offline, `${r.findings.offline} findings; SQL only`),
    row('alembic-review `lint()`, online (warm, same process)', r.oursWarmMs, ''),
    row('`squawk --reporter json` on the same SQL file', r.squawkMs, `${r.squawkViolations} violations (all its default rules); process start included`),
    '',
    `**Ratio (ours cold, online / Squawk): ${r.ratio}×** (offline ${r.ratioOffline}×, warm ${r.ratioWarm}×); target ≤ ${r.target}×: ` +
      `${r.withinTarget ? 'met' : 'missed'}.`,
    '',
    'What the engine\'s shortcuts buy (parsing all 10,000 statements, no rules):',
    '',
    '| | median | min | max | |',
    '| --- | ---: | ---: | ---: | --- |',
    row('every statement, one batched parser call per 10,000', r.ablationMs.parseEveryStatementBatched, 'no prefilter'),
    row('every statement, one parser call each', r.ablationMs.parseEveryStatementOneCallEach, 'no prefilter, no batching'),
    '',
    'The engine parses only statements whose leading keywords say some rule inspects them (INSERT, COMMENT ON, CREATE TYPE, ... are skipped; ' +
      'online, CREATE TABLE too) and parses those in one sql-parser-cst call (its per-call set-up costs as much as a short statement).',
    '',
  ].join('\n');
}

if (process.argv[2] === '--child') child(process.argv[3] ?? '');
else main();
