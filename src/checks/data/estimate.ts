// How long each rewrite, index build and validating scan of the change would
// take at production size. The preflight database gives the table's size
// (pg_class.reltuples, pg_total_relation_size); the rate comes from the
// replay itself: the same revisions replayed once more on a copy of the base
// whose touched tables hold many rows (up to 100,000, or the production count
// when it is smaller), against the ordinary replay's few rows, extrapolated
// linearly: in bytes for a rewrite, in rows for index builds and scans. It is
// this server's speed, not production's: a first look at how long the lock
// is held, not a promise.
import pg from 'pg';
import type { BridgeStatement } from '../../alembic/protocol.ts';
import type { ProductionEstimate } from '../../model.ts';
import { migrate, type ReplayContext } from '../../replay/replay.ts';
import { seedDatabase } from '../../replay/seed.ts';
import type { Schema } from '../../schema/types.ts';
import type { BaseSource } from './adversarial.ts';
import { addRows, keyColumns } from './bulk-rows.ts';
import type { TimedOperation } from './operations.ts';
import type { PreflightDatabase, TableSize } from './preflight.ts';
import { qualified } from './rows.ts';
import type { CapturedRevision } from './statements.ts';
import { newClient } from '../../database/client.ts';

export const MEASURE_ROWS = 100_000;
/** Replays on many rows; each statement's fastest counts. */
const MEASURE_RUNS = 2;

export interface EstimateInput {
  context: ReplayContext;
  operations: readonly TimedOperation[];
  /** The ordinary replay's statements (the few-rows point of the rate). */
  revisions: readonly CapturedRevision[];
  baseSchema: Schema;
  bases: BaseSource;
  preflight: PreflightDatabase;
  seedRows: number;
  seedSql: string | undefined;
  versionTable: string;
  measureRows?: number;
  /** "schema.table" → columns the change makes unique (they stay distinct in the many rows). */
  madeUnique: ReadonlyMap<string, readonly string[]>;
}

export interface EstimateResult {
  /** revision id → statement index → estimate */
  estimates: Map<string, Map<number, ProductionEstimate>>;
  notes: string[];
}

interface Measured {
  rows: number;
  bytes: number;
}

/** Rows and bytes of a table on a throwaway database. */
async function measure(client: pg.Client, table: string): Promise<Measured> {
  const result = await client.query<{ rows: string; bytes: string }>(
    `SELECT (SELECT count(*) FROM ${table}) AS rows, pg_total_relation_size('${table.replaceAll("'", "''")}'::regclass) AS bytes`,
  );
  return { rows: Number(result.rows[0]?.rows ?? 0), bytes: Number(result.rows[0]?.bytes ?? 0) };
}

