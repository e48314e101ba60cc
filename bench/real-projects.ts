// Real projects as a new user meets them: for each project of
// bench/real-projects.corpus.json and each of its historical pull requests,
// a clean work tree at the PR commit (cloned from the session's mirror of the
// repository, outside this repository), a venv made from the project's own
// requirement files at that commit, then `node dist/cli.js review --base BASE`
// with documented options only and no edit to the project's files. Records per
// run whether it reached a review, exit code, time, findings and the error
// paragraph; judges every error/warning finding as caused by the PR or not
// (a second review of the base commit tells the drift that main already has;
// bench/real-projects.judgements.json holds the judgements made by hand and the
// one-line causes of the runs that fail).
// Results: bench/results/real-projects.{json,md}.
//
// Run:   node_modules/.bin/node bench/real-projects.ts [--only name,name] [--pr sha-prefix]
//                                [--compare earlier.json|COMMIT] [--results file.json] [--no-baseline]
//                                [--render] [--merge other.json,...]
//        --render re-judges and re-renders the results file without running anything (after an edit
//        of the judgements); --merge takes the runs of other results files (parallel runs) as earlier ones.
// Needs: the mirrors under /work/.mirror/<owner>+<name>/repo (the session's `fetch` of
//        github:<owner>/<name>), the PostgreSQL server of BENCH_DATABASE_URL, `npm run build`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { parse as parseToml } from 'smol-toml';

const ROOT = path.resolve(import.meta.dirname, '..');
const CORPUS_FILE = path.join(ROOT, 'bench/real-projects.corpus.json');
const JUDGEMENTS_FILE = path.join(ROOT, 'bench/real-projects.judgements.json');
const MIRRORS = process.env.BENCH_MIRRORS ?? '/work/.mirror';
const WORK = process.env.BENCH_REALPROJECTS ?? '/work/realprojects';
const VENVS = path.join(WORK, '.venvs');
const UV_VENV = path.join(WORK, '.tools/uv-venv');
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const RUN_TIMEOUT_MS = Number(process.env.BENCH_RUN_TIMEOUT_MS ?? 15 * 60_000);
const INSTALL_TIMEOUT_MS = 30 * 60_000;

const args = parseArgs({
  options: {
    only: { type: 'string' },
    pr: { type: 'string' },
    compare: { type: 'string' },
    results: { type: 'string' },
    'no-baseline': { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
    merge: { type: 'string' },
  },
});
const RESULTS_JSON = path.resolve(args.values.results ?? path.join(ROOT, 'bench/results/real-projects.json'));
const RESULTS_MD = RESULTS_JSON.replace(/\.json$/, '.md');

// ---------------------------------------------------------------- corpus

type InstallStep =
  | { requirements: string; ifExists?: boolean; fallbackPackages?: string[]; fallbackWhy?: string }
  | { pyproject: string; ifExists?: boolean; extras?: string[]; groups?: string[] }
  | { setupPy: string; ifExists?: boolean }
  /** The project itself, editable and without its dependencies (for build-time generated modules). */
  | { editable: string };

interface CorpusPr {
  commit: string;
  base: string;
  title: string;
  does: string;
  python?: string;
}

/**
 * A second run with what a user does after reading the first error: documented options
 * (--pass-env, --url-env, ...) and environment variables, still no edit to the project's files.
 */
interface Assisted {
  why: string;
  env: Record<string, string>;
  options: string[];
}

interface CorpusProject {
  name: string;
  repo: string;
  patterns: string[];
  python: string;
  project: string;
  /** Documented options a user of the project passes (the fewer, the better), and why each. */
  options: string[];
  optionsWhy?: string;
  /** Variables the user sets in the job's environment (named in --pass-env), as the project's own CI does. */
  env?: Record<string, string>;
  install: InstallStep[];
  reviewNeeds: { package: string; why: string }[];
  paths?: string[];
  /** Debian packages the venv's install needs (checked, not installed, by the bench). */
  systemPackages?: { package: string; why: string }[];
  assisted?: Assisted;
  notes: string;
  prs: CorpusPr[];
}

interface Judgements {
  causes: Record<string, { errorStartsWith: string; cause: string; group: string }>;
  findings: Record<string, { judged: Judged; reason: string }>;
  /** Per family of causes: what the tool needs so that such runs reach a review. */
  groups?: Record<string, string>;
  notes?: string[];
  assistedNotes?: string[];
}

type Judged = 'pr' | 'base' | 'noise' | 'unjudged';

const corpus = JSON.parse(readFileSync(CORPUS_FILE, 'utf8')) as { projects: CorpusProject[] };
const judgements: Judgements = existsSync(JUDGEMENTS_FILE)
  ? (JSON.parse(readFileSync(JUDGEMENTS_FILE, 'utf8')) as Judgements)
  : { causes: {}, findings: {} };

// ---------------------------------------------------------------- results

interface FindingRecord {
  ruleId: string;
  severity: string;
  category: string;
  where: string;
  messageHead: string;
  /** The tool's own claim, when its report has one. */
  origin: string | null;
  key: string;
  judged: Judged;
  judgedBy: 'pr-file' | 'baseline' | 'old-file' | 'manual' | 'none';
  reason: string;
}

interface VenvRecord {
  dir: string;
  key: string;
  reused: boolean;
  installMs: number;
  commands: string[];
  versions: Record<string, string | null>;
  error: string | null;
}

interface CliRecord {
  args: string[];
  exitCode: number | null;
  timedOut: boolean;
  ms: number;
  summary: Record<string, unknown> | null;
  revisions: {
    id: string;
    path?: string;
    new: boolean;
    applied: boolean;
    statements: number;
    downRevisions: string[];
    /** A head of the existing revisions (what the base commit ends with). */
    head?: boolean;
  }[];
  findings: FindingRecord[];
  errorParagraph: string | null;
  stderrTail: string[];
}

interface RunRecord {
  project: string;
  repo: string;
  commit: string;
  base: string;
  title: string;
  does: string;
  /** Revision files the PR adds or changes (git diff base..commit). */
  prRevisionFiles: string[];
  /**
   * reviewed: a report in which the PR's revisions ran; incomplete: a report, but none of the PR's
   * revisions ran or the review says it is incomplete; failed: no report (exit 2); not-run: set-up failed.
   */
  status: 'reviewed' | 'incomplete' | 'failed' | 'not-run';
  notRunReason: string | null;
  venv: VenvRecord | null;
  review: CliRecord | null;
  baseline: (CliRecord & { since: string | null; note: string | null }) | null;
  /** The run with the project's `assisted` options, when the plain one did not reach a review. */
  assisted: (CliRecord & { status: RunRecord['status'] }) | null;
  cause: { cause: string; group: string } | null;
  counts: { errorsWarnings: number; notCausedByPr: number; noise: number; unjudged: number };
}

interface Results {
  date: string;
  toolCommit: string | null;
  machine: { cpus: number; node: string };
  databaseUrl: string;
  runs: RunRecord[];
}

// ---------------------------------------------------------------- helpers

const ms = (start: number): number => Math.round(performance.now() - start);
const short = (sha: string): string => sha.slice(0, 10);
const runId = (project: string, commit: string): string => `${project}@${commit.slice(0, 12)}`;

async function git(dir: string, ...gitArgs: string[]): Promise<string> {
  const result = await execa('git', ['-C', dir, ...gitArgs], { reject: false });
  if (result.exitCode !== 0) throw new Error(`git ${gitArgs.join(' ')} in ${dir}: ${String(result.stderr)}`);
  return String(result.stdout);
}

function mirrorOf(repo: string): string {
  return path.join(MIRRORS, repo.replace('/', '+'), 'repo');
}

/** A work tree at `commit`, clean (no untracked or ignored file), cloned once from the mirror. */
async function checkout(project: CorpusProject, commit: string): Promise<string> {
  const dir = path.join(WORK, project.name);
  if (!existsSync(path.join(dir, '.git'))) {
    mkdirSync(WORK, { recursive: true });
    await execa('git', ['clone', '--quiet', '--shared', '--no-checkout', mirrorOf(project.repo), dir]);
  }
  // The mirror lacks blobs of 4 MiB and more: such files are left out of the work tree (sparse checkout).
  const absent: string[] = [];
  for (;;) {
    const result = await execa('git', ['-C', dir, 'checkout', '--quiet', '--force', '--detach', commit], {
      reject: false,
    });
    if (result.exitCode === 0) break;
    const missingBlob = /unable to read sha1 file of (.+?) \(/.exec(String(result.stderr))?.[1];
    if (missingBlob === undefined || absent.length > 50) {
      throw new Error(`git checkout ${short(commit)} in ${dir}: ${String(result.stderr)}`);
    }
    absent.push(missingBlob);
    await git(dir, 'config', 'core.sparseCheckout', 'true');
    const info = path.join(dir, '.git/info');
    mkdirSync(info, { recursive: true });
    const sparse = path.join(info, 'sparse-checkout');
    const earlier = existsSync(sparse) ? readFileSync(sparse, 'utf8') : '/*\n';
    writeFileSync(sparse, `${earlier}!/${missingBlob}\n`);
  }
  await git(dir, 'clean', '-ffdxq');
  return dir;
}

async function fileAt(dir: string, commit: string, file: string): Promise<string | null> {
  const result = await execa('git', ['-C', dir, 'show', `${commit}:${file}`], { reject: false });
  return result.exitCode === 0 ? String(result.stdout) : null;
}

/** Files a requirements file pulls in (-r/-c/--requirement/--constraint), relative to the repo root. */
function includedFiles(file: string, text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(?:-r|-c|--requirement|--constraint)[\s=]+(\S+)/.exec(line);
    if (match?.[1] !== undefined) found.push(path.normalize(path.join(path.dirname(file), match[1])));
  }
  return found;
}

// Poetry's version constraints in PEP 440 terms (caret, tilde, bare = exact).
function bump(version: string, caret: boolean): string {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10));
  let index: number;
  if (caret) {
    index = parts.findIndex((p) => p !== 0);
    if (index === -1) index = parts.length - 1;
  } else {
    index = parts.length === 1 ? 0 : 1;
  }
  const upper = parts.slice(0, index + 1);
  upper[index] = (upper[index] ?? 0) + 1;
  return upper.join('.');
}

