// Deploy order: during a deploy, one release runs against the other
// release's schema. migrate-first: the migration runs while the previous
// release still serves, so the base commit's models (their own bridge) run
// their SELECT and INSERT on the migrated head; code-first: the new release
// may start before the migration, so the pull request's models run them on
// the base schema too. Each failure is old-code-incompatible, pointed at the
// migration op that changed the table or column.
import type { Bridge } from '../alembic/bridge.ts';
import { RevisionTimeout } from '../alembic/bridge.ts';
import { explainBridgeError } from '../alembic/project.ts';
import type { BridgeStatement, ProbeFailure, ProbeResult } from '../alembic/protocol.ts';
import type { DatabaseProvider, ThrowawayDatabase } from '../database/provider.ts';
import { classify, leadingTable } from '../lint/classify.ts';
import type { Finding, Suggestion } from '../model.ts';
import type { DeployOrder } from '../options.ts';
import { seedDatabase } from '../replay/seed.ts';
import type { Schema } from '../schema/types.ts';
import { finding } from './finding.ts';
import { reviewIncomplete } from './runtime.ts';

export type Direction = 'old-code-on-new-schema' | 'new-code-on-old-schema';

/** A statement of a new revision, where it was emitted. */
export interface MigrationOp {
  revision: string;
  /** Repository-relative. */
  file: string;
  line: number | null;
  sql: string;
}

/** The new revisions' statements in the order they ran. */
export function migrationOps(
  revisions: readonly { id: string; path: string }[],
  statements: (id: string) => readonly BridgeStatement[],
  relative: (file: string) => string,
): MigrationOp[] {
  return revisions.flatMap((revision) =>
    statements(revision.id).map((s) => ({
      revision: revision.id,
      file: relative(s.file ?? revision.path),
      line: s.line,
      sql: s.sql.trim(),
    })),
  );
}

const IDENTIFIER = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const QUALIFIED = String.raw`${IDENTIFIER}(?:\s*\.\s*${IDENTIFIER})?`;
const DROP_TABLE = new RegExp(
  String.raw`^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?((?:${QUALIFIED}\s*,?\s*)+)`,
  'i',
);

const unquote = (name: string): string =>
  name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();

/** "public.posts" for posts, "audit.log" for audit.log. */
function keyOf(name: string): string {
  const parts = name.split(/\s*\.\s*/).map(unquote);
  return parts.length === 1 ? `public.${parts[0] ?? ''}` : parts.join('.');
}

