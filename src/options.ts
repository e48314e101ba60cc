// One validated Options object, from CLI flags or action inputs, over the
// project's [tool.alembic-review] table in pyproject.toml, over defaults.
// Everything downstream reads Options only; every check on user input is here.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { DatabaseRole } from './database/access.ts';
import type { DatabaseKind } from './database/provider.ts';
import { DEFAULT_POSTGRES_IMAGE } from './database/testcontainers.ts';
import { parsePostgresUrl } from './database/url.ts';
import { defaultCacheDir } from './cache-dir.ts';
import { UsageError } from './errors.ts';
import type { FailOn, Severity } from './model.ts';
import { RULES, isRuleId } from './rules/catalog.ts';
import { IgnoreEntryError, parseIgnoreEntry, type IgnoreEntry } from './rules/ignores.ts';
import type { PreExisting } from './rules/policy.ts';

export type Format = 'text' | 'markdown' | 'json' | 'sarif';

/** Where the CLI and the action also read preflight-url from (a secret: never from pyproject.toml). */
export const PREFLIGHT_URL_ENV = 'ALEMBIC_REVIEW_PREFLIGHT_URL';
export type SeverityOverride = Severity | 'off';
/** replay (default; falls back to models when an old revision fails), models, or a pg_dump --schema-only file. */
export type BaseFrom = { kind: 'replay' } | { kind: 'models' } | { kind: 'schema'; file: string };

export interface Options {
  projectDir: string;
  /** alembic.ini (absolute), or null when the config lives in pyproject.toml only. */
  configFile: string | null;
  /** pyproject.toml (absolute) when it has a [tool.alembic] table. */
  tomlFile: string | null;
  iniSection: string;
  /** "package.module:function" that returns the Alembic Config (instead of the config file). */
  configFactory: string | undefined;
  /** -x key=value arguments for env.py (context.get_x_argument()). */
  xArgs: string[];
  /** The Flask app for Flask-Migrate projects, as FLASK_APP would name it. */
  flaskApp: string | undefined;
  /** How the database at the base is built: replay the history, the base commit's models, or a schema dump. */
  baseFrom: BaseFrom;
  /**
   * Schema per tenant: an empty schema of this name is made in every throwaway
   * database before env.py runs, for an env.py that migrates each tenant schema
   * it finds; the schema-less models are compared with it. Null: off.
   */
  tenantSchema: string | null;
  /**
   * Alembic's multidb template: review only this database (an engine name of
   * the ini's databases option). Null: each of them, one after the other.
   */
  engine: string | null;
  base: string | undefined;
  since: string | undefined;
  database: DatabaseKind;
  databaseUrl: string | undefined;
  postgresImage: string;
  python: string | undefined;
  format: Format;
  output: string | undefined;
  failOn: FailOn;
  verbose: boolean;
  /** Synthetic rows inserted into every table that exists at the base. */
  seedRows: number;
  seedSql: string | undefined;
  /** Environment variables env.py reads its URL from; set to the throwaway URL. */
  urlEnv: string[];
  /** Other environment variables the project's code needs, passed as named. */
  passEnv: string[];
  /** Dotenv files (absolute) whose variables the project's code gets, unless the environment sets them. */
  dotenvFiles: string[];
  /** SQLAlchemy driver for env.py's URL (default: detected). */
  driver: string | undefined;
  revisionTimeoutMs: number;
  maxNewRevisions: number;
  severity: Record<string, SeverityOverride>;
  /** Findings already true at the base commit: notices (default), as severe as they are, or left out. */
  preExisting: PreExisting;
  /** Per-object ignores of findings that have no op.* line to comment on. */
  ignore: IgnoreEntry[];
  /** What the project's code connects as: a role of the run's own (default), or the provider's superuser. */
  databaseRole: DatabaseRole;
  /** Extensions created beforehand, as superuser, in every throwaway database. */
  extensions: string[];
  /** auto: the project's Python in the best sandbox this machine offers; off: as this user. */
  sandbox: SandboxSetting;
  /** A read-only database (replica, staging copy) the data checks may query; a secret, never from pyproject.toml. */
  preflightUrl: string | undefined;
  /** Show offending values found on the preflight database (default: counts only). */
  preflightShowValues: boolean;
  /** Where the base frontier is cached between runs (absolute); null: no cache. */
  cacheDir: string | null;
  /** Which release meets which schema during a deploy (old-code-incompatible). */
  deployOrder: DeployOrder;
}

