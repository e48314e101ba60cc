// The JSON-lines protocol spoken with the Python bridge (src/bridge): request arguments, results
// and streamed events. Paths coming back are absolute real paths.

export interface ExpectedDatabase {
  name: string;
  token: string;
}

export interface HelloResult {
  python: string;
  executable: string;
  alembic: string;
  sqlalchemy: string;
  drivers: { psycopg: string | null; psycopg2: string | null; asyncpg: string | null };
  cwd: string;
}

export interface LoadArgs {
  configFile: string | null;
  tomlFile: string | null;
  iniSection?: string;
  /** "package.module:function" returning the Alembic Config, instead of the config file. */
  configFactory?: string;
  /** -x key=value arguments, as `alembic -x` passes them to env.py. */
  xArgs?: string[];
  /** The Flask app as FLASK_APP names it (default: found as `flask db` finds it). */
  flaskApp?: string;
  /** Variables env.py reads its URL from: set before any project code is imported. */
  urlEnv?: string[];
  /** Python files the change adds or modifies (absolute): where its revisions are, when a section must be chosen. */
  changedFiles?: string[];
  /** The variables of the dotenv files: set before any project code is imported, unless already set. */
  environment?: Record<string, string>;
  driver?: string;
  /** tenant-schema: the schema the schema-less models go to (create_all, the ORM smoke test, the running release's models). */
  tenantSchema?: string;
  /** Alembic's multidb template: the one database (engine name) this process reviews; the others' runs are skipped. */
  engine?: string;
  /** Import the project's code from `to` wherever its import path points into `from` (the base commit's tree). */
  rebase?: { from: string; to: string };
  /** Read each revision's operations from its source (default); false: the graph only (facts asks for some later). */
  staticFacts?: boolean;
  /** Revision files a base cache entry replayed, by real path: not executed at load when their bytes still hash so. */
  knownRevisions?: Record<string, KnownRevision>;
}

/** A revision file as a base cache entry recorded it. */
export interface KnownRevision {
  /** sha256 of the file's bytes. */
  sha256: string;
  id: string;
  downRevisions: string[];
  dependsOn: string[];
  branchLabels: string[];
  message: string;
}

export interface OpCall {
  op: string;
  line: number;
}

/** What a revision's source says it does, read without running it. */
export interface StaticFacts {
  upgradeOps?: OpCall[];
  upgradeEmpty?: boolean;
  upgradeLine?: number | null;
  downgradeOps?: OpCall[];
  downgradeEmpty?: boolean;
  downgradeLine?: number | null;
  /** Read from the source: an op of upgrade() may fail on the rows a table already holds (NOT NULL, unique, a check, execute()). */
  upgradeMayFailOnRows?: boolean;
}

export interface BridgeRevision extends StaticFacts {
  id: string;
  path: string;
  downRevisions: string[];
  dependsOn: string[];
  branchLabels: string[];
  message: string;
}

export interface LoadResult {
  scriptLocation: string;
  versionLocations: string[];
  envPy: string;
  heads: string[];
  driver: string;
  /** env.py is Flask-Migrate's: the app must be created (flask-app) before env.py runs. */
  flask?: boolean;
  /** What opening the project decided for the user (a section, a script location), for the progress output. */
  notes?: string[];
  /** The named ini section chosen because the change's revisions are there (no [alembic] script_location). */
  iniSection?: string | null;
  /** Alembic's multidb template: the engine names of the ini's databases option (one review each); else empty. */
  engines?: string[];
  /** How many revision files were known from the base cache (knownRevisions) and not executed. */
  known?: number;
  revisions: BridgeRevision[];
}

export interface BridgeLock {
  relation: string;
  mode: string;
}

/** Postgres' error as the driver reported it; constraint, table and column when Postgres named them. */
export interface BridgeDatabaseError {
  message: string;
  sqlstate?: string;
  constraint?: string;
  table?: string;
  column?: string;
}

export interface BridgeStatement {
  sql: string;
  file: string | null;
  line: number | null;
  durationMs: number;
  locks: BridgeLock[];
  rewrote: string[];
  error?: BridgeDatabaseError;
}

export interface RunArgs {
  /** Omitted in offline mode. */
  url?: string;
  expect?: ExpectedDatabase;
  /** upgrade: destinations for Alembic's planner; downgrade: exactly these revisions, in order. */
  targets: string[];
  capture: boolean;
  urlEnv: string[];
  /** Upgrade, then roll the migration's transaction back instead of committing (what env.py commits per revision stays). */
  rollback?: boolean;
  /** Offline (`upgrade --sql`) mode: no database; statements are the SQL Alembic writes. */
  offline?: boolean;
  /** Offline mode: the revisions the database is assumed to be at. */
  startFrom?: string[];
  /** Extensions the tool created beforehand: their CREATE/DROP EXTENSION become harmless. */
  extensions?: string[];
}

export interface HelloArgs {
  /** Paths the child must be able to read (the project as its user sees it). */
  readable?: string[];
}

export interface ModelsArgs {
  url: string;
  expect: ExpectedDatabase;
  urlEnv: string[];
  /** The migrated head, reflected to apply include_object / include_name to its objects. */
  headUrl?: string;
  headExpect?: ExpectedDatabase;
}

export interface Exclusions {
  tables: string[];
  columns: string[];
  indexes: string[];
  constraints: string[];
}

export interface ModelClass {
  /** "schema.table" */
  table: string;
  className: string;
  /** Absolute path. */
  file: string;
  line: number;
  inMetadata: boolean;
  /** Column name → line of its Column(...) / mapped_column(...) in that file. */
  columns?: Record<string, number>;
}

