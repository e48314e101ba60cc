// SIGTERM and SIGINT at random moments of a review, many times per provider:
// every run must end with the signal's exit code (143 / 130), exactly one
// line of ours (that the review was cancelled: no second error), and nothing
// left behind — no database or role on the server, no container, no cluster
// directory, no private home directory, no process.
//
//   node_modules/.bin/node bench/cancel.ts [--runs 50] [--concurrency 4] [--providers url,embedded,testcontainers]
//
// The project is examples/blog plus a revision that sleeps (so that a review
// lasts longer than the latest moment) and seed SQL that takes two seconds
// (so that the moments fall into seeding too). Moments are uniform in
// 0.1-8 s after the CLI starts; runs go several at a time. Writes
// bench/results/cancel.{json,md}.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const CLI = path.join(ROOT, 'src/cli.ts');
const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const IMAGE = process.env.BENCH_POSTGRES_IMAGE ?? 'local/postgres:15';
const MIN_MS = 100;
const MAX_MS = 8000;

type Provider = 'url' | 'embedded' | 'testcontainers';
type Signal = 'SIGTERM' | 'SIGINT';

interface RunResult {
  provider: Provider;
  signal: Signal;
  atMs: number;
  /** The last progress line before the signal: where the review was. */
  stage: string;
  exitCode: number | null;
  /** Lines of ours other than "review cancelled". */
  secondErrors: string[];
  leftovers: string[];
}

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

async function sql<T extends pg.QueryResultRow>(query: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    return (await client.query<T>(query, params)).rows;
  } finally {
    await client.end();
  }
}

function prepareProject(work: string): { project: string; seed: string } {
  const project = path.join(work, 'blog');
  execFileSync(path.join(ROOT, 'examples/blog/make-repo.sh'), [project, '--venv', path.join(ROOT, '.venv')], {
    stdio: 'ignore',
  });
  writeFileSync(
    path.join(project, 'migrations/versions/ffff00000001_slow.py'),
    "revision = 'ffff00000001'\ndown_revision = '10d55bdb4f5a'\ndef upgrade():\n    import time\n    time.sleep(60)\ndef downgrade():\n    pass\n",
  );
  execFileSync('git', ['add', '-A'], { cwd: project });
  execFileSync(
    'git',
    ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-qm', 'slow'],
    {
      cwd: project,
    },
  );
  const seed = path.join(work, 'seed.sql');
  writeFileSync(seed, 'SELECT pg_sleep(2);\n');
  return { project, seed };
}

/** A role of its own per url run: what the run leaves is found by it. */
async function testRole(): Promise<{ role: string; url: string }> {
  const role = `ar_bench_${randomBytes(4).toString('hex')}`;
  await sql(`CREATE ROLE ${role} LOGIN CREATEDB CREATEROLE`);
  return { role, url: SERVER.replace(/\/\/[^@/]*@/, `//${role}@`) };
}

async function ownedBy(role: string): Promise<string[]> {
  const rows = await sql<{ name: string }>(
    `SELECT 'database ' || datname AS name FROM pg_database d
      WHERE d.datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)
         OR d.datdba IN (SELECT m.roleid FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1)
     UNION ALL
     SELECT 'role ' || g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member
       JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname = $1`,
    [role],
  );
  return rows.map((r) => r.name);
}

async function dropRole(role: string): Promise<void> {
  for (const name of await ownedBy(role)) {
    const [kind, object] = name.split(' ');
    await sql(kind === 'database' ? `DROP DATABASE "${object}" WITH (FORCE)` : `DROP ROLE "${object}"`);
  }
  await sql(`DROP ROLE ${role}`);
}

function processesMentioning(needle: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes(needle) && !line.includes('ps -eo'));
}

/** Our containers (the pg_hba.conf of ours is in their command), by id. */
function ourContainers(): Set<string> {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', 'label=alembic-review.run'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((id) => id !== '');
  const ours = new Set<string>();
  for (const id of ids) {
    try {
      const cmd = execFileSync('docker', ['inspect', id, '--format', '{{json .Config.Cmd}}'], {
        encoding: 'utf8',
      });
      if (cmd.includes('hba_file=/etc/alembic-review/pg_hba.conf')) ours.add(id);
    } catch {
      // removed meanwhile
    }
  }
  return ours;
}