export type SandboxSetting = 'auto' | 'off';
/**
 * How a deploy meets the schema change: migrate-first (the migration runs
 * while the previous release still serves: its models are checked against
 * the migrated head), code-first (the new release starts before the
 * migration: also its models against the base schema), off.
 */
export type DeployOrder = 'migrate-first' | 'code-first' | 'off';

/** Raw values as they come from flags, inputs or TOML (strings, mostly). */
export type RawOptions = Partial<Record<keyof Options | 'config', unknown>>;

const FORMATS: readonly Format[] = ['text', 'markdown', 'json', 'sarif'];
const DATABASES: readonly DatabaseKind[] = ['auto', 'testcontainers', 'embedded', 'url', 'none'];
const FAIL_ON: readonly FailOn[] = ['error', 'warning', 'never'];
const SEVERITY_VALUES: readonly SeverityOverride[] = ['error', 'warning', 'notice', 'off'];
const PRE_EXISTING: readonly PreExisting[] = ['notice', 'error', 'off'];
const DATABASE_ROLES: readonly DatabaseRole[] = ['restricted', 'superuser'];
const SANDBOX_SETTINGS: readonly SandboxSetting[] = ['auto', 'off'];
export const DEPLOY_ORDERS: readonly DeployOrder[] = ['migrate-first', 'code-first', 'off'];

/** Keys accepted in [tool.alembic-review] (kebab-case, as in the action's inputs). */
const TOML_KEYS: Record<string, keyof Options | 'config' | 'rules'> = {
  config: 'config',
  'alembic-config': 'config',
  'ini-section': 'iniSection',
  'config-factory': 'configFactory',
  'x-arg': 'xArgs',
  'flask-app': 'flaskApp',
  base: 'baseFrom',
  'base-from': 'baseFrom',
  'tenant-schema': 'tenantSchema',
  engine: 'engine',
  database: 'database',
  'postgres-image': 'postgresImage',
  python: 'python',
  'fail-on': 'failOn',
  'seed-rows': 'seedRows',
  'seed-sql': 'seedSql',
  'url-env': 'urlEnv',
  'pass-env': 'passEnv',
  dotenv: 'dotenvFiles',
  driver: 'driver',
  'revision-timeout': 'revisionTimeoutMs',
  'max-new-revisions': 'maxNewRevisions',
  'pre-existing': 'preExisting',
  ignore: 'ignore',
  'database-role': 'databaseRole',
  extensions: 'extensions',
  sandbox: 'sandbox',
  'preflight-show-values': 'preflightShowValues',
  cache: 'cacheDir',
  'deploy-order': 'deployOrder',
  rules: 'rules',
};

/** A raw value as the user wrote it, for messages and parsing. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

function usage(message: string): UsageError {
  return new UsageError('usage', message);
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null || value === '') return fallback;
  const text = asText(value).trim().toLowerCase();
  const match = allowed.find((a) => a === text);
  if (match === undefined)
    throw usage(`${name} must be one of ${allowed.join(', ')}; got "${asText(value)}".`);
  return match;
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(asText(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw usage(`${name} must be a whole number from ${min} to ${max}; got "${asText(value)}".`);
  }
  return n;
}

/** "5m", "300s", "90000ms" or a plain number of seconds. */
function duration(name: string, value: unknown, fallbackMs: number): number {
  if (value === undefined || value === null || value === '') return fallbackMs;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min)?$/.exec(asText(value).trim());
  if (match === null) throw usage(`${name} must be a duration such as 300s or 5m; got "${asText(value)}".`);
  const amount = Number(match[1]);
  const unit = match[2] ?? 's';
  const ms = unit === 'ms' ? amount : unit === 's' ? amount * 1000 : amount * 60_000;
  if (ms < 1000) throw usage(`${name} must be at least 1s.`);
  return ms;
}

function flag(name: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (typeof value === 'boolean') return value;
  const text = asText(value).trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw usage(`${name} must be true or false; got "${asText(value)}".`);
}

