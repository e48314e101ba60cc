// Hostile projects for the isolation probes: a revision that tries, one after
// the other, what a malicious pull request would try (each attempt in its own
// connection or savepoint, so that one refusal does not hide the next), and
// writes what happened to a results file the test reads; an env.py that
// sleeps forever; a revision that sleeps when it is imported. The test then
// looks at the server, the processes and the files from the outside.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { reviewJson, type CliResult } from '../helpers/cli.ts';

export interface ProbeOutcome {
  probe: string;
  outcome: 'refused' | 'succeeded';
  detail: string;
}

/** What every probe run shares: a marker in names, a world-writable results directory. */
export class ProbeRun {
  readonly marker = `arprobe${randomBytes(4).toString('hex')}`;
  readonly dir: string;
  /** The fake job token the CLI gets in its environment. */
  readonly token = `ghp_${randomBytes(18).toString('hex')}`;
  /** Unique durations: the background processes are found by them. */
  readonly sleeps = [86_400 + Math.random(), 86_400 + Math.random()].map((s) => s.toFixed(6));

  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), 'ar-probe-'));
    // The project's code may run as another user: it must be able to write here.
    chmodSync(this.dir, 0o777);
  }

  get resultsFile(): string {
    return path.join(this.dir, 'results.jsonl');
  }

  outcomes(): ProbeOutcome[] {
    if (!existsSync(this.resultsFile)) return [];
    return readFileSync(this.resultsFile, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as ProbeOutcome);
  }

  outcome(probe: string): ProbeOutcome {
    const found = this.outcomes().find((o) => o.probe === probe);
    if (found === undefined)
      throw new Error(`probe ${probe} did not run: ${JSON.stringify(this.outcomes())}`);
    return found;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ProbeSettings {
  /** With a superuser connection, write (false: only look; for servers we share). */
  superuserAttack: boolean;
  /** Try DROP DATABASE postgres (false where it could succeed and break the run itself). */
  dropPostgres: boolean;
}

/** The probe revision's upgrade(): every attempt, recorded. */
function probeUpgrade(run: ProbeRun, { superuserAttack, dropPostgres }: ProbeSettings): string {
  return `
import json, os, subprocess, sys, time
from sqlalchemy import text

OUT = ${JSON.stringify(run.resultsFile)}
MARKER = ${JSON.stringify(run.marker)}

def record(probe, outcome, detail):
    with open(OUT, "a") as handle:
        handle.write(json.dumps({"probe": probe, "outcome": outcome, "detail": str(detail)[:4000]}) + "\\n")

def attempt(probe, fn):
    try:
        record(probe, "succeeded", fn())
    except Exception as error:
        record(probe, "refused", "%s: %s" % (type(error).__name__, error))

bind = op.get_bind()
engine = bind.engine
url = engine.url

def autocommit(statement):
    def run():
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(statement)
        return "executed: " + statement
    return run

def driver_connect(**kwargs):
    # Below every driver entry point the review redirects: what a migration that
    # knows the tool could do. Only the database role and the server stop it.
    params = {"host": url.host, "port": url.port or 5432, "connect_timeout": 5}
    params.update(kwargs)
    conninfo = " ".join("%s='%s'" % (k, str(v).replace("\\\\", "\\\\\\\\").replace("'", "\\\\'")) for k, v in params.items() if v is not None)
    try:
        import psycopg
        pgconn = psycopg.pq.PGconn.connect(conninfo.encode())
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            raise psycopg.OperationalError(pgconn.error_message.decode(errors="replace"))
        connection = psycopg.Connection(pgconn)
    except ImportError:
        from psycopg2._psycopg import _connect
        connection = _connect(conninfo)
    connection.autocommit = True
    return connection

if ${dropPostgres ? 'True' : 'False'}:
    attempt("drop-database-postgres", autocommit("DROP DATABASE postgres"))
attempt("create-role-superuser", autocommit("CREATE ROLE %s_evil SUPERUSER LOGIN" % MARKER))
attempt("create-database", autocommit("CREATE DATABASE %s_db" % MARKER))
attempt("copy-to-program", autocommit("COPY (SELECT 1) TO PROGRAM 'touch %s/copy-to-program'" % ${JSON.stringify(run.dir)}))

def dblink():
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS dblink")
        connection.execute(
            text("SELECT dblink_exec(:dsn, :sql)"),
            {"dsn": "host=%s port=%s dbname=postgres user=postgres" % (url.host, url.port or 5432),
             "sql": "CREATE TABLE %s_dblink (i int)" % MARKER},
        )
    return "dblink_exec ran in postgres"
attempt("dblink-exec", dblink)

def raw_other_database():
    # The engine's own credentials, straight through the driver, to another database.
    raw = engine.raw_connection()
    raw.close()
    connection = driver_connect(user=url.username, password=url.password, dbname="postgres")
    try:
        connection.cursor().execute("CREATE TABLE %s_raw (i int)" % MARKER)
    finally:
        connection.close()
    return "created a table in postgres"
attempt("raw-connection-other-database", raw_other_database)

def superuser():
    connection = driver_connect(user="postgres", dbname="postgres")
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if ${superuserAttack ? 'True' : 'False'}:
            cursor.execute("CREATE TABLE %s_superuser (i int)" % MARKER)
        return "connected as postgres (superuser: %s)" % cursor.fetchone()[0]
    finally:
        connection.close()
attempt("raw-connect-superuser", superuser)

def environ():
    readable, seen = [], 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        seen += 1
        try:
            with open("/proc/%s/environ" % name, "rb") as handle:
                if b"GITHUB_TOKEN=" in handle.read():
                    readable.append(name)
        except OSError:
            pass
    try:
        with open("/proc/%d/environ" % os.getppid(), "rb") as handle:
            parent = handle.read()
        if b"GITHUB_TOKEN=" in parent:
            readable.append("ppid")
    except OSError:
        pass
    if readable:
        return "GITHUB_TOKEN readable in /proc/%s/environ" % ",".join(readable)
    raise PermissionError("no environ with GITHUB_TOKEN readable among %d processes (ppid %d)" % (seen, os.getppid()))
attempt("proc-environ-token", environ)

def background():
    subprocess.Popen(["sleep", ${JSON.stringify(run.sleeps[0])}], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", ${JSON.stringify(run.sleeps[1])}])
        os._exit(0)
    os.wait()
    return "started two detached processes"
attempt("setsid-background", background)

def census():
    rows = bind.execute(text("SELECT datname FROM pg_database ORDER BY 1")).fetchall()
    roles = bind.execute(text("SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1")).fetchall()
    return json.dumps({"databases": [r[0] for r in rows], "roles": [r[0] for r in roles]})
attempt("census", census)
op.create_table("probe_ran", sa.Column("id", sa.Integer, primary_key=True))
`;
}

export async function hostileProject(
  run: ProbeRun,
  settings: ProbeSettings = { superuserAttack: true, dropPostgres: true },
): Promise<AlembicProject> {
  const project = await makeProject({
    revisions: [
      {
        id: 'a1a1a1a1a1a1',
        upgrade: 'op.create_table("base", sa.Column("id", sa.Integer, primary_key=True))',
      },
    ],
  });
  await project.pullRequest((p) => {
    p.addRevision({ id: 'b2b2b2b2b2b2', down: 'a1a1a1a1a1a1', upgrade: probeUpgrade(run, settings) });
  });
  return project;
}

/** A project whose env.py never returns once it runs (not at import: at upgrade time). */
export async function sleepingEnvProject(): Promise<AlembicProject> {
  const project = await makeProject({
    revisions: [{ id: 'c3c3c3c3c3c3', upgrade: 'pass' }],
  });
  const envFile = path.join(project.dir, 'migrations/env.py');
  const source = readFileSync(envFile, 'utf8').replace(
    'def run_migrations_online():',
    'def run_migrations_online():\n    import time\n    time.sleep(10 ** 6)',
  );
  await project.pullRequest((p) => {
    p.write('migrations/env.py', source);
  });
  return project;
}

/** A revision that starts a process in a session of its own, then never returns. */
export async function hangingRevisionProject(run: ProbeRun): Promise<AlembicProject> {
  const project = await makeProject({ revisions: [{ id: 'f6f6f6f6f6f6', upgrade: 'pass' }] });
  await project.pullRequest((p) => {
    p.addRevision({
      id: 'f7f7f7f7f7f7',
      down: 'f6f6f6f6f6f6',
      upgrade: `import subprocess, time
subprocess.Popen(["sleep", ${JSON.stringify(run.sleeps[0])}], start_new_session=True)
time.sleep(10 ** 6)`,
    });
  });
  return project;
}

/** A revision that sleeps when Alembic imports it (the load step). */
export async function sleepingImportProject(): Promise<AlembicProject> {
  const project = await makeProject({ revisions: [{ id: 'd4d4d4d4d4d4', upgrade: 'pass' }] });
  await project.pullRequest((p) => {
    p.write(
      'migrations/versions/e5e5e5e5e5e5_sleep.py',
      `import time\ntime.sleep(10 ** 6)\nrevision = 'e5e5e5e5e5e5'\ndown_revision = 'd4d4d4d4d4d4'\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n`,
    );
  });
  return project;
}

export interface ReviewRun {
  result: CliResult;
  report:
    { findings: { ruleId: string; message: string }[]; environment: Record<string, unknown> } | undefined;
}

/** The CLI as a CI job runs it: a token in its environment, the report as JSON. */
export function reviewProject(project: AlembicProject, run: ProbeRun, args: string[]): Promise<ReviewRun> {
  return reviewJson<NonNullable<ReviewRun['report']>>(project.dir, args, {
    env: { GITHUB_TOKEN: run.token, ACTIONS_RUNTIME_TOKEN: run.token },
    output: path.join(run.dir, `report-${randomBytes(3).toString('hex')}.json`),
  });
}

/** Processes on this machine whose command line holds one of the strings. */
export async function processesWith(needles: readonly string[]): Promise<string[]> {
  const ps = await execa('ps', ['-eo', 'pid=,user=,args='], { reject: false });
  return String(ps.stdout)
    .split('\n')
    .filter((line) => needles.some((n) => line.includes(n)) && !line.includes('ps -eo'));
}

/** The refusals every provider must show, whatever the server. */
export function expectCommonRefusals(run: ProbeRun): void {
  for (const probe of [
    'drop-database-postgres',
    'create-role-superuser',
    'create-database',
    'copy-to-program',
  ]) {
    expect(run.outcome(probe).outcome, `${probe}: ${run.outcome(probe).detail}`).toBe('refused');
  }
  expect(run.outcome('drop-database-postgres').detail).toMatch(/must be owner|permission denied/);
  expect(run.outcome('create-role-superuser').detail).toMatch(
    /permission denied to create role|must be superuser to create superusers/,
  );
  expect(run.outcome('create-database').detail).toMatch(/permission denied to create database/);
  expect(run.outcome('copy-to-program').detail).toMatch(/pg_execute_server_program|must be superuser/);
  expect(existsSync(path.join(run.dir, 'copy-to-program'))).toBe(false);
  expect(run.outcome('dblink-exec').outcome, run.outcome('dblink-exec').detail).toBe('refused');
  const environ = run.outcome('proc-environ-token');
  expect(environ.outcome, environ.detail).toBe('refused');
  // The background processes were started, then killed with the bridge.
  expect(run.outcome('setsid-background').outcome).toBe('succeeded');
}

/** On a server of our own: its own databases only, and nothing it may create elsewhere. */
export function expectOwnServerRefusals(run: ProbeRun): void {
  expect(run.outcome('raw-connection-other-database').detail).toMatch(/permission denied for database/);
  expect(run.outcome('raw-connect-superuser').outcome).toBe('refused');
  expect(run.outcome('raw-connect-superuser').detail).toMatch(/password/);
  const census = JSON.parse(run.outcome('census').detail) as { databases: string[]; roles: string[] };
  expect(census.databases.filter((d) => !/^(postgres|template[01]|alembic_review_.+)$/.test(d))).toEqual([]);
  expect(census.roles.filter((r) => !/^(postgres|alembic_review_r_[0-9a-f]{10})$/.test(r))).toEqual([]);
}