function poetryConstraint(constraint: string): string {
  return constraint
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== '*')
    .map((part) => {
      if (part.startsWith('^')) return `>=${part.slice(1)},<${bump(part.slice(1), true)}`;
      if (part.startsWith('~') && !part.startsWith('~=')) {
        return `>=${part.slice(1)},<${bump(part.slice(1), false)}`;
      }
      if (/^\d/.test(part)) return `==${part}`;
      return part.replace(/\s+/g, '');
    })
    .join(',');
}

function versionTuple(version: string): number[] {
  return version.split('.').map((p) => Number.parseInt(p, 10) || 0);
}

function compareVersions(a: string, b: string): number {
  const x = versionTuple(a);
  const y = versionTuple(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether python `version` (e.g. "3.11") satisfies a poetry python constraint. */
function pythonMatches(constraint: string, version: string): boolean {
  return constraint.split('||').some((alternative) =>
    poetryConstraint(alternative)
      .split(',')
      .filter((p) => p !== '')
      .every((clause) => {
        const match = /^(==|>=|<=|!=|>|<)(.+)$/.exec(clause);
        if (match === null) return true;
        const wanted = (match[2] as string).replace(/\.\*$/, '');
        const cmp = compareVersions(version, wanted);
        switch (match[1]) {
          case '==':
            return versionTuple(wanted).every((n, i) => versionTuple(version)[i] === n);
          case '>=':
            return cmp >= 0;
          case '<=':
            return cmp <= 0;
          case '>':
            return cmp > 0;
          case '<':
            return cmp < 0;
          default:
            return cmp !== 0;
        }
      }),
  );
}

type PoetryDependency =
  string | { version?: string; extras?: string[]; optional?: boolean; python?: string; markers?: string };

/** [tool.poetry.dependencies] (+ groups) as requirement lines; git/path/url dependencies are left out. */
function poetryRequirements(
  pyproject: Record<string, unknown>,
  python: string,
  extras: readonly string[],
  groups: readonly string[],
): { lines: string[]; skipped: string[] } {
  const poetry = (pyproject.tool as Record<string, Record<string, unknown>> | undefined)?.poetry ?? {};
  const tables: Record<string, unknown>[] = [(poetry.dependencies as Record<string, unknown>) ?? {}];
  const groupTables = (poetry.group as Record<string, { dependencies?: Record<string, unknown> }>) ?? {};
  for (const group of groups) tables.push(groupTables[group]?.dependencies ?? {});
  const wantedOptional = new Set<string>();
  const extraTable = (poetry.extras as Record<string, string[]> | undefined) ?? {};
  for (const extra of extras)
    for (const name of extraTable[extra] ?? []) wantedOptional.add(name.toLowerCase());
  const lines: string[] = [];
  const skipped: string[] = [];
  for (const table of tables) {
    for (const [name, raw] of Object.entries(table)) {
      if (name.toLowerCase() === 'python') continue;
      const choices = (Array.isArray(raw) ? raw : [raw]) as PoetryDependency[];
      const spec = choices.find(
        (choice) =>
          typeof choice === 'string' || choice.python === undefined || pythonMatches(choice.python, python),
      );
      if (spec === undefined) continue;
      if (typeof spec === 'string') {
        lines.push(`${name}${poetryConstraint(spec)}`);
        continue;
      }
      if (spec.optional === true && !wantedOptional.has(name.toLowerCase())) continue;
      if (spec.version === undefined) {
        skipped.push(`${name} (${JSON.stringify(spec)})`);
        continue;
      }
      const extrasPart = spec.extras !== undefined ? `[${spec.extras.join(',')}]` : '';
      const markers = spec.markers !== undefined ? `; ${spec.markers}` : '';
      lines.push(`${name}${extrasPart}${poetryConstraint(spec.version)}${markers}`);
    }
  }
  return { lines, skipped };
}

/** `name==version` of every package of a poetry.lock or uv.lock (the project itself, editable or virtual, left out). */
function lockPins(text: string): string[] {
  const lock = parseToml(text) as {
    package?: { name: string; version?: string; source?: Record<string, unknown> }[];
  };
  return (lock.package ?? [])
    .filter(
      (p) => p.version !== undefined && p.source?.editable === undefined && p.source?.virtual === undefined,
    )
    .filter(
      (p) => p.source?.git === undefined && p.source?.path === undefined && p.source?.directory === undefined,
    )
    .map((p) => `${p.name}==${p.version as string}`);
}

// ---------------------------------------------------------------- venvs

interface InstallPlan {
  /** Arguments of one `uv pip install` (resolved together). */
  installArgs: string[];
  /** Text whose hash keys the venv cache: the install spec and the content of every file it reads. */
  keyText: string;
  notes: string[];
  tempFiles: string[];
  /** Directories installed with `uv pip install --no-deps -e` after the dependencies. */
  editable: string[];
}

async function installPlan(
  project: CorpusProject,
  dir: string,
  commit: string,
  python: string,
): Promise<InstallPlan> {
  const plan: InstallPlan = {
    installArgs: [],
    keyText: `${python}\n${JSON.stringify(project.install)}\n`,
    notes: [],
    tempFiles: [],
    editable: [],
  };
  for (const step of project.install) {
    if ('requirements' in step) {
      const text = await fileAt(dir, commit, step.requirements);
      if (text === null) {
        if (step.fallbackPackages !== undefined) {
          plan.installArgs.push(...step.fallbackPackages);
          plan.keyText += `fallback ${step.fallbackPackages.join(' ')}\n`;
          plan.notes.push(
            `no ${step.requirements} at this commit: ${step.fallbackWhy ?? 'fallback packages'}`,
          );
        } else if (step.ifExists !== true) {
          throw new Error(`${step.requirements} does not exist at ${short(commit)}`);
        }
        continue;
      }
      // A copy of the file and of those it includes (same relative layout), without their index
      // options: a project's requirements may name its own private index, only the public one is used here.
      const copy = mkdtempSync(path.join(tmpdir(), 'ar-bench-reqs-'));
      plan.tempFiles.push(copy);
      plan.installArgs.push('-r', path.join(copy, step.requirements));
      const queue = [step.requirements];
      const seen = new Set<string>();
      while (queue.length > 0) {
        const file = queue.shift() as string;
        if (seen.has(file)) continue;
        seen.add(file);
        const content = await fileAt(dir, commit, file);
        plan.keyText += `${file}\n${content ?? '(missing)'}\n`;
        if (content === null) continue;
        queue.push(...includedFiles(file, content));
        const stripped = content.replace(/^\s*(?:-i|--index-url|--extra-index-url)\b.*$/gm, '');
        if (stripped !== content) plan.notes.push(`index options of ${file} left out`);
        mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
        writeFileSync(path.join(copy, file), stripped);
      }
    } else if ('pyproject' in step) {
      const text = await fileAt(dir, commit, step.pyproject);
      if (text === null) {
        if (step.ifExists !== true) throw new Error(`${step.pyproject} does not exist at ${short(commit)}`);
        continue;
      }
      plan.keyText += `${step.pyproject}\n${text}\n`;
      const pyproject = parseToml(text) as Record<string, unknown>;
      const pep621 = pyproject.project as
        { dependencies?: string[]; 'optional-dependencies'?: Record<string, string[]> } | undefined;
      let lines: string[];
      if (pep621?.dependencies !== undefined) {
        // [project].dependencies (+ extras) as written; no build of the project, no [tool.uv] index.
        lines = [...pep621.dependencies];
        for (const extra of step.extras ?? [])
          lines.push(...(pep621['optional-dependencies']?.[extra] ?? []));
        plan.notes.push(`[project].dependencies of ${step.pyproject}: ${lines.length} requirements`);
      } else {
        // A Poetry project: its dependencies as a requirements file (no build of the project itself).
        const converted = poetryRequirements(pyproject, python, step.extras ?? [], step.groups ?? []);
        lines = converted.lines;
        plan.notes.push(
          `[tool.poetry.dependencies] of ${step.pyproject} converted to ${lines.length} requirements`,
        );
        if (converted.skipped.length > 0)
          plan.notes.push(`left out (not on PyPI): ${converted.skipped.join(', ')}`);
      }
      const folder = mkdtempSync(path.join(tmpdir(), 'ar-bench-reqs-'));
      plan.tempFiles.push(folder);
      writeFileSync(path.join(folder, 'requirements.txt'), `${lines.join('\n')}\n`);
      plan.installArgs.push('-r', path.join(folder, 'requirements.txt'));
      // The lock file's versions as constraints: what the project really ran with at that commit.
      for (const lockName of ['poetry.lock', 'uv.lock']) {
        const lockFile = path.join(path.dirname(step.pyproject), lockName);
        const lock = await fileAt(dir, commit, lockFile);
        if (lock === null) continue;
        const pins = lockPins(lock);
        plan.keyText += `${lockFile}\n${pins.join('\n')}\n`;
        writeFileSync(path.join(folder, 'constraints.txt'), `${pins.join('\n')}\n`);
        plan.installArgs.push('-c', path.join(folder, 'constraints.txt'));
        plan.notes.push(`${lockFile}: its ${pins.length} versions as constraints`);
        break;
      }
    } else if ('editable' in step) {
      plan.editable.push(path.join(dir, step.editable));
    } else {
      const text = await fileAt(dir, commit, step.setupPy);
      if (text === null) {
        if (step.ifExists !== true) throw new Error(`${step.setupPy} does not exist at ${short(commit)}`);
        continue;
      }
      plan.keyText += `${step.setupPy}\n${text}\n`;
      plan.installArgs.push('-r', path.join(dir, step.setupPy));
    }
  }
  return plan;
}

async function ensureUv(): Promise<string> {
  const uv = path.join(UV_VENV, 'bin/uv');
  if (!existsSync(uv)) {
    mkdirSync(path.dirname(UV_VENV), { recursive: true });
    await execa('python3', ['-m', 'venv', UV_VENV]);
    await execa(path.join(UV_VENV, 'bin/pip'), ['install', '--quiet', 'uv']);
  }
  return uv;
}

const VERSION_PROBE = `import importlib.metadata as m, json, sys
out = {"python": sys.version.split()[0]}
for name in ["alembic", "SQLAlchemy", "psycopg2", "psycopg2-binary", "psycopg", "asyncpg", "Flask-Migrate", "Flask-SQLAlchemy"]:
    try:
        out[name] = m.version(name)
    except m.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
`;

/**
 * An editable install may generate files in the work tree (prefect's _build_info.py), which a clean
 * checkout removes: redo it after each checkout.
 */
async function redoEditables(project: CorpusProject, dir: string, venv: string): Promise<void> {
  for (const step of project.install) {
    if (!('editable' in step)) continue;
    await execa(
      await ensureUv(),
      ['pip', 'install', '--quiet', '--no-config', '--no-deps', '-e', path.join(dir, step.editable)],
      { env: { ...process.env, VIRTUAL_ENV: venv }, cwd: dir },
    );
  }
}

async function ensureVenv(project: CorpusProject, dir: string, pr: CorpusPr): Promise<VenvRecord> {
  const python = pr.python ?? project.python;
  const plan = await installPlan(project, dir, pr.commit, python);
  const key = createHash('sha256').update(plan.keyText).digest('hex').slice(0, 12);
  const venv = path.join(VENVS, `${project.name}-py${python}-${key}`);
  const record: VenvRecord = {
    dir: venv,
    key,
    reused: existsSync(path.join(venv, '.ready')),
    installMs: 0,
    commands: [],
    versions: {},
    error: null,
  };
  const log = path.join(venv, '.install.json');
  try {
    if (record.reused) {
      const earlier = JSON.parse(readFileSync(log, 'utf8')) as { commands: string[]; installMs: number };
      record.commands = earlier.commands;
      record.installMs = earlier.installMs;
      await redoEditables(project, dir, venv);
    } else {
      const uv = await ensureUv();
      const start = performance.now();
      rmSync(venv, { recursive: true, force: true });
      mkdirSync(VENVS, { recursive: true });
      const pythonPath = (await execa('pyenv', ['prefix', python], { reject: false })).stdout.trim();
      const interpreter = pythonPath !== '' ? path.join(pythonPath, 'bin/python') : `python${python}`;
      const env = { ...process.env, VIRTUAL_ENV: venv };
      const run = async (argv: string[]): Promise<void> => {
        record.commands.push(`uv ${argv.join(' ')}`);
        const result = await execa(uv, argv, { env, cwd: dir, reject: false, timeout: INSTALL_TIMEOUT_MS });
        if (result.exitCode !== 0) {
          throw new Error(
            `uv ${argv.slice(0, 3).join(' ')} failed: ${tail(String(result.stderr), 12).join('\n')}`,
          );
        }
      };
      await run(['venv', '--quiet', '--python', interpreter, venv]);
      // --no-config: a project's [tool.uv] may name its own private index; uv's default index is used.
      const pypiOnly = ['--no-config'];
      if (plan.installArgs.length > 0)
        await run(['pip', 'install', '--quiet', ...pypiOnly, ...plan.installArgs]);
      for (const editable of plan.editable)
        await run(['pip', 'install', '--quiet', '--no-config', '--no-deps', '-e', editable]);
      // What the review needs on top: alembic, SQLAlchemy, a PostgreSQL driver (already satisfied = no change).
      await run([
        'pip',
        'install',
        '--quiet',
        'alembic',
        'SQLAlchemy',
        ...project.reviewNeeds.map((need) => need.package),
      ]);
      const site = (
        await execa(path.join(venv, 'bin/python'), [
          '-c',
          'import sysconfig; print(sysconfig.get_paths()["purelib"])',
        ])
      ).stdout.trim();
      // The project's own packages are imported from the work tree (the same path for every commit).
      const paths = (project.paths ?? []).map((p) => path.join(dir, p));
      if (paths.length > 0) writeFileSync(path.join(site, 'zz-bench-project.pth'), `${paths.join('\n')}\n`);
      record.commands.push(...plan.notes.map((note) => `# ${note}`));
      if (paths.length > 0) record.commands.push(`# .pth in site-packages: ${paths.join(', ')}`);
      record.installMs = ms(start);
      writeFileSync(log, JSON.stringify({ commands: record.commands, installMs: record.installMs }, null, 2));
      writeFileSync(path.join(venv, '.ready'), '');
    }
    const probe = await execa(path.join(venv, 'bin/python'), ['-c', VERSION_PROBE], { reject: false });
    record.versions = probe.exitCode === 0 ? (JSON.parse(probe.stdout) as Record<string, string | null>) : {};
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
  } finally {
    for (const temp of plan.tempFiles) rmSync(temp, { recursive: true, force: true });
  }
  return record;
}

// ---------------------------------------------------------------- the review

interface ReportShape {
  summary?: Record<string, unknown>;
  revisions?: {
    id: string;
    path?: string;
    new: boolean;
    applied: boolean;
    statements?: unknown[];
    downRevisions?: string[];
  }[];
  findings?: {
    ruleId: string;
    severity: string;
    category: string;
    message: string;
    file?: string;
    line?: number;
    table?: string;
    column?: string;
    origin?: string;
  }[];
}

function tail(text: string, lines: number): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-lines);
}

