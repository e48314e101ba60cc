// Opening the project through the bridge: which Python and Alembic run it,
// where the migrations live, and the revision graph. Bridge errors about the
// user's project become UsageErrors (exit 2) with a message that names the
// problem; anything else is a bug in the tool.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { UsageError } from '../errors.ts';
import type { DatabaseProvider } from '../database/provider.ts';
import type { Options } from '../options.ts';
import { Bridge, BridgeFailure, RevisionTimeout, resolvePython } from './bridge.ts';
import { greet } from './open-bridge.ts';
import { knownRevisions } from '../replay/base-cache.ts';
import type { BridgeRevision, HelloResult, LoadArgs, LoadResult } from './protocol.ts';

export interface ProjectInfo {
  python: string;
  hello: HelloResult;
  load: LoadResult;
}

/** Turns a bridge error reply into what the user should read. */
export function explainBridgeError(error: unknown, python: string): unknown {
  if (error instanceof RevisionTimeout) {
    return new UsageError(
      'migration-env',
      `The project's code did not finish: ${error.message} (revision-timeout). Does env.py wait for something (a server, a lock, input)?`,
    );
  }
  if (error instanceof UsageError || !(error instanceof BridgeFailure)) return error;
  const where = (): string => {
    const file = error.payload.file;
    const line = error.payload.line;
    return typeof file === 'string'
      ? ` (${path.basename(file)}${typeof line === 'number' ? ` line ${line}` : ''})`
      : '';
  };
  switch (error.kind) {
    case 'python':
      if (error.payload.cause === 'version') return new UsageError('python', `${error.message}.`);
      return new UsageError(
        'python',
        `The project's Python cannot run Alembic: ${error.message}. Install the project's dependencies (alembic, SQLAlchemy and a PostgreSQL driver such as psycopg) into it, or pass --python with the interpreter that has them (tried: ${python}).`,
      );
    case 'project':
      return new UsageError('project', `The Alembic project cannot be opened: ${error.message}`);
    case 'graph':
      // A revision file that reads the project's settings when it is loaded.
      if (error.payload.cause === 'settings')
        return new UsageError('migration-env', envFailure(error, where(), python));
      return new UsageError('graph', `The migration history cannot be read: ${error.message}`);
    case 'env':
      return new UsageError('migration-env', envFailure(error, where(), python), {
        detail: typeof error.payload.traceback === 'string' ? error.payload.traceback : undefined,
      });
    case 'permission':
      return new UsageError(
        'project',
        `The project's Python may not read the project: ${error.message}. Make the project directory and its files readable by the user alembic-review runs as.`,
      );
    case 'unsafe-database':
      return new UsageError('database', `Stopped for safety: ${error.message}.`);
    default:
      return new Error(`internal error in the Python bridge: ${error.message}`, { cause: error });
  }
}

/** One paragraph per cause of an env.py (or app, or settings) failure, saying what to do. */
function envFailure(failure: BridgeFailure, where: string, python: string): string {
  const payload = failure.payload;
  // One paragraph: the driver's multi-line messages joined.
  const error = { message: failure.message.replace(/\s+/g, ' ').trim().replace(/\.$/, '') };
  const text = (key: string): string | undefined => {
    const value = payload[key];
    return typeof value === 'string' ? value : undefined;
  };
  const names = Array.isArray(payload.settings) ? (payload.settings as unknown[]).map(String) : [];
  switch (payload.cause) {
    case 'connection': {
      const host = text('host');
      const database = text('database');
      const tried = [
        host === undefined ? '' : `host ${host}`,
        database === undefined ? '' : `database ${database}`,
      ]
        .filter((t) => t !== '')
        .join(', ');
      return `The project's code tried to connect to its own database${tried === '' ? '' : ` (${tried})`} before any migration ran${where}: ${error.message}. Every SQLAlchemy engine and every psycopg, psycopg2 and asyncpg connect of the project is redirected to the throwaway database, so this was a connection made some other way (another driver, or a subprocess such as psql). Let that code take its URL from config.get_main_option("sqlalchemy.url") or from a variable named in url-env.`;
    }
    case 'module':
      return `env.py failed before any migration ran${where}: the module ${text('module') ?? '(unknown)'} cannot be imported (${error.message}). Install the project's dependencies into the Python the review runs (${python}), or pass --python with the interpreter that has them.`;
    case 'settings': {
      const list = names.length === 0 ? 'a setting' : names.join(', ');
      const variables = names.map((n) => n.toUpperCase()).join(',');
      return `The project's settings refused to load before any migration ran${where}: ${list} ${names.length > 1 ? 'are' : 'is'} missing or invalid (${error.message}). The project's code runs with a minimal environment: pass what the settings need with --pass-env ${variables || 'NAME'} (pass-env in [tool.alembic-review] or the action), or the file they come from with --dotenv FILE (dotenv: the .env or .env.example that docker compose or the project's docs use), and name the variables that hold the database URL in url-env.`;
    }
    case 'flask-app':
      return `env.py is Flask-Migrate's, but the Flask app was not found${where}: ${error.message}. The review looks for it as \`flask db\` does (FLASK_APP, .flaskenv, wsgi.py or app.py with an app object or a create_app() factory${text('tried') === undefined ? '' : `; tried ${text('tried') ?? ''}`}): pass --flask-app "package.module:create_app()" (flask-app).`;
    case 'event-loop':
      return `env.py failed before any migration ran${where} with an event-loop problem: ${error.message}. The review runs env.py in a plain Python process with no event loop running; an async env.py should start its own with asyncio.run(...) as Alembic's async template does, and must not reuse an engine or loop made at import time.`;
    default:
      return `env.py failed before any migration ran${where}: ${error.message}. Fix env.py or install what it imports into the project's Python (${python}).`;
  }
}