function list(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value.map(String) : asText(value).split(/[\s,]+/);
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** A list whose items may hold commas and spaces: an array, or one item per line. */
function entries(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value.map(String) : asText(value).split('\n');
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** Extension names as CREATE EXTENSION takes them (no SQL smuggled in through a name). */
function extensionNames(value: unknown): string[] {
  const names = list(value);
  for (const name of names) {
    if (!/^[A-Za-z_][\w-]*$/.test(name))
      throw usage(`extensions: "${name}" is not an extension name (letters, digits, _ and -).`);
  }
  return [...new Set(names)];
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = asText(value).trim();
  return text === '' ? undefined : text;
}

function severityOverrides(value: unknown, where: string): Record<string, SeverityOverride> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usage(`${where}: rules must be a table of rule-id = "error" | "warning" | "notice" | "off".`);
  }
  const result: Record<string, SeverityOverride> = {};
  for (const [id, level] of Object.entries(value)) {
    if (!isRuleId(id)) {
      throw usage(
        `${where}: unknown rule id "${id}" in rules. Known rule ids: ${RULES.map((r) => r.id).join(', ')}.`,
      );
    }
    result[id] = oneOf(`${where}: rules.${id}`, level, SEVERITY_VALUES, 'warning');
  }
  return result;
}

function ignoreEntries(value: unknown, where: string): IgnoreEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw usage(
      `${where}: ignore must be a list of "rule-id:object reason" strings (or { rule, object, reason } tables); got ${asText(value)}.`,
    );
  }
  return value.map((raw, index) => {
    try {
      return parseIgnoreEntry(raw, isRuleId);
    } catch (error) {
      if (!(error instanceof IgnoreEntryError)) throw error;
      throw usage(`${where}: ignore entry ${index + 1}: ${error.message}.`);
    }
  });
}

interface Pyproject {
  file: string;
  /** The [tool] table, empty when there is no pyproject.toml. */
  tool: Record<string, unknown>;
}

/** The project's pyproject.toml, read and parsed once. */
function readPyproject(projectDir: string): Pyproject {
  const file = path.join(projectDir, 'pyproject.toml');
  if (!existsSync(file)) return { file, tool: {} };
  try {
    const document = parseToml(readFileSync(file, 'utf8'));
    return { file, tool: (document.tool as Record<string, unknown> | undefined) ?? {} };
  } catch (error) {
    throw new UsageError('project', `${file} is not valid TOML: ${(error as Error).message}`);
  }
}

/** [tool.alembic-review] of the project's pyproject.toml, with keys mapped to Options names. */
function readProjectSettings(pyproject: Pyproject): {
  settings: RawOptions;
  rules: unknown;
  where: string;
} {
  const where = pyproject.file;
  const table = pyproject.tool['alembic-review'];
  if (table === undefined) return { settings: {}, rules: undefined, where };
  if (typeof table !== 'object' || table === null)
    throw usage(`${where}: [tool.alembic-review] must be a table.`);
  const settings: RawOptions = {};
  let rules: unknown;
  for (const [key, value] of Object.entries(table)) {
    const mapped = TOML_KEYS[key];
    if (key === 'preflight-url') {
      throw usage(
        `${where}: preflight-url is a secret and does not belong in pyproject.toml: pass it with --preflight-url, the action input preflight-url (from a repository secret), or the ${PREFLIGHT_URL_ENV} environment variable.`,
      );
    }
    if (mapped === undefined) {
      throw usage(
        `${where}: unknown key "${key}" in [tool.alembic-review]. Known keys: ${Object.keys(TOML_KEYS).join(', ')}.`,
      );
    }
    if (mapped === 'rules') rules = value;
    else settings[mapped] = value;
  }
  return { settings, rules, where: `${where} [tool.alembic-review]` };
}

