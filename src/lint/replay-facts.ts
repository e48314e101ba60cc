// What the replay observed about a statement: the relation locks it acquired
// and the tables it rewrote. Facts only when the replay ran and the statement
// succeeded (a failed statement's locks are released with its transaction).
import type { CapturedStatement, RuleContext, TableRef } from './types.ts';

export const ACCESS_EXCLUSIVE = 'AccessExclusiveLock';

/** Did the replay run this statement to completion, so that its locks and rewrites are known? */
export function observed(context: RuleContext, captured: CapturedStatement): boolean {
  return context.replayed && captured.statement.error === undefined;
}

/** Tables that existed at the base on which the statement acquired an ACCESS EXCLUSIVE lock. */
export function accessExclusiveTables(context: RuleContext, captured: CapturedStatement): TableRef[] {
  const tables: TableRef[] = [];
  for (const lock of captured.statement.locks) {
    if (lock.mode !== ACCESS_EXCLUSIVE) continue;
    const table = context.relation(lock.relation);
    if (context.existedAtBase(table) && !tables.some((t) => t.key === table.key)) tables.push(table);
  }
  return tables;
}

/** Did the statement rewrite the table (its relfilenode changed on the replay)? */
export function rewrote(context: RuleContext, captured: CapturedStatement, table: TableRef): boolean {
  return captured.statement.rewrote.some((relation) => context.relation(relation).key === table.key);
}