const TEMP_ROOTS = ['/dev/shm', tmpdir()];
function privateDirectories(): Set<string> {
  const found = new Set<string>();
  for (const root of TEMP_ROOTS) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root)) {
      if (entry.startsWith('alembic-review-pg-') || entry.startsWith('alembic-review-home-'))
        found.add(path.join(root, entry));
    }
  }
  return found;
}

async function runOnce(
  provider: Provider,
  signal: Signal,
  atMs: number,
  project: string,
  seed: string,
): Promise<RunResult> {
  const role = provider === 'url' ? await testRole() : undefined;
  const args = [
    CLI,
    'review',
    '--project',
    project,
    '--base',
    'main',
    '--database',
    provider,
    '--seed-sql',
    seed,
  ];
  if (role !== undefined) args.push('--database-url', role.url);
  if (provider === 'testcontainers') args.push('--postgres-image', IMAGE);
  const child = spawn(NODE, args, {
    env: { ...process.env, TESTCONTAINERS_RYUK_DISABLED: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let atSignal = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => {
    atSignal = stderr;
    child.kill(signal);
  }, atMs);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('exit', (code, killedBy) => {
      // Killed by the signal itself before Node ran our code (nothing started yet): what a shell sees.
      resolve(code ?? (killedBy === 'SIGTERM' ? 143 : killedBy === 'SIGINT' ? 130 : null));
    });
  });
  clearTimeout(timer);
  const stage =
    atSignal
      .split('\n')
      .filter((l) => l.trim() !== '')
      .pop()
      ?.replace(/^\[\s*[\d.]+s\]\s*/, '') ?? '(nothing yet)';
  const ours = stderr.split('\n').filter((line) => line.startsWith('alembic-review:'));
  const secondErrors = ours.filter(
    (line) => line !== `alembic-review: received ${signal}: review cancelled, cleaning up`,
  );
  const leftovers: string[] = [];
  if (role !== undefined) {
    leftovers.push(...(await ownedBy(role.role)));
    await dropRole(role.role);
  }
  const cluster = /initialising a PostgreSQL cluster in (\S+)/.exec(stderr)?.[1];
  if (cluster !== undefined) {
    if (existsSync(cluster)) leftovers.push(`cluster directory ${cluster}`);
    leftovers.push(...processesMentioning(cluster).map((p) => `process ${p.trim()}`));
  }
  const container = /container ([0-9a-f]{12}) \(/.exec(stderr)?.[1];
  if (container !== undefined) {
    const left = execFileSync('docker', ['ps', '-aq', '--filter', `id=${container}`], {
      encoding: 'utf8',
    }).trim();
    if (left !== '') leftovers.push(`container ${container}`);
  }
  return { provider, signal, atMs: Math.round(atMs), stage, exitCode, secondErrors, leftovers };
}

async function runProvider(
  provider: Provider,
  runs: number,
  concurrency: number,
  project: string,
  seed: string,
): Promise<{ results: RunResult[]; batchLeftovers: string[]; wallMs: number }> {
  const began = performance.now();
  const containersBefore = provider === 'testcontainers' ? ourContainers() : new Set<string>();
  const directoriesBefore = privateDirectories();
  const results: RunResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runs) {
      const index = next++;
      const signal: Signal = index % 2 === 0 ? 'SIGTERM' : 'SIGINT';
      const atMs = MIN_MS + Math.random() * (MAX_MS - MIN_MS);
      const result = await runOnce(provider, signal, atMs, project, seed);
      results.push(result);
      const bad =
        result.secondErrors.length + result.leftovers.length > 0 ||
        result.exitCode !== (signal === 'SIGTERM' ? 143 : 130);
      process.stderr.write(
        `${provider} ${results.length}/${runs}: ${signal} at ${result.atMs} ms (${result.stage}) → exit ${String(result.exitCode)}${bad ? `  PROBLEM ${JSON.stringify(result)}` : ''}\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  // What the batch as a whole left: checked twice, a few seconds apart (others' runs may be finishing).
  const check = (): string[] => [
    ...[...ourContainers()].filter((id) => !containersBefore.has(id)).map((id) => `container ${id}`),
    ...[...privateDirectories()].filter((d) => !directoriesBefore.has(d)).map((d) => `directory ${d}`),
    ...processesMentioning(project).map((p) => `process ${p.trim()}`),
  ];
  let batchLeftovers = check();
  if (batchLeftovers.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const again = new Set(check());
    batchLeftovers = batchLeftovers.filter((l) => again.has(l));
  }
  return { results, batchLeftovers, wallMs: Math.round(performance.now() - began) };
}

function histogram(results: RunResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const stage = r.stage
      .replace(/ (done in|…).*$/, '')
      .replace(/ in \/\S+ with .*$/, '')
      .replace(/ \(.*\)$/, '')
      .replace(/\d+/g, 'N');
    counts[stage] = (counts[stage] ?? 0) + 1;
  }
  return counts;
}

async function main(): Promise<void> {
  const runs = Number(argument('runs', '50'));
  const concurrency = Number(argument('concurrency', '4'));
  const providers = argument('providers', 'url,embedded,testcontainers').split(',') as Provider[];
  const work = mkdtempSync(path.join(tmpdir(), 'ar-bench-cancel-'));
  execFileSync('chmod', ['755', work]);
  const { project, seed } = prepareProject(work);
  const summary = [];
  try {
    for (const provider of providers) {
      const { results, batchLeftovers, wallMs } = await runProvider(
        provider,
        runs,
        concurrency,
        project,
        seed,
      );
      const wrongExit = results.filter((r) => r.exitCode !== (r.signal === 'SIGTERM' ? 143 : 130));
      summary.push({
        provider,
        runs: results.length,
        concurrency,
        wallMs,
        signals: {
          SIGTERM: results.filter((r) => r.signal === 'SIGTERM').length,
          SIGINT: results.filter((r) => r.signal === 'SIGINT').length,
        },
        wrongExitCodes: wrongExit.length,
        secondErrors: results.reduce((n, r) => n + r.secondErrors.length, 0),
        leftovers: results.reduce((n, r) => n + r.leftovers.length, 0) + batchLeftovers.length,
        stagesAtSignal: histogram(results),
        problems: [
          ...results.filter((r) => r.secondErrors.length + r.leftovers.length > 0 || wrongExit.includes(r)),
          ...batchLeftovers,
        ],
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const date = new Date().toISOString();
  const machine = { nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  const out = path.join(ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'cancel.json'),
    `${JSON.stringify({ date, machine, momentsMs: [MIN_MS, MAX_MS], summary }, null, 2)}\n`,
  );
  const lines = [
    '# Cancelling a review at random moments',
    '',
    `Measured ${date.slice(0, 10)} on ${machine.nproc} CPUs (${machine.cpu}), Node ${machine.node}.`,
    `Each run reviews examples/blog (plus a revision that sleeps and 2 s of seed SQL) and gets SIGTERM or SIGINT ` +
      `(alternately) at a uniform random moment in ${MIN_MS / 1000}-${MAX_MS / 1000} s; ${concurrency} runs at a time. ` +
      'A run passes when it exits 143 / 130, prints exactly one line of ours ("received SIGTERM: review cancelled, ' +
      'cleaning up") and leaves no database or role (url: per-run role), no container, no cluster or home directory, no process. ' +
      '`node bench/cancel.ts` regenerates this file.',
    '',
    '| provider | runs | wall time | wrong exit codes | second errors | leftovers |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...summary.map(
      (s) =>
        `| ${s.provider} | ${s.runs} | ${(s.wallMs / 1000).toFixed(0)} s | ${s.wrongExitCodes} | ${s.secondErrors} | ${s.leftovers} |`,
    ),
    '',
    'Where the reviews were when the signal came (last progress line):',
    '',
    ...summary.flatMap((s) => [
      `- ${s.provider}: ${Object.entries(s.stagesAtSignal)
        .sort((a, b) => b[1] - a[1])
        .map(([stage, n]) => `${stage} (${n})`)
        .join(', ')}`,
    ]),
    '',
  ];
  writeFileSync(path.join(out, 'cancel.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
  const failed = summary.some((s) => s.wrongExitCodes + s.secondErrors + s.leftovers > 0);
  process.exit(failed ? 1 : 0);
}

await main();