/**
 * The variables of the dotenv files, later files winning (as docker compose reads
 * several env_file entries). `locate` maps a file to the tree being opened; a
 * file missing there (the base commit's tree) is skipped.
 */
export function dotenvVariables(
  files: readonly string[],
  locate: (file: string) => string = (file) => file,
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(locate(file), 'utf8');
    } catch {
      continue;
    }
    Object.assign(variables, parseEnv(text));
  }
  return variables;
}

/** The load arguments of the project, for the pull request's tree and the base commit's. */
export function loadArgs(
  options: Options,
  locate?: (file: string) => string,
): Omit<LoadArgs, 'configFile' | 'tomlFile'> {
  return {
    environment: dotenvVariables(options.dotenvFiles, locate),
    iniSection: options.iniSection,
    xArgs: options.xArgs,
    urlEnv: options.urlEnv,
    ...(options.configFactory === undefined ? {} : { configFactory: options.configFactory }),
    ...(options.flaskApp === undefined ? {} : { flaskApp: options.flaskApp }),
    ...(options.driver === undefined ? {} : { driver: options.driver }),
    ...(options.tenantSchema === null ? {} : { tenantSchema: options.tenantSchema }),
    ...(options.engine === null ? {} : { engine: options.engine }),
  };
}

export async function inspectProject(
  bridge: Bridge,
  options: Options,
  /** Found by git while the Python process starts. */
  changedFiles: Promise<string[]> = Promise.resolve([]),
  /** The hello sent when the bridge was opened (greetedBridge); else sent now. */
  helloSent?: Promise<HelloResult>,
): Promise<ProjectInfo> {
  const python = resolvePython(options.projectDir, options.python);
  // Awaited after hello; a git failure meanwhile must not count as unhandled.
  changedFiles.catch(() => undefined);
  const opening = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      if (error instanceof RevisionTimeout) {
        throw new UsageError(
          'project',
          `Opening the project did not finish within ${Math.round(error.timeoutMs / 1000)} s (revision-timeout): importing its Alembic configuration, env.py or a revision file hangs. The bridge was stopped.`,
        );
      }
      throw explainBridgeError(error, python);
    }
  };
  const greeting = opening(() => helloSent ?? greet(bridge, options));
  // Read while the bridge starts; a cache that cannot be read knows nothing.
  const knowing = knownRevisions(options, greeting).catch(() => ({}));
  const hello = await greeting;
  const files = await changedFiles;
  const known = await knowing;
  const load = await opening(() =>
    bridge.call('load', {
      configFile: options.configFile,
      tomlFile: options.tomlFile,
      ...loadArgs(options),
      changedFiles: files,
      // Read for the revisions the change replays once they are known (readStaticFacts).
      staticFacts: false,
      ...(Object.keys(known).length === 0 ? {} : { knownRevisions: known }),
    }),
  );
  return { python, hello, load };
}

/**
 * The static facts of the revisions the review replays, read into their
 * entries of the project's load (the plan holds the same objects).
 */
export async function readStaticFacts(
  bridge: Bridge,
  project: ProjectInfo,
  revisions: readonly BridgeRevision[],
): Promise<void> {
  if (revisions.length === 0) return;
  const { facts } = await bridge
    .call('facts', { paths: revisions.map((r) => r.path) })
    .catch((error: unknown) => {
      throw explainBridgeError(error, project.python);
    });
  for (const revision of revisions) Object.assign(revision, facts[revision.path] ?? {});
}

/**
 * Queues the import of the ORM and the project's driver: the bridge does it
 * while the database is being prepared, instead of in the first env.py run.
 * Nothing waits for it; a failure shows where the project imports them.
 */
export function prewarm(bridge: Bridge, load: LoadResult): void {
  void bridge.call('prewarm', { driver: load.driver }).catch(() => undefined);
}

const APPS = new WeakMap<Bridge, Promise<string | null>>();

/**
 * Flask-Migrate: the app created before env.py runs, in a throwaway database
 * of its own (creating an app may create, create_all + stamp or upgrade its
 * database). Returns how the app was found; null for other projects.
 */
export async function createFlaskApp(
  bridge: Bridge,
  load: LoadResult,
  provider: DatabaseProvider,
  urlEnv: string[],
  python: string,
): Promise<string | null> {
  if (load.flask !== true) return null;
  // Once per bridge, however often and however soon after each other asked.
  let creating = APPS.get(bridge);
  if (creating === undefined) {
    creating = (async () => {
      const database = await provider.createDatabase('app');
      try {
        const created = await bridge.call('flask-app', {
          url: database.url,
          expect: { name: database.name, token: database.token },
          urlEnv,
        });
        return created.found;
      } catch (error) {
        throw explainBridgeError(error, python);
      }
    })();
    APPS.set(bridge, creating);
  }
  return creating;
}
