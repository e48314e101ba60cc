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
const baseTable = (n: number): string =>
  `${['accounts', 'orders', 'invoices', 'products', 'events'][n % 5]}_${n}`;

interface Generated {
  sql: string;
  locks: Lock[];
}

const exclusive = (table: string): Lock[] => [{ relation: table, mode: 'AccessExclusiveLock' }];

/**
 * Statements as Alembic (SQLAlchemy 2, PostgreSQL dialect) writes them for one
 * op or model change, with the locks a replay would see: a new model is its
 * CREATE TABLE followed by the indexes of its `index=True` columns.
 */
type Template = (n: number, table: string, next: () => number) => Generated | Generated[];

const TEMPLATES: [weight: number, template: Template][] = [
  [
    9,
    (n, table) => [
      {
        sql: `CREATE TABLE new_${n} (\n\tid SERIAL NOT NULL, \n\t${table}_id INTEGER NOT NULL, \n\tname VARCHAR(120) NOT NULL, \n\tdescription TEXT, \n\tamount NUMERIC(12, 2), \n\tcreated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, \n\tPRIMARY KEY (id), \n\tFOREIGN KEY(${table}_id) REFERENCES ${table} (id) ON DELETE CASCADE\n)`,
        locks: exclusive(`new_${n}`),
      },
      {
        sql: `CREATE INDEX ix_new_${n}_${table}_id ON new_${n} (${table}_id)`,
        locks: [{ relation: `new_${n}`, mode: 'ShareLock' }],
      },
      {
        sql: `CREATE INDEX ix_new_${n}_created_at ON new_${n} (created_at)`,
        locks: [{ relation: `new_${n}`, mode: 'ShareLock' }],
      },
    ],
  ],
  [
    5,
    (n, table) => ({
      sql: `CREATE INDEX ix_${table}_c${n} ON ${table} (created_at)`,
      locks: [{ relation: table, mode: 'ShareLock' }],
    }),
  ],
  [
    12,
    (n, table) => ({
      sql: `ALTER TABLE ${table} ADD COLUMN note_${n} VARCHAR(255)`,
      locks: exclusive(table),
    }),
  ],
  [
    4,
    (n, table) => ({
      sql: `ALTER TABLE ${table} ADD COLUMN flag_${n} BOOLEAN DEFAULT false NOT NULL`,
      locks: exclusive(table),
    }),
  ],
  [
    2,
    (n, table) => ({
      sql: `ALTER TABLE ${table} ADD COLUMN code_${n} VARCHAR(20) NOT NULL`,
      locks: exclusive(table),
    }),
  ],
  [
    4,
    (_n, table) => ({
      sql: `ALTER TABLE ${table} ALTER COLUMN name TYPE VARCHAR(200)`,
      locks: exclusive(table),
    }),
  ],
  [
    3,
    (_n, table) => ({ sql: `ALTER TABLE ${table} ALTER COLUMN name SET NOT NULL`, locks: exclusive(table) }),
  ],
  [
    2,
    (_n, table) => ({
      sql: `ALTER TABLE ${table} ALTER COLUMN amount DROP NOT NULL`,
      locks: exclusive(table),
    }),
  ],
  [
    5,
    (n, table, next) => ({
      sql: `ALTER TABLE ${table} ADD CONSTRAINT fk_${table}_${n} FOREIGN KEY(owner_id) REFERENCES ${baseTable(Math.floor(next() * BASE_TABLES))} (id)`,
      locks: [{ relation: table, mode: 'ShareRowExclusiveLock' }],
    }),
  ],
  [
    2,
    (n, table) => ({
      sql: `ALTER TABLE ${table} ADD CONSTRAINT uq_${table}_${n} UNIQUE (name)`,
      locks: exclusive(table),
    }),
  ],
  [4, (n, table) => ({ sql: `ALTER TABLE ${table} DROP COLUMN legacy_${n}`, locks: exclusive(table) })],
  [3, (n, table) => ({ sql: `DROP INDEX ix_${table}_old_${n}`, locks: exclusive(table) })],
  [2, (n) => ({ sql: `DROP TABLE obsolete_${n}`, locks: [] })],
  [
    6,
    (n, table) => ({
      sql: `UPDATE ${table} SET note_${n} = name WHERE note_${n} IS NULL`,
      locks: [{ relation: table, mode: 'RowExclusiveLock' }],
    }),
  ],
  [
    12,
    (n, table) => ({
      sql: `INSERT INTO ${table} (name, description, amount) VALUES ('item ${n}', 'seeded by revision ${n}', ${n % 97}.50)`,
      locks: [{ relation: table, mode: 'RowExclusiveLock' }],
    }),
  ],
  [3, (n, table) => ({ sql: `COMMENT ON COLUMN ${table}.name IS 'display name (${n})'`, locks: [] })],
  [2, (n) => ({ sql: `CREATE TYPE status_${n} AS ENUM ('draft', 'published', 'archived')`, locks: [] })],
  [
    2,
    (n, table) => ({
      sql: `ALTER TABLE ${table} RENAME COLUMN title_${n} TO headline_${n}`,
      locks: exclusive(table),
    }),
  ],
  [1, () => ({ sql: "SET lock_timeout = '5s'", locks: [] })],
  [
    2,
    (n, table) => ({
      sql: `DELETE FROM ${table} WHERE created_at < '2020-01-0${(n % 9) + 1}'`,
      locks: [{ relation: table, mode: 'RowExclusiveLock' }],
    }),
  ],
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
  for (let n = 0; statements.length < count; n++) {
    const revision = revisions.at(-1);
    if (revision === undefined || revision.statements.length >= 10) {
      const id = `r${String(revisions.length).padStart(4, '0')}`;
      revisions.push({ id, path: `migrations/versions/${id}_bench.py`, statements: [], lockTimeout: '0' });
    }
    for (const { sql, locks } of [pick()(n, baseTable(Math.floor(next() * BASE_TABLES)), next)].flat()) {
      if (statements.length === count) break;
      const target = revisions.at(-1);
      const statement: Statement = {
        sql,
        line: 20 + (target?.statements.length ?? 0),
        file: null,
        durationMs: 0,
        locks,
        rewrote: [],
      };
      target?.statements.push(statement);
      statements.push(sql);
    }
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
  return {
    input: { revisions, baseSchema, baseRows: rows, environmentStatements },
    sqlFile: `${statements.join(';\n\n')};\n`,
  };
}

const offlineOf = (input: LintInput): LintInput => ({
  ...input,
  baseSchema: null,
  baseRows: {},
  revisions: input.revisions.map((r) => ({
    ...r,
    lockTimeout: null,
    statements: r.statements.map((s) => ({ ...s, locks: [] })),
  })),
});

// ---------------------------------------------------------------------------
// Timing.

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
const ratio = (ours: number, theirs: number): number => Number((ours / theirs).toFixed(2));

function time(action: () => unknown): number {
  const start = performance.now();
  action();
  return performance.now() - start;
}

interface Sample {
  /** Wall-clock milliseconds. */
  ms: number;
  /** CPU milliseconds (user + system, all threads): what a busy machine disturbs least. */
  cpuMs: number;
}

/** The child: one lint() in a fresh process, modules already loaded; prints its times. */
function child(inputFile: string): void {
  const input = JSON.parse(readFileSync(inputFile, 'utf8')) as LintInput;
  let findings = 0;
  const cpu = process.cpuUsage();
  const ms = time(() => {
    findings = lint(input).length;
  });
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, findings })}\n`);
}

function coldRun(inputFile: string): Sample & { findings: number } {
  const out = execFileSync(NODE, [import.meta.filename, '--child', inputFile], { encoding: 'utf8' });
  return JSON.parse(out) as Sample & { findings: number };
}

/** bash's `times`: "0m0.512s 0m0.041s" (user, system) of its children. */
function childCpuMs(line: string): number {
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000,
    0,
  );
}

/** One Squawk run on the file, its report written (to /dev/null) as in CI. */
function squawkRun(file: string): Sample {
  const start = performance.now();
  const result = spawnSync(
    'bash',
    ['-c', '"$1" --reporter json "$2" > /dev/null; times', 'squawk', SQUAWK, file],
    { encoding: 'utf8' },
  );
  const ms = performance.now() - start;
  if (result.error !== undefined) throw result.error;
  return { ms, cpuMs: childCpuMs(result.stdout.trim().split('\n')[1] ?? '') };
}

function squawkViolations(file: string): number {
  const result = spawnSync(SQUAWK, ['--reporter', 'json', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return (JSON.parse(result.stdout) as unknown[]).length;
}

function main(): void {
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
    const cold = { online: [] as Sample[], offline: [] as Sample[] };
    const squawk: Sample[] = [];
    let findings = { online: 0, offline: 0 };
    for (let i = 0; i < runs; i++) {
      const online = coldRun(inputs.online);
      const offline = coldRun(inputs.offline);
      cold.online.push(online);
      cold.offline.push(offline);
      squawk.push(squawkRun(sqlPath));
      findings = { online: online.findings, offline: offline.findings };
    }
    const violations = squawkViolations(sqlPath);
    const wall = (samples: Sample[]): number[] => samples.map((s) => s.ms);
    const cpu = (samples: Sample[]): number[] => samples.map((s) => s.cpuMs);

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
      oursColdMs: { online: summary(wall(cold.online)), offline: summary(wall(cold.offline)) },
      oursColdCpuMs: { online: summary(cpu(cold.online)), offline: summary(cpu(cold.offline)) },
      oursWarmMs: summary(warm),
      squawkMs: summary(wall(squawk)),
      squawkCpuMs: summary(cpu(squawk)),
      ratio: ratio(median(wall(cold.online)), median(wall(squawk))),
      ratioCpu: ratio(median(cpu(cold.online)), median(cpu(squawk))),
      ratioOffline: ratio(median(wall(cold.offline)), median(wall(squawk))),
      ratioWarm: ratio(median(warm), median(wall(squawk))),
      target: TARGET_RATIO,
      withinTarget: median(wall(cold.online)) <= TARGET_RATIO * median(wall(squawk)),
      withinTargetCpu: median(cpu(cold.online)) <= TARGET_RATIO * median(cpu(squawk)),
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
  oursColdCpuMs: { online: ReturnType<typeof summary>; offline: ReturnType<typeof summary> };
  oursWarmMs: ReturnType<typeof summary>;
  squawkMs: ReturnType<typeof summary>;
  squawkCpuMs: ReturnType<typeof summary>;
  ratio: number;
  ratioCpu: number;
  ratioOffline: number;
  ratioWarm: number;
  target: number;
  withinTarget: boolean;
  withinTargetCpu: boolean;
  findings: { online: number; offline: number };
  squawkViolations: number;
  ablationMs: {
    parseEveryStatementBatched: ReturnType<typeof summary>;
    parseEveryStatementOneCallEach: ReturnType<typeof summary>;
  };
};

function markdown(
  date: string,
  machine: {
    nproc: number;
    cpu: string;
    memoryGiB: number;
    node: string;
    squawk: string;
    loadAverage1m: { before: number; after: number };
  },
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
      '(new models with their indexes, ADD/ALTER/DROP COLUMN on existing tables, constraints, indexes, backfills, bulk inserts, ...), ' +
      `generated by \`bench/lint.ts\`; every table it alters existed at the base, so about a quarter of the statements deserve a finding. ` +
      `${r.runs} runs of each, interleaved; milliseconds. "Cold process": \`lint()\` once in a fresh Node process (modules loaded), as the CLI runs it.`,
    '',
    '| | median | min | max | |',
    '| --- | ---: | ---: | ---: | --- |',
    row(
      'alembic-review `lint()`, online (cold process)',
      r.oursColdMs.online,
      `${r.findings.online} findings; base schema, locks`,
    ),
    row(
      'alembic-review `lint()`, offline (cold process)',
      r.oursColdMs.offline,
      `${r.findings.offline} findings; SQL only`,
    ),
    row('alembic-review `lint()`, online (warm, same process)', r.oursWarmMs, ''),
    row(
      '`squawk --reporter json` on the same SQL file',
      r.squawkMs,
      `${r.squawkViolations} violations (all its default rules); process start included`,
    ),
    '',
    'CPU time (user + system, all threads) of the same runs:',
    '',
    '| | median | min | max | |',
    '| --- | ---: | ---: | ---: | --- |',
    row(
      'alembic-review `lint()`, online (cold process)',
      r.oursColdCpuMs.online,
      'GC and JIT threads included',
    ),
    row('alembic-review `lint()`, offline (cold process)', r.oursColdCpuMs.offline, ''),
    row('`squawk --reporter json`', r.squawkCpuMs, 'whole process'),
    '',
    `**Ratio (ours cold, online / Squawk): ${r.ratio}× wall-clock, ${r.ratioCpu}× CPU** (offline ${r.ratioOffline}×, warm ${r.ratioWarm}× wall-clock); ` +
      `target ≤ ${r.target}×: ${r.withinTarget ? 'met' : 'missed'} (wall-clock), ${r.withinTargetCpu ? 'met' : 'missed'} (CPU).`,
    '',
    "What the engine's shortcuts buy: parsing every one of the statements with sql-parser-cst, no rules (warm, same process):",
    '',
    '| | median | min | max | |',
    '| --- | ---: | ---: | ---: | --- |',
    row('every statement, 256 per parser call', r.ablationMs.parseEveryStatementBatched, 'no prefilter'),
    row(
      'every statement, one parser call each',
      r.ablationMs.parseEveryStatementOneCallEach,
      'no prefilter, no batching',
    ),
    '',
    'The engine parses a statement only when some rule needs it: the leading keywords give its type (INSERT, COMMENT ON, CREATE TYPE, ' +
      "CREATE TABLE, ... are never parsed), and each rule adds cheap tests on the SQL and the replay's facts (ADD with NOT NULL, TYPE, " +
      'REFERENCES, a table of the base, a rewrite the replay saw, ...). Statements consulted later (backfills) are parsed on demand. ' +
      'What is parsed goes 256 statements per parser call (its set-up costs about as much as a short statement), batch by batch as the rules run.',
    '',
  ].join('\n');
}

if (process.argv[2] === '--child') child(process.argv[3] ?? '');
else main();
