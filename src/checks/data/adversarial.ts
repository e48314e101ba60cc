// The adversarial replays: the new revisions, up to the one with a
// validating statement, replayed through the bridge on a copy of the base
// whose rows hold exactly the values that break that statement. A case is
// proven when the replay fails at the statement itself, with the SQLSTATE and
// the constraint the statement implies; it passes when the migration guards
// itself (a backfill, a dedupe, USING).
//
// Cost: cases that cannot interfere (disjoint columns, rows of their own)
// share one replay. A replay stops at the first failure, which proves that
// case and clears every case whose statement ran before it; the proven
// case's rows are put back and the rest replays again. Every replay rolls
// back (on failure, or at the end when asked to), so one seeded copy of the
// base serves them all — unless env.py commits per revision, which the
// catalog fingerprint notices: then a fresh copy.
import pg from 'pg';
import type { MigrationFailure } from '../../alembic/protocol.ts';
import type { DatabaseProvider, ThrowawayDatabase } from '../../database/provider.ts';
import { migrate, type ReplayContext } from '../../replay/replay.ts';
import { seedDatabase } from '../../replay/seed.ts';
import type { Schema } from '../../schema/types.ts';
import { sqlName } from '../../schema/literals.ts';
import { conditionModule } from './conditions/index.ts';
import { countViolations, violated } from './probe.ts';
import { RowEditor, type EditGroup } from './rows.ts';
import type { DataCase, ExpectedFailure, ServerFacts } from './types.ts';
import { newClient } from '../../database/client.ts';

export type Verdict = 'fails' | 'passes' | 'not-breakable' | 'inconclusive';

export interface CaseOutcome {
  dataCase: DataCase;
  verdict: Verdict;
  /** The breaking rows in words ("two rows with the same email"). */
  breaking?: string;
  /** The failure of the adversarial replay (verdict fails). */
  failure?: MigrationFailure;
  /** Why a case could not be decided. */
  note?: string;
}

export interface AdversarialInput {
  context: ReplayContext;
  cases: readonly DataCase[];
  baseSchema: Schema;
  /** Copies of the base without rows, at the base frontier. */
  bases: BaseSource;
  seedRows: number;
  seedSql: string | undefined;
  versionTable: string;
}

export interface AdversarialResult {
  outcomes: CaseOutcome[];
  /** Bridge replays run. */
  replays: number;
  /** Databases used (copies of the base). */
  databases: number;
}

/**
 * Fresh databases at the base frontier, without rows: the replay's own copy
 * first; later ones copied from it when several are foreseen (it is then
 * kept as the template), else rebuilt by upgrading an empty database.
 */
export class BaseSource {
  readonly #context: ReplayContext;
  readonly #provider: DatabaseProvider;
  readonly #frontier: readonly string[];
  #template: ThrowawayDatabase | null = null;
  /** The replay's base without rows (a copy, or restored from the base cache), until first taken. */
  #first: (() => Promise<ThrowawayDatabase | null>) | null;
  #keepTemplate = false;
  readonly #taken: ThrowawayDatabase[] = [];

  constructor(
    context: ReplayContext,
    first: (() => Promise<ThrowawayDatabase | null>) | null,
    frontier: readonly string[],
  ) {
    this.#context = context;
    this.#provider = context.provider;
    this.#first = first;
    this.#frontier = frontier;
  }

  /** Several databases will be needed: copy the template rather than use it. */
  keepTemplate(): void {
    this.#keepTemplate = true;
  }

