// The bridge's overhead: the same 200 generated revisions applied by a plain
// `alembic upgrade head` and by the bridge with full capture (statements with
// file:line, locks after every statement, rewrites), on the same server, in
// one run. Records the ratio in bench/results/replay.{json,md}.
// Run: node_modules/.bin/node bench/replay.ts   (BENCH_REVISIONS=n to change the count)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { Bridge } from '../src/alembic/bridge.ts';
import { createThrowawayDatabase, dropThrowawayDatabase } from '../src/database/server.ts';
import { parsePostgresUrl } from '../src/database/url.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const PYTHON = path.join(ROOT, '.venv/bin/python');
const SERVER = parsePostgresUrl(
  process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
);
const COUNT = Number(process.env.BENCH_REVISIONS ?? 200);
const ROUNDS = 3;

const TABLES = 50;

/**
 * A project with COUNT revisions, all working on tables that exist before
 * the upgrade (created by preexistingSql, outside the timing): every
 * statement touches a table that holds rows, so the bridge queries its locks
 * after every one — the worst case for the capture's overhead.
 */
function generateProject(dir: string): void {
  mkdirSync(path.join(dir, 'migrations/versions'), { recursive: true });
  writeFileSync(
    path.join(dir, 'alembic.ini'),
    '[alembic]\nscript_location = migrations\nsqlalchemy.url = postgresql://localhost/placeholder\n',
  );
  writeFileSync(
    path.join(dir, 'migrations/env.py'),
    `from sqlalchemy import engine_from_config, pool
from alembic import context

config = context.config
connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
`,
  );
  let down = 'None';
  for (let i = 1; i <= COUNT; i++) {
    const id = `r${String(i).padStart(11, '0')}`;
    const table = `t${((i - 1) % TABLES) + 1}`;
    const round = Math.floor((i - 1) / TABLES);
    let body: string;
    switch (round % 4) {
      case 0:
        body = `op.add_column('${table}', sa.Column('c${round}', sa.Text()))\n    op.execute("UPDATE ${table} SET c${round} = name")`;
        break;
      case 1:
        body = `op.create_index('ix_${table}_c${round}', '${table}', ['name'])\n    op.create_check_constraint('ck_${table}_c${round}', '${table}', "name <> ''")`;
        break;
      case 2:
        body = `op.alter_column('${table}', 'name', type_=sa.String(200), existing_type=sa.String(100))`;
        break;
      default:
        body = `op.add_column('${table}', sa.Column('flag${round}', sa.Boolean(), server_default=sa.false(), nullable=False))\n    op.execute("INSERT INTO ${table} (name) VALUES ('x')")`;
    }
    writeFileSync(
      path.join(dir, `migrations/versions/${id}_step.py`),
      `from alembic import op\nimport sqlalchemy as sa\n\nrevision = '${id}'\ndown_revision = ${down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    ${body}\n\n\ndef downgrade():\n    pass\n`,
    );
    down = `'${id}'`;
  }
}

/** The tables the revisions work on, with rows, created before timing. */
async function createPreexistingTables(url: string): Promise<void> {
  const statements: string[] = [];
  for (let t = 1; t <= TABLES; t++) {
    statements.push(
      `CREATE TABLE t${t} (id serial PRIMARY KEY, name varchar(100) NOT NULL); INSERT INTO t${t} (name) SELECT 'n' || g FROM generate_series(1, 100) g;`,
    );
  }
  await execa('psql', ['-q', '-v', 'ON_ERROR_STOP=1', url, '-c', statements.join('\n')]);
}

async function timePlain(dir: string, url: string): Promise<number> {
  // The plain run reads its URL from alembic.ini, as a user's would.
  writeFileSync(
    path.join(dir, 'alembic.ini'),
    `[alembic]\nscript_location = migrations\nsqlalchemy.url = ${url.replace('postgresql://', 'postgresql+psycopg://')}\n`,
  );
  const start = performance.now();
  await execa(path.join(ROOT, '.venv/bin/alembic'), ['upgrade', 'head'], {
    cwd: dir,
    env: { PYTHONDONTWRITEBYTECODE: '1' },
  });
  return performance.now() - start;
}

async function timeBridge(
  dir: string,
  database: { url: string; name: string; token: string },
): Promise<{ ms: number; statements: number }> {
  const start = performance.now();
  const bridge = new Bridge({ python: PYTHON, projectDir: dir, passEnv: [], revisionTimeoutMs: 600_000 });
  let statements = 0;
  await bridge.call('hello', {});
  await bridge.call('load', { configFile: path.join(dir, 'alembic.ini'), tomlFile: null });
  const result = await bridge.call(
    'upgrade',
    {
      url: database.url,
      expect: { name: database.name, token: database.token },
      targets: ['heads'],
      capture: true,
      urlEnv: [],
    },
    (event) => {
      if (event.event === 'step-end') statements += event.statements.length;
    },
  );
  await bridge.close();
  if (result.failed !== null) throw new Error(`bridge replay failed: ${result.failed.message}`);
  return { ms: performance.now() - start, statements };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

// `--generate DIR` only writes the project (for profiling by hand).
if (process.argv[2] === '--generate') {
  generateProject(process.argv[3] ?? 'bench-project');
  process.exit(0);
}

const dir = mkdtempSync(path.join(tmpdir(), 'ar-bench-replay-'));
try {
  generateProject(dir);
  const plainMs: number[] = [];
  const bridgeMs: number[] = [];
  let statements = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const a = await createThrowawayDatabase(SERVER, 'bench_plain');
    const b = await createThrowawayDatabase(SERVER, 'bench_bridge');
    try {
      await createPreexistingTables(a.url);
      await createPreexistingTables(b.url);
      plainMs.push(await timePlain(dir, a.url));
      const run = await timeBridge(dir, b);
      bridgeMs.push(run.ms);
      statements = run.statements;
    } finally {
      await dropThrowawayDatabase(SERVER, a.name);
      await dropThrowawayDatabase(SERVER, b.name);
    }
  }
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    revisions: COUNT,
    statementsCaptured: statements,
    rounds: ROUNDS,
    plainAlembicUpgradeMs: { median: Math.round(median(plainMs)), all: plainMs.map(Math.round) },
    bridgeWithCaptureMs: { median: Math.round(median(bridgeMs)), all: bridgeMs.map(Math.round) },
    ratio: Number((median(bridgeMs) / median(plainMs)).toFixed(2)),
    target: 1.3,
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/replay.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(
    path.join(ROOT, 'bench/results/replay.md'),
    `# Replay overhead (${result.date.slice(0, 10)}, ${result.machine.cpus} cores, Node ${result.machine.node})

${COUNT} generated revisions (${statements} statements), each working on one of ${TABLES} tables that exist (with 100 rows) before the upgrade, so the bridge queries locks and rewrites after every statement; the same PostgreSQL server, median of ${ROUNDS} alternating rounds.

| run | median | all |
|---|---|---|
| plain \`alembic upgrade head\` (process) | ${result.plainAlembicUpgradeMs.median} ms | ${result.plainAlembicUpgradeMs.all.join(', ')} |
| bridge: start, load, upgrade with capture (statements, file:line, locks, rewrites) | ${result.bridgeWithCaptureMs.median} ms | ${result.bridgeWithCaptureMs.all.join(', ')} |

Ratio: **${result.ratio}×** (target ≤ ${result.target}×).
`,
  );
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