/** From the first "alembic-review: " line to the end of that paragraph. */
function errorParagraph(stderr: string): string | null {
  const lines = stderr.split('\n');
  const start = lines.findIndex((line) => line.startsWith('alembic-review: '));
  if (start === -1) return null;
  const end = lines.findIndex((line, i) => i > start && line.trim() === '');
  return lines
    .slice(start, end === -1 ? undefined : end)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A finding's identity across two reviews: rule, object, message with ids and numbers blanked. */
function findingKey(f: NonNullable<ReportShape['findings']>[number]): string {
  const message = f.message
    .replace(/\s+/g, ' ')
    .replace(/\b[0-9a-f]{8,}\b/g, 'REV')
    .replace(/\d+/g, 'N')
    .slice(0, 200);
  return `${f.ruleId}|${f.table ?? ''}|${f.column ?? ''}|${message}`;
}

async function review(
  dir: string,
  project: CorpusProject,
  python: string,
  selection: string[],
  assisted: Assisted | null = null,
): Promise<CliRecord> {
  const out = mkdtempSync(path.join(tmpdir(), 'ar-bench-realproj-'));
  const output = path.join(out, 'report.json');
  const cliArgs = [
    'review',
    '--project',
    path.join(dir, project.project),
    ...selection,
    ...project.options,
    ...(assisted?.options ?? []),
    '--database',
    'url',
    '--database-url',
    DATABASE_URL,
    '--python',
    python,
    '--format',
    'json',
    '--output',
    output,
  ];
  try {
    const start = performance.now();
    const result = await execa(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...cliArgs], {
      cwd: dir,
      reject: false,
      timeout: RUN_TIMEOUT_MS,
      env: { NO_COLOR: '1', ...project.env, ...assisted?.env },
    });
    const elapsed = ms(start);
    const stderr = String(result.stderr);
    const report = existsSync(output) ? (JSON.parse(readFileSync(output, 'utf8')) as ReportShape) : null;
    return {
      args: cliArgs.map((a) =>
        a === output ? 'report.json' : a.startsWith(WORK) ? path.relative(WORK, a) : a,
      ),
      exitCode: result.exitCode ?? null,
      timedOut: result.timedOut,
      ms: elapsed,
      summary: report?.summary ?? null,
      revisions: newAndBaseHeads(report?.revisions ?? []).map((r) => ({
        id: r.id,
        ...(r.path === undefined ? {} : { path: r.path }),
        new: r.new,
        applied: r.applied,
        statements: r.statements?.length ?? 0,
        downRevisions: r.downRevisions ?? [],
        head: !r.new && !existingParents(report?.revisions ?? []).has(r.id),
      })),
      findings: (report?.findings ?? []).map((f) => ({
        ruleId: f.ruleId,
        severity: f.severity,
        category: f.category,
        where:
          f.file !== undefined ? `${f.file}:${f.line ?? ''}` : [f.table, f.column].filter(Boolean).join('.'),
        messageHead: f.message.replace(/\s+/g, ' ').slice(0, 400),
        origin: f.origin ?? null,
        key: findingKey(f),
        judged: 'unjudged',
        judgedBy: 'none',
        reason: '',
      })),
      errorParagraph: result.exitCode === 2 || report === null ? errorParagraph(stderr) : null,
      stderrTail: tail(stderr, 15),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * The new revisions, the existing ones that ran with their statements recorded (edited by the
 * change, or above an edited one) and the heads of the others: all that the results need of a long history.
 */
function newAndBaseHeads<
  R extends { id: string; new: boolean; downRevisions?: string[]; statements?: unknown[] },
>(revisions: R[]): R[] {
  const parents = existingParents(revisions);
  return revisions.filter((r) => r.new || (r.statements?.length ?? 0) > 0 || !parents.has(r.id));
}

function existingParents(revisions: readonly { new: boolean; downRevisions?: string[] }[]): Set<string> {
  return new Set(revisions.filter((r) => !r.new).flatMap((r) => r.downRevisions ?? []));
}

/** The revision the base commit ends with and its parent: `--since PARENT` reviews the base's last revision. */
function baselineSince(run: CliRecord): { since: string | null; note: string | null } {
  const old = run.revisions.filter((r) => !r.new);
  const parents = new Set(old.flatMap((r) => r.downRevisions));
  const heads = old.filter((r) => r.head ?? !parents.has(r.id));
  if (heads.length !== 1) return { since: null, note: `the base has ${heads.length} heads` };
  const downs = (heads[0] as CliRecord['revisions'][number]).downRevisions;
  if (downs.length !== 1) return { since: null, note: 'the base head has no single parent' };
  return { since: downs[0] as string, note: null };
}

const SERIOUS = new Set(['error', 'warning']);

function judge(run: RunRecord): void {
  const findings = run.review?.findings ?? [];
  const baselineKeys = new Set((run.baseline?.findings ?? []).map((f) => f.key));
  const baselineOk = run.baseline !== null && (run.baseline.exitCode === 0 || run.baseline.exitCode === 1);
  const prFiles = new Set(run.prRevisionFiles);
  for (const f of findings) {
    // Hand judgements name a finding by run, rule and where (file:line or table.column).
    const manual = judgements.findings[`${runId(run.project, run.commit)}|${f.ruleId}|${f.where}`];
    const file = f.where.includes(':') ? f.where.slice(0, f.where.lastIndexOf(':')) : null;
    if (manual !== undefined) {
      Object.assign(f, { judged: manual.judged, judgedBy: 'manual', reason: manual.reason });
    } else if (file !== null && [...prFiles].some((p) => p.endsWith(file) || file.endsWith(p))) {
      Object.assign(f, {
        judged: 'pr',
        judgedBy: 'pr-file',
        reason: 'points at a revision file the PR adds or changes',
      });
    } else if (baselineKeys.has(f.key)) {
      Object.assign(f, {
        judged: 'base',
        judgedBy: 'baseline',
        reason: 'also found reviewing the base commit',
      });
    } else if (file !== null && f.category !== 'drift') {
      // A drift finding's file:line is the model's, not a revision's: only the baseline judges it.
      Object.assign(f, {
        judged: 'base',
        judgedBy: 'old-file',
        reason: 'points at a revision the PR did not touch',
      });
    } else if (baselineOk) {
      Object.assign(f, { judged: 'pr', judgedBy: 'baseline', reason: 'not found reviewing the base commit' });
    }
  }
  const serious = findings.filter((f) => SERIOUS.has(f.severity));
  run.counts = {
    errorsWarnings: serious.length,
    notCausedByPr: serious.filter((f) => f.judged === 'base').length,
    noise: serious.filter((f) => f.judged === 'noise').length,
    unjudged: serious.filter((f) => f.judged === 'unjudged').length,
  };
}

function causeOf(run: RunRecord): { cause: string; group: string } | null {
  const entry = judgements.causes[runId(run.project, run.commit)];
  if (entry === undefined || run.status === 'reviewed') return null;
  const error = run.notRunReason ?? run.review?.errorParagraph ?? '';
  return error.startsWith(entry.errorStartsWith) ? { cause: entry.cause, group: entry.group } : null;
}

function notRun(project: CorpusProject, pr: CorpusPr): RunRecord {
  return {
    project: project.name,
    repo: project.repo,
    commit: pr.commit,
    base: pr.base,
    title: pr.title,
    does: pr.does,
    prRevisionFiles: [],
    status: 'not-run',
    notRunReason: null,
    venv: null,
    review: null,
    baseline: null,
    assisted: null,
    cause: null,
    counts: { errorsWarnings: 0, notCausedByPr: 0, noise: 0, unjudged: 0 },
  };
}

async function runPr(project: CorpusProject, pr: CorpusPr): Promise<RunRecord> {
  const run = notRun(project, pr);
  if (!existsSync(mirrorOf(project.repo))) {
    run.notRunReason = `mirror missing: ${mirrorOf(project.repo)} (fetch github:${project.repo} in the session first)`;
    return run;
  }
  const dir = await checkout(project, pr.commit);
  const changed = await git(
    dir,
    'diff',
    '--name-only',
    '--diff-filter=AMR',
    pr.base,
    pr.commit,
    '--',
    '*.py',
  );
  run.prRevisionFiles = changed
    .split('\n')
    .filter((file) => /(^|\/)(versions|revisions|migrations)\//.test(file) && !file.endsWith('env.py'));
  for (const need of project.systemPackages ?? []) {
    const installed = await execa('dpkg', ['-s', need.package], { reject: false });
    if (installed.exitCode !== 0) {
      run.notRunReason = `needs the Debian package ${need.package} (${need.why}): apt-get install ${need.package}`;
      return run;
    }
  }
  process.stderr.write(`[${project.name} ${short(pr.commit)}] venv...\n`);
  run.venv = await ensureVenv(project, dir, pr);
  if (run.venv.error !== null) {
    run.notRunReason = `venv: ${run.venv.error}`;
    return run;
  }
  const python = path.join(run.venv.dir, 'bin/python');
  process.stderr.write(`[${project.name} ${short(pr.commit)}] review --base ${short(pr.base)}...\n`);
  run.review = await review(dir, project, python, ['--base', pr.base]);
  run.status = statusOf(run.review, run.prRevisionFiles);
  if (run.status !== 'reviewed' && project.assisted !== undefined) {
    process.stderr.write(`[${project.name} ${short(pr.commit)}] assisted review...\n`);
    const assisted = await review(dir, project, python, ['--base', pr.base], project.assisted);
    run.assisted = { ...assisted, status: statusOf(assisted, run.prRevisionFiles) };
  }
  const needsBaseline =
    run.status !== 'failed' &&
    !args.values['no-baseline'] &&
    run.review.findings.some((f) => SERIOUS.has(f.severity) && !f.where.includes(':'));
  if (needsBaseline) {
    const { since, note } = baselineSince(run.review);
    if (since === null) {
      run.baseline = { ...emptyCli(), since, note };
    } else {
      await checkout(project, pr.base);
      await redoEditables(project, dir, run.venv.dir);
      process.stderr.write(
        `[${project.name} ${short(pr.commit)}] baseline: base commit --since ${since}...\n`,
      );
      const baseline = await review(dir, project, python, ['--since', since]);
      // Only what matching needs: the base review's findings are not shown.
      const findings = baseline.findings.map((f) => ({ ...f, messageHead: f.messageHead.slice(0, 100) }));
      run.baseline = { ...baseline, findings, since, note: null };
    }
  }
  judge(run);
  run.cause = causeOf(run);
  const summary =
    run.review.summary === null
      ? run.review.errorParagraph?.slice(0, 160)
      : JSON.stringify(run.review.summary);
  process.stderr.write(
    `[${project.name} ${short(pr.commit)}] exit ${run.review.exitCode} ${summary ?? ''}\n`,
  );
  return run;
}

/**
 * reviewed: the PR's own revisions ran (the new ones, or the edited ones, which ran again with their
 * statements recorded) and the review says it is complete, or says what stops it is the PR's own
 * revision failing (migration-failed on a file of the PR): nothing after that revision can be checked.
 */
function statusOf(cli: CliRecord, prRevisionFiles: readonly string[]): RunRecord['status'] {
  const reviewed = (cli.exitCode === 0 || cli.exitCode === 1) && cli.summary !== null;
  const edited = (file: string | undefined): boolean =>
    file !== undefined && prRevisionFiles.some((p) => p.endsWith(file) || file.endsWith(p));
  const prRan = cli.revisions.some(
    (r) => (r.new && (r.applied || r.statements > 0)) || (edited(r.path) && r.statements > 0),
  );
  const prFailed = cli.findings.some(
    (f) => f.ruleId === 'migration-failed' && edited(f.where.replace(/:\d*$/, '')),
  );
  const incomplete = cli.findings.some((f) => f.ruleId === 'review-incomplete');
  return !reviewed ? 'failed' : prRan && (!incomplete || prFailed) ? 'reviewed' : 'incomplete';
}

function emptyCli(): CliRecord {
  return {
    args: [],
    exitCode: null,
    timedOut: false,
    ms: 0,
    summary: null,
    revisions: [],
    findings: [],
    errorParagraph: null,
    stderrTail: [],
  };
}

// ---------------------------------------------------------------- report

const pct = (part: number, whole: number): string =>
  whole === 0 ? '-' : `${Math.round((100 * part) / whole)}%`;
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const hasReport = (run: RunRecord): boolean => run.status === 'reviewed' || run.status === 'incomplete';

function totals(runs: readonly RunRecord[]): {
  runs: number;
  reviewed: number;
  incomplete: number;
  errorsWarnings: number;
  notCausedByPr: number;
  noise: number;
  unjudged: number;
} {
  const withReport = runs.filter(hasReport);
  const sum = (pick: (r: RunRecord) => number): number => withReport.reduce((s, r) => s + pick(r), 0);
  return {
    runs: runs.length,
    reviewed: runs.filter((r) => r.status === 'reviewed').length,
    incomplete: runs.filter((r) => r.status === 'incomplete').length,
    errorsWarnings: sum((r) => r.counts.errorsWarnings),
    notCausedByPr: sum((r) => r.counts.notCausedByPr),
    noise: sum((r) => r.counts.noise),
    unjudged: sum((r) => r.counts.unjudged),
  };
}

function outcome(run: RunRecord | undefined): string {
  if (run === undefined) return '-';
  if (run.status === 'not-run') return 'not run';
  const c = run.counts;
  if (!hasReport(run))
    return `exit ${run.review?.exitCode ?? '?'}${run.review?.timedOut ? ' (timeout)' : ''}`;
  return `${run.status}, exit ${run.review?.exitCode}, ${c.errorsWarnings} E/W, ${c.notCausedByPr} not from PR (${pct(c.notCausedByPr, c.errorsWarnings)})`;
}

function compareTable(before: Results, after: Results): string {
  const key = (r: RunRecord): string => runId(r.project, r.commit);
  const old = new Map(before.runs.map((r) => [key(r), r]));
  const rows = after.runs.map(
    (r) => `| ${r.project} | \`${short(r.commit)}\` | ${outcome(old.get(key(r)))} | ${outcome(r)} |`,
  );
  const t0 = totals(before.runs);
  const t1 = totals(after.runs);
  return `| project | PR commit | before (${before.date.slice(0, 10)}) | after (${after.date.slice(0, 10)}) |
|---|---|---|---|
${rows.join('\n')}
| **total** | | reviewed ${t0.reviewed}/${t0.runs} (+${t0.incomplete} incomplete); ${t0.notCausedByPr}/${t0.errorsWarnings} E/W not from PR (${pct(t0.notCausedByPr, t0.errorsWarnings)}) | reviewed ${t1.reviewed}/${t1.runs} (+${t1.incomplete} incomplete); ${t1.notCausedByPr}/${t1.errorsWarnings} E/W not from PR (${pct(t1.notCausedByPr, t1.errorsWarnings)}) |
`;
}

function markdown(results: Results, compared: Results | null): string {
  const t = totals(results.runs);
  const projects = corpus.projects.filter((p) => results.runs.some((r) => r.project === p.name));
  const corpusRows = projects.map((p) => {
    const passed = [...Object.keys(p.env ?? {}).map((name) => `${name}=…`), ...p.options].join(' ');
    return `| ${p.name} | [${p.repo}](https://github.com/${p.repo}) | ${p.patterns.join(', ')} | ${p.python} | \`${p.project}\` | ${passed === '' ? '-' : `\`${passed}\``} | ${cell(p.optionsWhy ?? '')} | ${cell(p.notes)} |`;
  });
  const runRows = results.runs.map((r) => {
    const c = r.counts;
    const s = r.review?.summary as
      { errors?: number; warnings?: number; notices?: number } | null | undefined;
    const what = hasReport(r)
      ? `${s?.errors ?? 0}E ${s?.warnings ?? 0}W ${s?.notices ?? 0}N; not from PR: ${c.notCausedByPr}/${c.errorsWarnings} (${pct(c.notCausedByPr, c.errorsWarnings)})${c.unjudged > 0 ? `, unjudged ${c.unjudged}` : ''}`
      : cell(
          r.cause?.cause ??
            r.notRunReason ??
            r.review?.errorParagraph?.slice(0, 220) ??
            '(no error paragraph; see stderr)',
        );
    return `| ${r.project} | [\`${short(r.commit)}\`](https://github.com/${r.repo}/commit/${r.commit}) | \`${short(r.base)}\` | ${cell(r.title)} | ${r.status} | ${r.review?.exitCode ?? '-'} | ${r.review === null ? '-' : (r.review.ms / 1000).toFixed(1)} | ${what} |`;
  });
  const assistedRows = results.runs
    .filter((r) => r.assisted !== null)
    .map((r) => {
      const a = r.assisted as NonNullable<RunRecord['assisted']>;
      const spec = corpus.projects.find((p) => p.name === r.project)?.assisted;
      const passed = [...Object.keys(spec?.env ?? {}).map((k) => `${k}=…`), ...(spec?.options ?? [])].join(
        ' ',
      );
      const what =
        a.summary !== null
          ? JSON.stringify(a.summary)
          : cell(a.errorParagraph?.slice(0, 300) ?? a.stderrTail.join(' '));
      return `| ${r.project} | \`${short(r.commit)}\` | \`${cell(passed)}\` | ${a.status} | ${a.exitCode ?? '-'} | ${what} |`;
    });
  const groups = new Map<string, RunRecord[]>();
  for (const r of results.runs.filter((x) => x.status !== 'reviewed')) {
    const group = r.cause?.group ?? '(not yet classified)';
    groups.set(group, [...(groups.get(group) ?? []), r]);
  }
  const groupRows = [...groups.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(
      ([group, runs]) =>
        `| ${cell(group)} | ${runs.length} | ${runs.map((r) => `${r.project}@\`${short(r.commit)}\``).join(', ')} | ${cell(judgements.groups?.[group] ?? '')} |`,
    );
  const details = results.runs.filter(hasReport).map((r) => {
    const rows = (r.review?.findings ?? []).map(
      (f) =>
        `| ${f.severity} | ${f.ruleId} | \`${cell(f.where)}\` | ${cell(f.messageHead)} | ${f.judged}${f.origin !== null ? ` (tool: ${f.origin})` : ''} | ${cell(f.reason)} |`,
    );
    const baseline =
      r.baseline === null
        ? 'no baseline review (no drift/graph error or warning to judge, or --no-baseline)'
        : r.baseline.since === null
          ? `no baseline review: ${r.baseline.note ?? ''}`
          : `baseline: the base commit reviewed with \`--since ${r.baseline.since}\`, exit ${r.baseline.exitCode}${r.baseline.errorParagraph !== null ? ` (${cell(r.baseline.errorParagraph.slice(0, 160))})` : ''}`;
    return `### ${r.project} \`${short(r.commit)}\` — ${cell(r.title)}

PR revision files: ${r.prRevisionFiles.map((f) => `\`${f}\``).join(', ') || '(none)'}; ${baseline}.

| severity | rule | where | message | judged | why |
|---|---|---|---|---|---|
${rows.join('\n') || '| | (no findings) | | | | |'}
`;
  });
  const venvRows = [
    ...new Map(results.runs.filter((r) => r.venv !== null).map((r) => [r.venv?.dir, r])).values(),
  ].map((r) => {
    const v = r.venv as VenvRecord;
    const versions = Object.entries(v.versions)
      .filter(([, value]) => value !== null)
      .map(([name, value]) => `${name} ${value}`)
      .join(', ');
    return `| ${r.project} | \`${path.basename(v.dir)}\` | ${(v.installMs / 1000).toFixed(0)} s | ${cell(versions || v.error || '')} | ${cell(v.commands.join('; ').replaceAll(WORK, '…'))} |`;
  });
  return `# Real projects (${results.date.slice(0, 10)}, tool at \`${results.toolCommit?.slice(0, 10) ?? '?'}\`, ${results.machine.cpus} cores, Node ${results.machine.node})

\`node bench/real-projects.ts\` reviews historical pull requests of real public Alembic projects as a new user
would: a clean work tree at the PR commit, a venv from the project's own requirement files at that commit, then
\`node dist/cli.js review --base BASE --database url --database-url ${results.databaseUrl} --python VENV --format json\`
(plus the project's \`options\`, and the job environment it names with \`--pass-env\`, from \`bench/real-projects.corpus.json\`,
with the reason for each), no edit to the project's files.
Re-run after a change: \`npm run build && node bench/real-projects.ts [--only name] --compare COMMIT\` (COMMIT: one whose
\`bench/results/real-projects.json\` is the "before", or a copy of that file) prints and records the before/after table.
\`--only a,b\` runs some projects (the others are kept from the results file), \`--pr SHA\` one PR, \`--render\` re-judges
and re-renders without running. It needs the projects' mirrors under \`${MIRRORS}\` (a session's \`fetch\` of
github:owner/name; work trees and venvs go to \`${WORK}\`, outside this repository): a missing mirror is reported
with the fetch to do, and CI does not run it.

**Reviewed ${t.reviewed} of ${t.runs} runs** (the PR's own revisions ran, and the review is complete or stopped only by
one of them failing); ${t.incomplete} more gave a report without running them, or said it is incomplete. Of the ${t.errorsWarnings} error/warning findings of the runs with a report,
${t.notCausedByPr} (${pct(t.notCausedByPr, t.errorsWarnings)}) are not caused by the PR${t.noise > 0 ? `; ${t.noise} more caused by it but noise` : ''}${t.unjudged > 0 ? `, ${t.unjudged} are not judged` : ''}.

${compared === null ? '' : `## Before / after\n\n${compareTable(compared, results)}\n`}
## Corpus