  async take(): Promise<ThrowawayDatabase> {
    const first = this.#first;
    this.#first = null;
    if (first !== null) this.#template = await first();
    let database: ThrowawayDatabase;
    if (this.#template !== null && this.#keepTemplate) {
      database = await this.#provider.createDatabase('adversarial', this.#template);
    } else if (this.#template !== null) {
      database = this.#template;
      this.#template = null;
    } else {
      database = await this.#provider.createDatabase('adversarial');
      const frontier = await migrate(this.#context, 'upgrade', database, [...this.#frontier], false);
      if (frontier.failure !== null || frontier.timedOut !== null) {
        await this.#provider.dropDatabase(database);
        throw new Error('the base could not be rebuilt for another adversarial replay');
      }
    }
    this.#taken.push(database);
    return database;
  }

  async release(database: ThrowawayDatabase): Promise<void> {
    const index = this.#taken.indexOf(database);
    if (index !== -1) this.#taken.splice(index, 1);
    await this.#provider.dropDatabase(database);
  }

  /**
   * Lets go of what is left (the template, databases not released). They are
   * not dropped here: DROP DATABASE waits for a checkpoint, a quarter of a
   * second when nothing else needs the copy, and the provider's stop() drops
   * every database at once.
   */
  close(): void {
    this.#taken.length = 0;
    this.#template = null;
    this.#first = null;
  }
}

/** "schema.table.column" keys a case reads or writes. */
function touched(dataCase: DataCase): Set<string> {
  const keys = dataCase.columns.map((c) => `${dataCase.tableRef.key}.${c.name}`);
  if (dataCase.spec.condition === 'orphans') {
    const parent = dataCase.spec.parentRef.key;
    keys.push(...dataCase.spec.parentColumns.map((c) => `${parent}.${c}`));
  }
  return new Set(keys);
}

function interferes(a: DataCase, b: DataCase): boolean {
  const keys = touched(b);
  return a.position === b.position || [...touched(a)].some((k) => keys.has(k));
}

/** Seeded rows the adversarial copies hold per table: the ordinary seed's, so that only the breaking values differ. */
export function seedCount(seedRows: number): number {
  // Duplicates need two rows.
  return Math.max(seedRows, 2);
}

/** Catalog and version table, to tell whether a failed replay left anything committed. */
const FINGERPRINT_SQL = `
SELECT md5(concat_ws('|',
  (SELECT string_agg(concat_ws(':', c.oid, c.relfilenode, c.relname, c.relkind), ',' ORDER BY c.oid)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'),
  (SELECT string_agg(concat_ws(':', a.attrelid, a.attname, a.atttypid, a.attnotnull), ',' ORDER BY a.attrelid, a.attnum)
     FROM pg_attribute a WHERE a.attrelid >= 16384 AND a.attnum > 0),
  (SELECT string_agg(concat_ws(':', con.oid, con.conname, con.convalidated), ',' ORDER BY con.oid)
     FROM pg_constraint con WHERE con.oid >= 16384),
  (SELECT string_agg(concat_ws(':', e.enumtypid, e.enumlabel), ',' ORDER BY e.oid) FROM pg_enum e)
)) AS fingerprint`;

async function fingerprint(client: pg.Client, versionTable: string): Promise<string> {
  const catalog = await client.query<{ fingerprint: string }>(FINGERPRINT_SQL);
  const [schema, table] = versionTable.split('.');
  let versions: string;
  try {
    const result = await client.query<{ v: string | null }>(
      `SELECT string_agg(version_num, ',' ORDER BY version_num) AS v FROM ${sqlName(schema ?? 'public', table ?? 'alembic_version')}`,
    );
    versions = result.rows[0]?.v ?? '';
  } catch {
    versions = 'none';
  }
  return `${catalog.rows[0]?.fingerprint ?? ''}/${versions}`;
}

function sqlstateMatches(expected: ExpectedFailure, sqlstate: string | null | undefined): boolean {
  if (sqlstate === null || sqlstate === undefined) return false;
  return expected.sqlstates.some((s) => (s.length === 2 ? sqlstate.startsWith(s) : sqlstate === s));
}

/** Names of the constraints and indexes the table had at the base. */
function existingNames(dataCase: DataCase): Set<string> {
  const t = dataCase.table;
  return new Set([
    ...(t.primaryKey === null ? [] : [t.primaryKey.name]),
    ...t.uniqueConstraints.map((c) => c.name),
    ...t.indexes.map((i) => i.name),
    ...t.foreignKeys.map((f) => f.name),
    ...t.checkConstraints.map((c) => c.name),
  ]);
}

/** Is this failure the case's own: its statement, its SQLSTATE, its constraint (or column)? */
export function isOwnFailure(dataCase: DataCase, failure: MigrationFailure): boolean {
  if (failure.revision !== dataCase.revision) return false;
  const statement = failure.statement;
  const line = statement?.line ?? failure.line;
  if (line !== dataCase.statement.line) return false;
  if (statement !== null && statement.sql.trim() !== dataCase.statement.sql.trim()) return false;
  const expected = conditionModule(dataCase.spec.condition).expected(dataCase);
  const error = statement?.error;
  if (!sqlstateMatches(expected, error?.sqlstate ?? failure.sqlstate)) return false;
  const constraint = error?.constraint;
  if (expected.constraint !== undefined && constraint !== undefined && constraint !== expected.constraint)
    return false;
  if (
    expected.constraint === undefined &&
    constraint !== undefined &&
    existingNames(dataCase).has(constraint)
  )
    return false;
  if (expected.column !== undefined && error?.column !== undefined && error.column !== expected.column)
    return false;
  return true;
}

/** Did the case's statement run (and pass) before the replay stopped? */
function ranBefore(dataCase: DataCase, failure: MigrationFailure, completed: ReadonlySet<string>): boolean {
  if (completed.has(dataCase.revision)) return true;
  if (failure.revision !== dataCase.revision) return false;
  const own = dataCase.statement;
  return failure.statements.some((s) => s.line === own.line && s.sql.trim() === own.sql.trim());
}

interface Prepared {
  dataCase: DataCase;
  group: EditGroup;
  breaking: string;
}

/** One database of the adversarial replays, seeded, with a connection to change its rows. */
interface Workspace {
  database: ThrowawayDatabase;
  client: pg.Client;
  editor: RowEditor;
  server: ServerFacts;
}

async function openWorkspace(input: AdversarialInput): Promise<Workspace> {
  const database = await input.bases.take();
  await seedDatabase(database.url, input.baseSchema, seedCount(input.seedRows), {
    seedSql: input.seedSql,
    versionTable: input.versionTable,
  });
  const client = newClient({ connectionString: database.url });
  await client.connect();
  const version = await client.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
  return { database, client, editor: new RowEditor(client), server: { version: version.rows[0]?.v ?? 0 } };
}

async function closeWorkspace(input: AdversarialInput, workspace: Workspace): Promise<void> {
  await workspace.client.end().catch(() => undefined);
  await input.bases.release(workspace.database);
}

/** Makes the breaking rows of as many pending cases as can share one replay. */
async function prepareBatch(
  workspace: Workspace,
  pending: DataCase[],
  alone: ReadonlySet<DataCase>,
  outcomes: Map<DataCase, CaseOutcome>,
): Promise<Prepared[]> {
  const { client, editor } = workspace;
  const batch: Prepared[] = [];
  const offsets = new Map<string, number>();
  editor.startBatch();
  await client.query('BEGIN');
  for (const dataCase of pending) {
    if (batch.some((p) => alone.has(p.dataCase))) break;
    if (alone.has(dataCase) && batch.length > 0) continue;
    if (batch.some((p) => interferes(dataCase, p.dataCase))) continue;
    await client.query('SAVEPOINT alembic_review_case');
    try {
      const prepared = await prepareCase(workspace, dataCase, offsets, outcomes);
      await client.query('RELEASE SAVEPOINT alembic_review_case');
      if (prepared !== null) batch.push(prepared);
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT alembic_review_case');
      outcomes.set(dataCase, {
        dataCase,
        verdict: 'not-breakable',
        note: `the breaking rows could not be made: ${(error as Error).message}`,
      });
    }
  }
  await client.query('COMMIT');
  return batch;
}

/** The breaking rows of one case, on rows no other case of the batch uses; null when there can be none. */
async function prepareCase(
  workspace: Workspace,
  dataCase: DataCase,
  offsets: Map<string, number>,
  outcomes: Map<DataCase, CaseOutcome>,
): Promise<Prepared | null> {
  const { client, editor, server } = workspace;
  const module = conditionModule(dataCase.spec.condition);
  const probe = module.probe(dataCase, server, 'throwaway');
  if ('unavailable' in probe) {
    outcomes.set(dataCase, { dataCase, verdict: 'not-breakable', note: probe.unavailable });
    return null;
  }
  const key = dataCase.tableRef.key;
  const offset = offsets.get(key) ?? 0;
  const need = module.rowsNeeded(dataCase);
  const ctids = await editor.slots(dataCase.table, offset, need);
  if (ctids.length < need) {
    // Rows run out: a later replay, unless no other case holds them.
    if (offset > 0) return null;
    outcomes.set(dataCase, {
      dataCase,
      verdict: 'not-breakable',
      note: `${dataCase.tableRef.display} has too few rows on the adversarial copy (it could not be seeded with ${need})`,
    });
    return null;
  }
  const before = await countViolations(client, probe, true);
  if (violated(before)) {
    outcomes.set(dataCase, {
      dataCase,
      verdict: 'not-breakable',
      note: 'the seeded rows already hold such values, and the replay with rows passed',
    });
    return null;
  }
  const group = editor.startGroup();
  const broken = async (): Promise<boolean> => violated(await countViolations(client, probe, true));
  const breaking = await module.breakRows(editor, dataCase, { ctids }, broken);
  if (breaking === null || !(await broken())) {
    await editor.undo(group);
    outcomes.set(dataCase, {
      dataCase,
      verdict: 'not-breakable',
      note: "the table's other constraints do not allow such rows",
    });
    return null;
  }
  offsets.set(key, offset + need);
  return { dataCase, group, breaking };
}

export async function adversarialReplays(input: AdversarialInput): Promise<AdversarialResult> {
  const outcomes = new Map<DataCase, CaseOutcome>();
  const alone = new Set<DataCase>();
  let pending = [...input.cases].sort((a, b) => a.position - b.position);
  let replays = 0;
  let databases = 0;
  let workspace: Workspace | null = null;
  try {
    while (pending.length > 0) {
      if (workspace === null) {
        workspace = await openWorkspace(input);
        databases += 1;
      }
      const batch = await prepareBatch(workspace, pending, alone, outcomes);
      pending = pending.filter((c) => !outcomes.has(c));
      if (batch.length === 0) continue;

      const before = await fingerprint(workspace.client, input.versionTable);
      const targets = [...new Set(batch.map((p) => p.dataCase.revision))];
      const run = await migrate(input.context, 'upgrade', workspace.database, targets, true, true);
      replays += 1;
      if (run.timedOut !== null) {
        for (const c of pending)
          outcomes.set(c, { dataCase: c, verdict: 'inconclusive', note: run.timedOut.message });
        pending = [];
        break;
      }
      const failure = run.failure;
      if (failure === null) {
        for (const p of batch)
          outcomes.set(p.dataCase, { dataCase: p.dataCase, verdict: 'passes', breaking: p.breaking });
      } else {
        const completed = new Set(run.steps.keys());
        const own = batch.find((p) => isOwnFailure(p.dataCase, failure));
        for (const p of batch) {
          if (p === own)
            outcomes.set(p.dataCase, {
              dataCase: p.dataCase,
              verdict: 'fails',
              breaking: p.breaking,
              failure,
            });
          else if (ranBefore(p.dataCase, failure, completed))
            outcomes.set(p.dataCase, { dataCase: p.dataCase, verdict: 'passes', breaking: p.breaking });
          else if (own === undefined && batch.length === 1)
            outcomes.set(p.dataCase, {
              dataCase: p.dataCase,
              verdict: 'inconclusive',
              breaking: p.breaking,
              note: `the replay failed elsewhere: ${failure.message}`,
            });
          else if (own === undefined) alone.add(p.dataCase);
        }
      }
      pending = pending.filter((c) => !outcomes.has(c));
      const dirty = (await fingerprint(workspace.client, input.versionTable)) !== before;
      if (dirty || pending.length === 0) {
        await closeWorkspace(input, workspace);
        workspace = null;
      } else {
        await workspace.client.query('BEGIN');
        for (const p of [...batch].reverse()) await workspace.editor.undo(p.group);
        await workspace.client.query('COMMIT');
      }
    }
  } finally {
    if (workspace !== null) await closeWorkspace(input, workspace);
  }
  return {
    outcomes: input.cases.map(
      (c) => outcomes.get(c) ?? { dataCase: c, verdict: 'inconclusive', note: 'not replayed' },
    ),
    replays,
    databases,
  };
}