/** Finds the Alembic configuration: --config, alembic.ini, or [tool.alembic] in pyproject.toml. */
function locateConfig(
  projectDir: string,
  explicit: string | undefined,
  pyproject: Pyproject,
  factory: boolean,
): { configFile: string | null; tomlFile: string | null } {
  const tomlFile = pyproject.tool.alembic === undefined ? null : pyproject.file;
  if (explicit !== undefined) {
    const file = path.resolve(projectDir, explicit);
    if (!existsSync(file)) throw new UsageError('project', `The Alembic config file ${file} does not exist.`);
    if (file.endsWith('.toml')) return { configFile: null, tomlFile: file };
    return { configFile: file, tomlFile };
  }
  const ini = path.join(projectDir, 'alembic.ini');
  if (existsSync(ini)) return { configFile: ini, tomlFile };
  if (tomlFile !== null) return { configFile: null, tomlFile };
  // Flask-Migrate (`flask db init`) keeps its alembic.ini in the migrations directory.
  const flaskIni = path.join(projectDir, 'migrations', 'alembic.ini');
  if (existsSync(flaskIni)) return { configFile: flaskIni, tomlFile };
  if (factory) return { configFile: null, tomlFile: null };
  throw new UsageError(
    'project',
    `No alembic.ini found in ${projectDir} (nor migrations/alembic.ini, nor a [tool.alembic] table in its pyproject.toml). Run the review from the directory that holds your Alembic project, or pass --project DIR, --config FILE, or --config-factory package.module:function when the project builds its Alembic Config in code.`,
  );
}

/** base = "replay" | "models" | "schema:path.sql" (the path relative to the project). */
function baseFrom(value: unknown, projectDir: string): BaseFrom {
  const text = optionalString(value);
  if (text === undefined || text === 'replay') return { kind: 'replay' };
  if (text === 'models') return { kind: 'models' };
  const schema = /^schema:(.+)$/.exec(text);
  if (schema?.[1] !== undefined) {
    const file = path.resolve(projectDir, schema[1].trim());
    if (!existsSync(file))
      throw new UsageError('project', `base names the schema file ${file}, which does not exist.`);
    return { kind: 'schema', file };
  }
  throw usage(`base must be replay, models or schema:path/to/schema.sql; got "${text}".`);
}

/** engine = "NAME": one name of the multidb template's databases option (an ini section name). */
function engineName(value: unknown): string | null {
  const text = optionalString(value);
  if (text === undefined) return null;
  if (!/^[A-Za-z_][\w.-]*$/.test(text))
    throw usage(`engine must be a name of the ini's databases option, such as engine1; got "${text}".`);
  return text;
}

/** tenant-schema = "NAME": a schema name PostgreSQL takes without quoting (it is written into SQL and env.py finds it by name). */
function tenantSchema(value: unknown): string | null {
  const text = optionalString(value);
  if (text === undefined) return null;
  if (!/^[a-z_][a-z0-9_$]*$/.test(text) || text.length > 63 || text.startsWith('pg_') || text === 'public') {
    throw usage(
      `tenant-schema must be a PostgreSQL schema name of lower-case letters, digits and _ (at most 63, not starting with a digit or pg_, not public), such as tenant_default; got "${text}".`,
    );
  }
  return text;
}

/** cache = true (default: the default directory) | false | "DIR" (relative to the project). */
function cacheDir(value: unknown, projectDir: string): string | null {
  if (value === undefined || value === null || value === '' || value === true) return defaultCacheDir();
  if (value === false) return null;
  if (typeof value !== 'string')
    throw usage(`cache must be true, false or a directory; got ${asText(value)}.`);
  const text = value.trim();
  if (text === 'true') return defaultCacheDir();
  if (text === 'false') return null;
  return path.resolve(projectDir, text);
}

/** dotenv: dotenv files, relative to the project directory; each must exist. */
function dotenvFiles(value: unknown, projectDir: string): string[] {
  return list(value).map((name) => {
    const file = path.resolve(projectDir, name);
    if (!existsSync(file)) throw new UsageError('project', `dotenv names ${file}, which does not exist.`);
    return file;
  });
}