| project | repository | patterns | python | --project | options (and job environment) | why | set-up |
|---|---|---|---|---|---|---|---|
${corpusRows.join('\n')}

## Runs

| project | PR commit | base | PR | status | exit | s | findings / cause |
|---|---|---|---|---|---|---|---|
${runRows.join('\n')}

## Why runs fail, grouped

| cause | runs | which | what the tool needs |
|---|---|---|---|
${groupRows.join('\n') || '| (none) | 0 | | |'}

## Behind the first error: runs with the documented workarounds

For projects whose \`assisted\` entry says what a user tries after the first message (environment variables with
\`--pass-env\`, \`--url-env\`; still no edit to the project's files), the same PR once more. Not counted above.

| project | PR commit | passed | status | exit | outcome |
|---|---|---|---|---|---|
${assistedRows.join('\n') || '| (none) | | | | | |'}

${(judgements.assistedNotes ?? []).map((note) => `- ${note}`).join('\n')}

## Findings of the reviewed runs

A finding is *pr* when it points at a revision file the PR adds or changes, or (drift, graph) when the review of
the base commit does not have it; *base* when the review of the base commit has it too or it points at a revision
the PR did not touch; hand judgements (\`bench/real-projects.judgements.json\`) say why.

${(judgements.notes ?? []).map((note) => `- ${note}`).join('\n')}

${details.join('\n')}
## Venvs

One per project and set of requirement files (cached under \`${VENVS}\`, keyed by the files' content), made with
uv (installed from PyPI into \`${UV_VENV}\` by the bench; with its cache a venv takes seconds, see the install column). Per venv: the project's own requirement files at the PR commit (a Poetry
project's \`[tool.poetry.dependencies]\` converted to requirements; its lock file's versions as constraints), then
\`alembic SQLAlchemy\` (no change when the project pins them) and the \`reviewNeeds\` of the corpus (a PostgreSQL
driver where the project names none), then a \`.pth\` that puts the project's source folders of the work tree on
\`sys.path\` (or an editable install where the package generates files at build time). Debian packages needed:
${corpus.projects.flatMap((p) => (p.systemPackages ?? []).map((n) => `\`${n.package}\` (${p.name}: ${n.why})`)).join(', ') || 'none'}.