/** The tables a statement changes the definition of (ALTER TABLE, CREATE TABLE, DROP TABLE). */
function tablesChanged(sql: string): string[] {
  const type = classify(sql);
  if (type === 'alter_table_stmt' || type === 'create_table_stmt') {
    const table = leadingTable(sql);
    return table === undefined ? [] : [table.key];
  }
  if (type === 'drop_table_stmt') {
    const names = DROP_TABLE.exec(sql.trim())?.[1] ?? '';
    return names
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '')
      .map(keyOf);
  }
  return [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function mentions(sql: string, column: string): boolean {
  const name = escapeRegExp(column);
  return new RegExp(String.raw`(?:^|[^\w$"])(?:"${name}"|${name})(?:[^\w$"]|$)`, 'i').test(sql);
}

/**
 * The op that made the schema what the failing release meets: the last
 * statement of the new revisions that changed the table (and names the
 * column) for the old code; for the new code on the old schema, the first
 * one (the op that creates what it needs).
 */
export function causingOp(
  ops: readonly MigrationOp[],
  table: string,
  column: string | undefined,
  direction: Direction,
): MigrationOp | undefined {
  const matching = ops.filter(
    (op) =>
      tablesChanged(op.sql).includes(table) &&
      (column === undefined || mentions(op.sql, column) || classify(op.sql) === 'drop_table_stmt'),
  );
  // A failure on a column no op names: the op on the table (a rename or drop of the table itself).
  const candidates =
    matching.length > 0 || column === undefined
      ? matching
      : ops.filter((op) => tablesChanged(op.sql).includes(table) && /\bRENAME\s+TO\b/i.test(op.sql));
  return direction === 'old-code-on-new-schema' ? candidates.at(-1) : candidates[0];
}

/** What the op does to the column or table, as the message says it. */
type Cause =
  | { kind: 'renamed-column'; to: string | null }
  | { kind: 'dropped-column' }
  | { kind: 'missing-column' }
  | { kind: 'not-null' }
  | { kind: 'narrowed' }
  | { kind: 'renamed-table' }
  | { kind: 'dropped-table' }
  | { kind: 'missing-table' }
  | { kind: 'other' };

function causeOf(failure: ProbeFailure, op: MigrationOp | undefined): Cause {
  const sql = op?.sql ?? '';
  if (failure.tableMissing === true) {
    if (/^DROP\s+TABLE\b/i.test(sql)) return { kind: 'dropped-table' };
    if (/\bRENAME\s+TO\b/i.test(sql)) return { kind: 'renamed-table' };
    return { kind: 'missing-table' };
  }
  if (failure.sqlstate === '42703' && failure.column !== undefined) {
    const rename = new RegExp(
      String.raw`\bRENAME\s+(?:COLUMN\s+)?(?:"${escapeRegExp(failure.column)}"|${escapeRegExp(failure.column)})\s+TO\s+(${IDENTIFIER})`,
      'i',
    ).exec(sql);
    if (rename !== null)
      return { kind: 'renamed-column', to: rename[1] === undefined ? null : unquote(rename[1]) };
    if (/\bDROP\s+(?:COLUMN\s+)?/i.test(sql) && mentions(sql, failure.column))
      return { kind: 'dropped-column' };
    return { kind: 'missing-column' };
  }
  if (failure.sqlstate === '23502') return { kind: 'not-null' };
  if (failure.sqlstate === '22001') return { kind: 'narrowed' };
  return { kind: 'other' };
}

const shortTable = (key: string): string => key.replace(/^public\./, '');
const shortClass = (name: string): string => name.split('.').at(-1) ?? name;

function sentence(failure: ProbeFailure, cause: Cause, direction: Direction): string {
  const table = shortTable(failure.table);
  const target = failure.column === undefined ? table : `${table}.${failure.column}`;
  const cls = shortClass(failure.className);
  const sqlstate = failure.sqlstate === null ? '' : ` (SQLSTATE ${failure.sqlstate})`;
  const verb = failure.statement === 'select' ? 'selects' : 'inserts into';
  if (direction === 'new-code-on-old-schema') {
    const until = 'with a code-first deploy it fails until the migration has run';
    switch (cause.kind) {
      case 'missing-column':
      case 'renamed-column':
      case 'dropped-column':
        return `The new release ${verb} ${target}, which exists only once this migration has run: ${until}.`;
      case 'missing-table':
      case 'renamed-table':
      case 'dropped-table':
        return `The new release maps ${cls} to the table ${table}, which exists only once this migration has run: ${until}.`;
      case 'not-null':
        return `The new release inserts ${cls} without ${target}, which is NOT NULL without a default until this migration has run: ${until}.`;
      default:
        return `The new release's ${failure.statement.toUpperCase()} of ${cls} fails on the schema before this migration (${failure.message}${sqlstate}): ${until}.`;
    }
  }
  const until = 'it fails until every instance runs the new code';
  switch (cause.kind) {
    case 'renamed-column':
      return `The running release ${verb} ${target}, which this migration renames${cause.to === null ? '' : ` to ${cause.to}`}: ${until}.`;
    case 'dropped-column':
      return `The running release ${verb} ${target}, which this migration drops: ${until}.`;
    case 'missing-column':
      return `The running release ${verb} ${target}, which no longer exists after this migration: ${until}.`;
    case 'not-null':
      return `The running release inserts ${cls} without ${target}, which this migration makes NOT NULL without a server default: ${until}.`;
    case 'narrowed':
      return `The running release writes up to ${failure.written ?? '?'} characters into ${target} (${failure.modelType ?? 'its model type'} in its model), which this migration narrows to ${failure.databaseType ?? 'a shorter type'}: ${until}.`;
    case 'renamed-table':
      return `The running release maps ${cls} to the table ${table}, which this migration renames: ${until}.`;
    case 'dropped-table':
      return `The running release maps ${cls} to the table ${table}, which this migration drops: ${until}.`;
    case 'missing-table':
      return `The running release maps ${cls} to the table ${table}, which no longer exists after this migration: ${until}.`;
    case 'other':
      return `The running release's ${failure.statement.toUpperCase()} of ${cls} fails on the migrated schema (${failure.message}${sqlstate}): ${until}.`;
  }
}

/** A SQLAlchemy type for the model's SQL type, for the expand step's add_column. */
function saType(sqlType: string | undefined): string {
  const text = (sqlType ?? '').toUpperCase();
  const varchar = /^VARCHAR(?:\((\d+)\))?$/.exec(text);
  if (varchar !== null) return varchar[1] === undefined ? 'sa.String()' : `sa.String(${varchar[1]})`;
  const simple: Record<string, string> = {
    TEXT: 'sa.Text()',
    INTEGER: 'sa.Integer()',
    BIGINT: 'sa.BigInteger()',
    SMALLINT: 'sa.SmallInteger()',
    BOOLEAN: 'sa.Boolean()',
    DATE: 'sa.Date()',
    'TIMESTAMP WITHOUT TIME ZONE': 'sa.DateTime()',
    'TIMESTAMP WITH TIME ZONE': 'sa.DateTime(timezone=True)',
    JSON: 'sa.JSON()',
    UUID: 'sa.Uuid()',
  };
  return simple[text] ?? 'sa.Text()';
}

function fix(failure: ProbeFailure, cause: Cause, direction: Direction): Suggestion {
  const table = shortTable(failure.table);
  const column = failure.column ?? 'column';
  if (direction === 'new-code-on-old-schema') {
    return {
      text: 'With code-first deploys the new code must work on the old schema: ship this migration (the expand step) in a release before the code that uses it, or deploy migrate-first and set deploy-order = "migrate-first".',
    };
  }
  switch (cause.kind) {
    case 'renamed-column': {
      const to = cause.to ?? `new_${column}`;
      return {
        text: `Expand and contract instead of renaming: add ${to} next to ${column}, have the code write both and backfill ${to}, switch the reads to ${to}, and drop ${column} a release later, once no instance runs the old code.`,
        code: `# Release 1 (expand): the new column next to the old one, backfilled
def upgrade():
    op.add_column("${table}", sa.Column("${to}", ${saType(failure.modelType)}, nullable=True))
    op.execute("UPDATE ${table} SET ${to} = ${column}")
# The model maps both columns; the code writes both and reads ${to}.

# Release 2 (contract), once no instance runs the old code:
def upgrade():
    op.drop_column("${table}", "${column}")`,
      };
    }
    case 'dropped-column':
    case 'missing-column':
      return {
        text: `Remove ${column} from the model (or map it with deferred() so that no query selects it) one release before dropping the column, and drop it in the next release, once no instance runs the old code.`,
        code: `# Release 1: the model no longer maps ${column} (or defers it: from sqlalchemy.orm import deferred)
class ${shortClass(failure.className)}(Base):
    ${column} = deferred(sa.Column(${saType(failure.modelType)}))  # or remove the attribute

# Release 2, once no instance runs the old code:
def upgrade():
    op.drop_column("${table}", "${column}")`,
      };
    case 'not-null':
      return {
        text: `Give ${column} a server_default, so that the running release's inserts get a value, or keep it nullable until no instance runs the old code and set NOT NULL in a later release.`,
        code: `def upgrade():
    op.add_column("${table}", sa.Column("${column}", ${saType(failure.databaseType ?? undefined)}, nullable=True))
    op.execute("UPDATE ${table} SET ${column} = ...")  # the backfill
    # the running release does not know ${column}: a default fills it for its inserts
    op.alter_column("${table}", "${column}", nullable=False, server_default=sa.text("..."))`,
      };
    case 'narrowed':
      return {
        text: `Narrow ${column} only once no running release writes longer values: first ship code (and a model type) that keeps values within the new length and shorten the existing ones, then change the column a release later.`,
        code: `# Release 1: the model declares the new length and the code validates it; the column stays as it is.
# Release 2, once no instance writes longer values:
def upgrade():
    op.alter_column("${table}", "${column}", type_=${saType(failure.databaseType ?? undefined)}, existing_type=${saType(failure.modelType)})`,
      };
    case 'renamed-table':
    case 'dropped-table':
    case 'missing-table':
      return {
        text: `Keep ${table} until no instance runs the old code: for a rename, create the new table (or a view named ${table} over it), write both and switch reads, then drop the old one a release later; for a drop, remove the model one release before.`,
      };
    case 'other':
      return {
        text: 'Make the change in two releases: expand (a schema both releases work with), then contract a release later, once no instance runs the old code.',
      };
  }
}

/** One finding per class and column (or table): the SELECT and the INSERT often fail for the same cause. */
export function deployOrderFindings(
  result: ProbeResult,
  direction: Direction,
  ops: readonly MigrationOp[],
  modelFile: (file: string) => string,
): Finding[] {
  const seen = new Map<string, Finding>();
  for (const failure of result.failures) {
    const key = `${failure.className}|${failure.column ?? (failure.tableMissing === true ? '' : failure.statement)}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      const statements = earlier.details?.statements as string[] | undefined;
      if (statements?.includes(failure.statement) === false) statements.push(failure.statement);
      continue;
    }
    const op = causingOp(ops, failure.table, failure.column, direction);
    const cause = causeOf(failure, op);
    const model = {
      className: failure.className,
      ...(failure.file === null ? {} : { file: modelFile(failure.file) }),
      ...(failure.line === null ? {} : { line: failure.line }),
    };
    const where =
      op === undefined
        ? {
            ...(model.file === undefined ? {} : { file: model.file }),
            ...(model.line === undefined ? {} : { line: model.line }),
          }
        : { file: op.file, ...(op.line === null ? {} : { line: op.line }), revision: op.revision };
    seen.set(
      key,
      finding({
        ruleId: 'old-code-incompatible',
        message: sentence(failure, cause, direction),
        ...where,
        table: shortTable(failure.table),
        ...(failure.column === undefined ? {} : { column: failure.column }),
        ...(failure.sql === null ? {} : { sql: failure.sql }),
        details: {
          direction,
          className: failure.className,
          model,
          statements: [failure.statement],
          cause: cause.kind,
          error: failure.message,
          sqlstate: failure.sqlstate,
          ...(op === undefined ? {} : { op: { file: op.file, line: op.line, sql: op.sql } }),
        },
        suggestion: fix(failure, cause, direction),
      }),
    );
  }
  return [...seen.values()];
}

/** Runs a release's models against a database of the other schema (rolled back). */
export async function probeModels(
  bridge: Bridge,
  database: ThrowawayDatabase,
  python: string,
): Promise<ProbeResult | Finding> {
  try {
    return await bridge.call('orm-probe', {
      url: database.url,
      expect: { name: database.name, token: database.token },
    });
  } catch (error) {
    if (!(error instanceof RevisionTimeout)) throw explainBridgeError(error, python);
    await bridge.restart();
    return reviewIncomplete(
      `The deploy-order check did not finish within ${Math.round(error.timeoutMs / 1000)} s (revision-timeout) and was stopped.`,
    );
  }
}

export interface DeployOrderResult {
  findings: Finding[];
  /** For the progress line. */
  summary: string;
}

/** What the deploy-order stage works from. */
export interface DeployOrderInput {
  /** The base commit's bridge (its models built), or why there is none. */
  oldBridge: Bridge | string;
  /** The pull request's bridge, once its models are built (null when they could not be). */
  newBridge: Promise<Bridge | null>;
  head: ThrowawayDatabase;
  /** Runs a use of the head in its turn (the head's other users must not run meanwhile). */
  onHead: <T>(use: () => Promise<T>) => Promise<T>;
  python: string;
  ops: MigrationOp[];
  /** Model files: a path of the base tree or of the pull request's → repository-relative. */
  oldRelative: (file: string) => string;
  newRelative: (file: string) => string;
  /**
   * What the old models also fail on at the base with the same rows (failure
   * keys): `compute` runs them on a database at the base without rows (the
   * base review's copy) and is only called when the answer was not kept from
   * an earlier run; null when neither could tell.
   */
  controlFailures: (
    compute: (control: ThrowawayDatabase) => Promise<string[] | null>,
  ) => Promise<ReadonlySet<string> | null>;
  controlSeed: ControlSeed;
}

const failureKey = (f: ProbeFailure): string => `${f.className}|${f.statement}|${f.sqlstate ?? ''}`;

/** How the base got its rows: a control copy gets the same ones (the seeding is deterministic). */
export interface ControlSeed {
  schema: Schema;
  rows: number;
  seedSql: string | undefined;
  versionTable: string;
}

/**
 * The deploy-order stage. When the old models fail on the migrated head,
 * they run again on a control (the base with the same rows), so that what
 * fails on the old schema just the same (the synthetic rows, not the
 * migration) is no finding. For code-first it keeps a copy of the base
 * (CREATE DATABASE … TEMPLATE, taken before the base gets rows) until the new
 * models have run on it.
 */
export class DeployOrderCheck {
  readonly #order: DeployOrder;
  readonly #provider: DatabaseProvider;
  #base: Promise<ThrowawayDatabase | null> | undefined;

  constructor(order: DeployOrder, provider: DatabaseProvider) {
    this.#order = order;
    this.#provider = provider;
  }

  get enabled(): boolean {
    return this.#order !== 'off';
  }

  /**
   * At the base frontier, before it gets rows: code-first keeps a copy (`ready`
   * when one was made already, restored from the base cache). Never rejects.
   */
  async atBase(database: ThrowawayDatabase, ready?: Promise<ThrowawayDatabase | null>): Promise<void> {
    if (this.#order !== 'code-first') return;
    // A copy restored from the cache needs nothing of `database`: the replay need not wait for it.
    this.#base =
      ready?.catch(() => null) ?? this.#provider.createDatabase('code-first', database).catch(() => null);
    if (ready === undefined) await this.#base;
  }

  /** The copies of the base atBase takes (none unless code-first). */
  get baseCopies(): string[] {
    return this.#order === 'code-first' ? ['code-first'] : [];
  }

  /** Both directions at once when both run: two bridge processes, two databases. */
  async run(input: DeployOrderInput): Promise<DeployOrderResult> {
    const [old, fresh] = await Promise.all([
      this.#oldOnNew(input),
      this.#order === 'code-first' ? this.#newOnOld(input) : Promise.resolve(null),
    ]);
    const parts = [old, ...(fresh === null ? [] : [fresh])];
    return {
      findings: parts.flatMap((p) => p.findings),
      summary: parts
        .map((p) => p.summary)
        .filter((s) => s !== '')
        .join('; '),
    };
  }

  async #oldOnNew(input: DeployOrderInput): Promise<DeployOrderResult> {
    if (typeof input.oldBridge === 'string')
      return { findings: [], summary: `old code not checked (${input.oldBridge})` };
    const oldBridge = input.oldBridge;
    const probed = await input.onHead(() => probeModels(oldBridge, input.head, input.python));
    if ('ruleId' in probed) return { findings: [probed], summary: '' };
    if (!probed.hasMetadata)
      return { findings: [], summary: 'old code not checked (the base commit has no target_metadata)' };
    const old = await this.#withoutControlFailures(probed, input.oldBridge, input);
    const found = deployOrderFindings(old, 'old-code-on-new-schema', input.ops, input.oldRelative);
    return { findings: found, summary: `old code on the new schema: ${tally(old, found)}` };
  }

  async #newOnOld(input: DeployOrderInput): Promise<DeployOrderResult> {
    const base = await this.#base;
    const newBridge = await input.newBridge;
    if (base === null || base === undefined || newBridge === null) {
      return {
        findings: [
          reviewIncomplete(
            `deploy-order = "code-first", but the new models could not be run on the base schema (${newBridge === null ? 'the models database could not be built' : 'no copy of the base schema'}).`,
          ),
        ],
        summary: '',
      };
    }
    const fresh = await probeModels(newBridge, base, input.python);
    if ('ruleId' in fresh) return { findings: [fresh], summary: '' };
    if (!fresh.hasMetadata) return { findings: [], summary: '' };
    const found = deployOrderFindings(fresh, 'new-code-on-old-schema', input.ops, input.newRelative);
    return { findings: found, summary: `new code on the old schema: ${tally(fresh, found)}` };
  }

  /**
   * The failures on the migrated head that the old models do not also meet
   * on the base with the same rows (same class, statement and SQLSTATE).
   * Only run when something failed: most reviews find nothing.
   */
  async #withoutControlFailures(
    probed: ProbeResult,
    oldBridge: Bridge,
    input: DeployOrderInput,
  ): Promise<ProbeResult> {
    if (probed.failures.length === 0) return probed;
    try {
      const seed = input.controlSeed;
      const same = await input.controlFailures(async (control) => {
        await seedDatabase(control.url, seed.schema, seed.rows, {
          seedSql: seed.seedSql,
          versionTable: seed.versionTable,
        });
        const onBase = await probeModels(oldBridge, control, input.python);
        return 'ruleId' in onBase ? null : onBase.failures.map(failureKey);
      });
      if (same === null) return probed;
      const kept = probed.failures.filter((f) => !same.has(failureKey(f)));
      const dropped = probed.failures.filter((f) => same.has(failureKey(f)));
      return {
        ...probed,
        failures: kept,
        skipped: [
          ...probed.skipped,
          ...dropped.map((f) => ({
            className: f.className,
            reason: `its ${f.statement.toUpperCase()} fails on the base schema with the same rows too (${f.message})`,
          })),
        ],
      };
    } catch {
      return probed;
    }
  }

  /** Drops the copy of the base (idempotent). */
  async dispose(): Promise<void> {
    const base = await this.#base;
    this.#base = undefined;
    if (base !== null && base !== undefined) await this.#provider.dropDatabase(base).catch(() => undefined);
  }
}

/** "3 classes, 1 incompatible" (classes it could not fill are counted apart: the ORM smoke test reports them). */
function tally(result: ProbeResult, found: readonly Finding[]): string {
  const skipped = result.skipped.length === 0 ? '' : `, ${result.skipped.length} not tried`;
  return `${result.checked.length} classes, ${found.length} incompatible${skipped}`;
}