/** Validates raw flags/inputs (which win) over the project's settings into Options. */
export function resolveOptions(raw: RawOptions, cwd: string = process.cwd()): Options {
  const projectDir = path.resolve(cwd, optionalString(raw.projectDir) ?? '.');
  if (!existsSync(projectDir))
    throw new UsageError('project', `The project directory ${projectDir} does not exist.`);
  const pyproject = readPyproject(projectDir);
  const project = readProjectSettings(pyproject);
  const pick = (key: keyof RawOptions): unknown => raw[key] ?? project.settings[key];

  const configFactory = optionalString(pick('configFactory'));
  if (configFactory !== undefined && !/^[A-Za-z_][\w.]*:[A-Za-z_]\w*$/.test(configFactory)) {
    throw usage(`config-factory must look like "package.module:function"; got "${configFactory}".`);
  }
  const { configFile, tomlFile } = locateConfig(
    projectDir,
    optionalString(pick('config')),
    pyproject,
    configFactory !== undefined,
  );
  const xArgs = entries(pick('xArgs'));
  const badX = xArgs.find((x) => !/^[^=\s]+=/.test(x) && !/^[^=\s]+$/.test(x));
  if (badX !== undefined) throw usage(`-x takes key=value (as alembic -x does); got "${badX}".`);
  const database = oneOf('--database', pick('database'), DATABASES, 'auto');
  const databaseUrl = optionalString(pick('databaseUrl'));
  if (database === 'url' && databaseUrl === undefined) {
    throw usage(
      '--database url needs --database-url postgresql://user@host:port/postgres (a server where the role may CREATE DATABASE).',
    );
  }
  const base = optionalString(pick('base'));
  const since = optionalString(pick('since'));
  if (base !== undefined && since !== undefined)
    throw usage('Pass either --base REF or --since REV, not both.');

  const preflightUrl = optionalString(raw.preflightUrl);
  if (preflightUrl !== undefined) {
    try {
      parsePostgresUrl(preflightUrl);
    } catch (error) {
      throw usage(`preflight-url: ${(error as Error).message}`);
    }
  }
  const passEnv = list(pick('passEnv'));
  if (passEnv.includes(PREFLIGHT_URL_ENV))
    throw usage(
      `pass-env may not name ${PREFLIGHT_URL_ENV}: the project's code never sees the preflight database.`,
    );

  const output = optionalString(pick('output'));
  const seedSql = optionalString(pick('seedSql'));
  const python = optionalString(pick('python'));
  return {
    projectDir,
    configFile,
    tomlFile,
    iniSection: optionalString(pick('iniSection')) ?? 'alembic',
    configFactory,
    xArgs,
    flaskApp: optionalString(pick('flaskApp')),
    baseFrom: baseFrom(pick('baseFrom'), projectDir),
    tenantSchema: tenantSchema(pick('tenantSchema')),
    engine: engineName(pick('engine')),
    base,
    since,
    database: databaseUrl !== undefined && database === 'auto' ? 'url' : database,
    databaseUrl,
    postgresImage: optionalString(pick('postgresImage')) ?? DEFAULT_POSTGRES_IMAGE,
    python:
      python === undefined
        ? undefined
        : path.isAbsolute(python) || !python.includes('/')
          ? python
          : path.resolve(cwd, python),
    format: oneOf('--format', pick('format'), FORMATS, 'text'),
    output: output === undefined ? undefined : path.resolve(cwd, output),
    failOn: oneOf('--fail-on', pick('failOn'), FAIL_ON, 'error'),
    verbose: raw.verbose === true || raw.verbose === 'true',
    seedRows: integer('seed-rows', pick('seedRows'), 3, 0, 1000),
    seedSql: seedSql === undefined ? undefined : path.resolve(projectDir, seedSql),
    urlEnv: list(pick('urlEnv')),
    passEnv,
    dotenvFiles: dotenvFiles(pick('dotenvFiles'), projectDir),
    driver: optionalString(pick('driver')),
    revisionTimeoutMs: duration('revision-timeout', pick('revisionTimeoutMs'), 5 * 60_000),
    maxNewRevisions: integer('max-new-revisions', pick('maxNewRevisions'), 50, 1, 10_000),
    severity: severityOverrides(project.rules, project.where),
    preExisting: oneOf('pre-existing', pick('preExisting'), PRE_EXISTING, 'notice'),
    ignore: ignoreEntries(project.settings.ignore, project.where),
    databaseRole: oneOf('database-role', pick('databaseRole'), DATABASE_ROLES, 'restricted'),
    extensions: extensionNames(pick('extensions')),
    sandbox: oneOf('sandbox', pick('sandbox'), SANDBOX_SETTINGS, 'auto'),
    preflightUrl,
    preflightShowValues: flag('preflight-show-values', pick('preflightShowValues')),
    cacheDir: cacheDir(pick('cacheDir'), projectDir),
    deployOrder: oneOf('deploy-order', pick('deployOrder'), DEPLOY_ORDERS, 'migrate-first'),
  };
}