| project | venv | install | versions | commands |
|---|---|---|---|---|
${venvRows.join('\n')}
`;
}

// ---------------------------------------------------------------- main

if (!existsSync(path.join(ROOT, 'dist/cli.js'))) {
  console.error('dist/cli.js is missing: run `npm run build` first.');
  process.exit(2);
}
const only = args.values.only?.split(',').map((s) => s.trim()) ?? null;
const selected = args.values.render
  ? []
  : corpus.projects.filter((p) => only === null || only.includes(p.name));
if (selected.length === 0 && !args.values.render) {
  console.error(
    `No project named ${args.values.only ?? ''}; the corpus has: ${corpus.projects.map((p) => p.name).join(', ')}`,
  );
  process.exit(2);
}
const missing = selected.filter((p) => !existsSync(mirrorOf(p.repo)));
for (const p of missing) {
  console.error(
    `Mirror missing for ${p.name}: ${mirrorOf(p.repo)} — fetch github:${p.repo} in the session (the fetch tool) first.`,
  );
}
if (missing.length > 0 && missing.length === selected.length) process.exit(2);

const readResults = (file: string): Results => JSON.parse(readFileSync(file, 'utf8')) as Results;
const earlierRuns = [
  ...(args.values.merge?.split(',') ?? []).flatMap((file) => readResults(file).runs),
  ...(existsSync(RESULTS_JSON) ? readResults(RESULTS_JSON).runs : []),
];
// The tool as reviewed: the last commit that changed what the CLI runs.
const toolCommit =
  (
    await execa('git', ['-C', ROOT, 'log', '-1', '--format=%H', '--', 'dist', 'src'], { reject: false })
  ).stdout.trim() || null;
const fresh: RunRecord[] = [];
for (const project of selected) {
  for (const pr of project.prs.filter(
    (p) => args.values.pr === undefined || p.commit.startsWith(args.values.pr),
  )) {
    try {
      fresh.push(await runPr(project, pr));
    } catch (error) {
      // A failure of the bench itself (git, a corrupt mirror): recorded, the other runs go on.
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`[${project.name} ${short(pr.commit)}] bench error: ${message}\n`);
      fresh.push({ ...notRun(project, pr), notRunReason: `bench: ${message.slice(0, 400)}` });
    }
  }
}
// Runs not re-run this time (filtered out) are kept from the earlier results file, in corpus order.
const freshIds = new Set(fresh.map((r) => runId(r.project, r.commit)));
const order = corpus.projects.flatMap((p) => p.prs.map((pr) => runId(p.name, pr.commit)));
const keptById = new Map<string, RunRecord>();
for (const r of earlierRuns) {
  const id = runId(r.project, r.commit);
  if (!freshIds.has(id) && order.includes(id) && !keptById.has(id)) keptById.set(id, r);
}
const kept = [...keptById.values()];
for (const run of kept) {
  // Re-judged: the status too, from the report recorded.
  if (run.review !== null && (run.status === 'reviewed' || run.status === 'incomplete'))
    run.status = statusOf(run.review, run.prRevisionFiles);
  judge(run);
  run.cause = causeOf(run);
}
const runs = [...kept, ...fresh].sort(
  (a, b) => order.indexOf(runId(a.project, a.commit)) - order.indexOf(runId(b.project, b.commit)),
);
const results: Results = {
  date: new Date().toISOString(),
  toolCommit,
  machine: { cpus: cpus().length, node: process.version },
  databaseUrl: DATABASE_URL,
  runs,
};
/** An earlier results file, or a git commit of this repository whose results file is the earlier one. */
async function earlierResults(source: string): Promise<Results> {
  if (existsSync(source)) return readResults(source);
  const relative = path.relative(ROOT, RESULTS_JSON);
  const shown = await execa('git', ['-C', ROOT, 'show', `${source}:${relative}`], { reject: false });
  if (shown.exitCode !== 0) {
    console.error(`--compare ${source}: neither a file nor a commit that has ${relative}`);
    process.exit(2);
  }
  return JSON.parse(String(shown.stdout)) as Results;
}
const compared = args.values.compare !== undefined ? await earlierResults(args.values.compare) : null;
mkdirSync(path.dirname(RESULTS_JSON), { recursive: true });
writeFileSync(RESULTS_JSON, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(RESULTS_MD, markdown(results, compared));
if (compared !== null) console.log(compareTable(compared, results));
const t = totals(runs);
console.log(
  `reviewed ${t.reviewed} of ${t.runs} runs (+${t.incomplete} incomplete); ${t.notCausedByPr} of ${t.errorsWarnings} error/warning findings not caused by the PR (${pct(t.notCausedByPr, t.errorsWarnings)}). Results: ${path.relative(ROOT, RESULTS_MD)}`,
);