export interface DanglingForeignKey {
  /** "schema.table" of the model that declares it. */
  table: string;
  columns: string[];
  /** The referenced table, which target_metadata does not know. */
  referredTable: string;
}

export interface ModelsResult {
  hasMetadata: boolean;
  /** env.py passes include_object or include_name: the head's own objects need them too (exclusions). */
  filters?: boolean;
  /** Why the models database could not be built (create_all failed), if it could not. */
  error?: string | null;
  danglingForeignKeys?: DanglingForeignKey[];
  /** Indexes of the models that PostgreSQL refused in create_all() (left out of the drift comparison). */
  refusedIndexes?: { index: string; message: string }[];
  tables: string[];
  schemas: string[];
  excluded: Exclusions | null;
  modelClasses: ModelClass[];
}

export interface OrmFailure {
  className: string;
  table: string;
  message: string;
  sqlstate: string | null;
  file: string | null;
  line: number | null;
}

export interface OrmResult {
  checked: string[];
  failures: OrmFailure[];
  /** Classes that could not be tried: no synthetic value, no parent row, or (modelsIncomplete) the metadata lacks a table they reference. */
  skipped?: { className: string; reason: string; modelsIncomplete?: boolean }[];
}

/** One statement of a release's models that failed on the other release's schema (orm-probe). */
export interface ProbeFailure {
  className: string;
  /** "schema.table" of the class. */
  table: string;
  /** The model's file (absolute) and the line of its class statement. */
  file: string | null;
  line: number | null;
  /** select: what session.query(Model).first() emits; insert: the flush of one new object. */
  statement: 'select' | 'insert';
  sql: string | null;
  message: string;
  sqlstate: string | null;
  /** The column the failure is about, when Postgres or the comparison of both sides names it. */
  column?: string;
  /** The class's table does not exist there (42P01). */
  tableMissing?: boolean;
  /** The column's type as the model declares it, and as the database has it (null: no such column). */
  modelType?: string;
  modelNullable?: boolean;
  databaseType?: string | null;
  databaseNullable?: boolean;
  databaseDefault?: boolean;
  /** 22001: the length of the value the model's code wrote. */
  written?: number;
}

export interface ProbeResult {
  /** False when this process has no target_metadata (its models command found none, or never ran). */
  hasMetadata: boolean;
  checked: string[];
  failures: ProbeFailure[];
  skipped: { className: string; reason: string }[];
}

export interface MigrationFailure {
  revision: string | null;
  message: string;
  sqlstate: string | null;
  exception: string;
  file: string | null;
  line: number | null;
  statement: BridgeStatement | null;
  statements: BridgeStatement[];
  traceback: string;
}

export interface ConfigureSummary {
  hasTargetMetadata: boolean;
  includeSchemas: boolean;
  hasIncludeObject: boolean;
  hasIncludeName: boolean;
  versionTable: string;
  versionTableSchema: string | null;
  /** context.configure(transaction_per_migration=True): each revision commits on its own. */
  transactionPerMigration?: boolean;
}

export interface RunResult {
  applied: string[];
  failed: MigrationFailure | null;
  preamble: BridgeStatement[];
  configure: ConfigureSummary | null;
}

export type BridgeEvent =
  | { event: 'step-start'; revision: string; direction: 'up' | 'down' }
  | {
      event: 'step-end';
      revision: string;
      durationMs: number;
      lockTimeout: string | null;
      statements: BridgeStatement[];
    };

export interface BridgeRequestMap {
  hello: { args: HelloArgs; result: HelloResult };
  load: { args: LoadArgs; result: LoadResult };
  /** The static facts of some revision files (by their paths, as load gives them). */
  facts: { args: { paths: string[] }; result: { facts: Record<string, StaticFacts> } };
  /** Flask-Migrate: creates the app in a throwaway database of its own (its creation may use it). */
  'flask-app': {
    args: { url: string | null; expect: ExpectedDatabase | null; urlEnv: string[] };
    result: { created: boolean; found: string | null };
  };
  upgrade: { args: RunArgs; result: RunResult };
  downgrade: { args: RunArgs; result: RunResult };
  /** `alembic stamp`: the version table says targets; nothing runs. */
  stamp: { args: RunArgs; result: RunResult };
  models: { args: ModelsArgs; result: ModelsResult };
  /** env.py's include_object / include_name on the models and on a migrated head (after models, which had no head). */
  exclusions: {
    args: { headUrl: string; headExpect: ExpectedDatabase; urlEnv: string[] };
    result: { excluded: Exclusions };
  };
  /** target_metadata from an offline run of env.py, for the ORM probe (no database, no create_all). */
  metadata: { args: { urlEnv?: readonly string[] }; result: { hasMetadata: boolean; tables: number } };
  orm: { args: { url: string; expect: ExpectedDatabase }; result: OrmResult };
  /** Deploy order: this process's models' SELECT and INSERT per class on another schema, rolled back. */
  'orm-probe': { args: { url: string; expect: ExpectedDatabase }; result: ProbeResult };
  /** Imports the ORM and the project's driver ahead of the first env.py run (libraries only). */
  prewarm: { args: { driver: string | null }; result: { imported: string[]; durationMs: number } };
}

export type BridgeReply =
  | { id: number | null; ok: true; result: unknown }
  | { id: number | null; ok: false; error: { kind: string; message: string } & Record<string, unknown> };