/** "12.4 M rows", "850 k rows", "1,204 rows" */
export function rowsText(rows: number): string {
  if (rows >= 1e9) return `${(rows / 1e9).toFixed(1)} G rows`;
  if (rows >= 1e6) return `${(rows / 1e6).toFixed(1)} M rows`;
  if (rows >= 1e4) return `${Math.round(rows / 1e3).toLocaleString('en-US')} k rows`;
  const n = Math.round(rows);
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'row' : 'rows'}`;
}

/** "3.1 GB", "420 MB", "96 kB" */
export function bytesText(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0
    ? `${Math.round(value)} bytes`
    : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** "about 4 min", "about 35 s", "less than a second" */
export function durationText(seconds: number): string {
  if (seconds < 1) return 'less than a second';
  if (seconds < 90) return `about ${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

const VERB: Record<ProductionEstimate['operation'], string> = {
  rewrite: 'rewrites',
  'index build': 'builds an index on',
  'validation scan': 'scans',
};

export function estimateText(estimate: Omit<ProductionEstimate, 'text'>): string {
  const lock = estimate.lock === null ? '' : ` under ${estimate.lock}`;
  return `${VERB[estimate.operation]} ${estimate.table}: ${rowsText(estimate.rows)}, ${bytesText(estimate.bytes)} — ${durationText(estimate.seconds)}${lock}`;
}

/**
 * The time at production size (ms), from the statement's time on few rows
 * (`small`) and on many (`big`), linear in `by`: bytes for a rewrite (it
 * copies the table, so wider rows cost more), rows for index builds and
 * scans (per-row work). Without a row count (a table never analyzed), bytes.
 */
export function extrapolate(
  small: { ms: number; rows: number; bytes: number },
  big: { ms: number; rows: number; bytes: number },
  production: { rows: number | null; bytes: number },
  by: 'rows' | 'bytes',
): number {
  const slope = Math.max(big.ms - small.ms, 0);
  const measure = by === 'bytes' || production.rows === null ? 'bytes' : 'rows';
  const target = measure === 'bytes' ? production.bytes : (production.rows ?? 0);
  if (target <= big[measure] || big[measure] <= small[measure]) return big.ms;
  return small.ms + (slope * (target - small[measure])) / (big[measure] - small[measure]);
}

function statementAt(
  statements: readonly BridgeStatement[] | undefined,
  index: number,
  like: BridgeStatement | undefined,
): BridgeStatement | undefined {
  if (statements === undefined || like === undefined) return undefined;
  const same = (s: BridgeStatement | undefined): boolean =>
    s !== undefined && s.line === like.line && s.sql.trim() === like.sql.trim();
  const at = statements[index];
  return same(at) ? at : statements.find(same);
}

export async function estimateAtProductionSize(input: EstimateInput): Promise<EstimateResult> {
  const result: EstimateResult = { estimates: new Map(), notes: [] };
  const tables = new Map(input.operations.map((o) => [o.table.key, o.table]));
  const sizes = new Map<string, TableSize>();
  for (const [key, table] of tables) {
    const size = await input.preflight.tableSize(qualified(table));
    if (size === null)
      result.notes.push(`the preflight database has no table ${table.display}: no estimate for it`);
    else sizes.set(key, size);
  }
  if (sizes.size === 0) return result;

  const database = await input.bases.take();
  try {
    await seedDatabase(database.url, input.baseSchema, input.seedRows, {
      seedSql: input.seedSql,
      versionTable: input.versionTable,
    });
    const small = new Map<string, Measured>();
    const big = new Map<string, Measured>();
    const client = newClient({ connectionString: database.url });
    await client.connect();
    try {
      for (const [key, size] of sizes) {
        const table = input.baseSchema.tables[key];
        if (table === undefined) continue;
        const name = qualified(table);
        const before = await measure(client, name);
        const target = Math.min(input.measureRows ?? MEASURE_ROWS, Math.max(Math.round(size.rows), 1000));
        await client.query('BEGIN');
        const added =
          target <= before.rows ||
          (await addRows(
            client,
            table,
            target - before.rows,
            keyColumns(table, input.madeUnique.get(key) ?? []),
          ));
        await client.query('COMMIT');
        if (!added) {
          result.notes.push(
            `${table.name} could not be filled with rows to measure the rate: no estimate for it`,
          );
          sizes.delete(key);
          continue;
        }
        // As a production table is: analyzed, hint bits set, visibility map current.
        await client.query(`VACUUM (ANALYZE) ${name}`);
        small.set(key, before);
        big.set(key, await measure(client, name));
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    const operations = input.operations.filter((o) => big.has(o.table.key));
    if (operations.length === 0) return result;
    const targets = [...new Set(operations.map((o) => o.revision))];
    // Twice, rolled back in between, each statement's faster time kept: a
    // busy machine only ever adds time.
    const runs = [];
    for (let attempt = 0; attempt < MEASURE_RUNS; attempt++) {
      const run = await migrate(input.context, 'upgrade', database, targets, true, true);
      runs.push(run);
      if (run.failure === null && run.timedOut === null) continue;
      result.notes.push(
        `the replay on many rows stopped (${run.failure?.message ?? run.timedOut?.message ?? ''}): estimates only up to there`,
      );
      break;
    }
    for (const operation of operations) {
      const ordinary = input.revisions.find((r) => r.id === operation.revision)?.statements[operation.index];
      const times = runs
        .map((run) => statementAt(run.steps.get(operation.revision)?.statements, operation.index, ordinary))
        .filter((s) => s !== undefined);
      const measured =
        times.length === 0 ? undefined : times.reduce((a, b) => (b.durationMs < a.durationMs ? b : a));
      const size = sizes.get(operation.table.key);
      const before = small.get(operation.table.key);
      const after = big.get(operation.table.key);
      if (
        ordinary === undefined ||
        measured === undefined ||
        size === undefined ||
        before === undefined ||
        after === undefined
      )
        continue;
      const bytesPerRow = after.rows > 0 ? after.bytes / after.rows : 0;
      const known = size.analyzed || bytesPerRow === 0;
      const rows = known ? size.rows : size.bytes / bytesPerRow;
      const ms = extrapolate(
        { ms: ordinary.durationMs, rows: before.rows, bytes: before.bytes },
        { ms: measured.durationMs, rows: after.rows, bytes: after.bytes },
        { rows: known ? size.rows : null, bytes: size.bytes },
        operation.operation === 'rewrite' ? 'bytes' : 'rows',
      );
      const estimate = {
        table: operation.table.display,
        operation: operation.operation,
        rows: Math.round(rows),
        bytes: size.bytes,
        seconds: Math.round(ms) / 1000,
        lock: operation.lock,
      };
      const byIndex = result.estimates.get(operation.revision) ?? new Map<number, ProductionEstimate>();
      const existing = byIndex.get(operation.index);
      // One estimate per statement: the longest (a rewrite over the scan it also does).
      if (existing === undefined || existing.seconds < estimate.seconds)
        byIndex.set(operation.index, { ...estimate, text: estimateText(estimate) });
      result.estimates.set(operation.revision, byIndex);
    }
  } finally {
    await input.bases.release(database);
  }
  return result;
}
