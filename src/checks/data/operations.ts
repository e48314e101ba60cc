// The statements whose time grows with a base table: those that rewrote it
// (the replay saw its relfilenode change), index builds (CREATE INDEX, ADD
// UNIQUE, ADD PRIMARY KEY) and validating scans (ADD FOREIGN KEY or CHECK
// without NOT VALID, SET NOT NULL, VALIDATE CONSTRAINT), with the strongest
// lock each took on the table.
import type { Node } from 'sql-parser-cst';
import { classify } from '../../lint/classify.ts';
import { identifierName, relationRef, tableOf } from '../../lint/names.ts';
import { parseTexts } from '../../lint/parse.ts';
import { isNotValid } from '../../lint/syntax.ts';
import type { TableRef } from '../../lint/types.ts';
import type { ProductionEstimate } from '../../model.ts';
import type { Schema } from '../../schema/types.ts';
import type { CapturedRevision } from './statements.ts';

export interface TimedOperation {
  revision: string;
  /** Index among the revision's captured statements. */
  index: number;
  table: TableRef;
  operation: ProductionEstimate['operation'];
  /** "ACCESS EXCLUSIVE", or null when the replay saw no lock on the table. */
  lock: string | null;
}

/** PostgreSQL's table lock modes, weakest first, as pg_locks names them. */
const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

/** "AccessExclusiveLock" → "ACCESS EXCLUSIVE". */
export function lockName(mode: string): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

function operationOf(
  node: Node,
  base: Schema,
): { table: TableRef; operation: TimedOperation['operation'] }[] {
  if (node.type === 'create_index_stmt') {
    const target = node.table.type === 'table_without_inheritance' ? node.table.table : node.table;
    const table = tableOf(target);
    return table === undefined ? [] : [{ table, operation: 'index build' }];
  }
  if (node.type !== 'alter_table_stmt') return [];
  const table = tableOf(node.table);
  if (table === undefined) return [];
  const found: { table: TableRef; operation: TimedOperation['operation'] }[] = [];
  for (const action of node.actions.items) {
    if (action.type === 'alter_action_add_constraint') {
      const c = action.constraint;
      if (
        (c.type === 'constraint_unique' || c.type === 'constraint_primary_key') &&
        c.columns?.type === 'paren_expr'
      )
        found.push({ table, operation: 'index build' });
      else if ((c.type === 'constraint_foreign_key' || c.type === 'constraint_check') && !isNotValid(action))
        found.push({ table, operation: 'validation scan' });
    } else if (action.type === 'alter_action_validate_constraint') {
      found.push({ table, operation: 'validation scan' });
    } else if (
      action.type === 'alter_action_alter_column' &&
      action.action.type === 'alter_action_set_not_null'
    ) {
      const column = base.tables[table.key]?.columns.find((c) => c.name === identifierName(action.column));
      if (column?.nullable === true) found.push({ table, operation: 'validation scan' });
    }
  }
  return found;
}

/** The timed operations of the change on tables that existed at the base, one per statement and table. */
export function timedOperations(revisions: readonly CapturedRevision[], base: Schema): TimedOperation[] {
  const entries = revisions.flatMap((revision) =>
    revision.statements.map((statement, index) => ({ revision, statement, index })),
  );
  const wanted = entries.filter((e) => {
    const type = classify(e.statement.sql);
    return (
      e.statement.rewrote.length > 0 ||
      type === undefined ||
      type === 'alter_table_stmt' ||
      type === 'create_index_stmt'
    );
  });
  const parsed = parseTexts(wanted.map((e) => e.statement.sql));
  const operations: TimedOperation[] = [];
  wanted.forEach((entry, i) => {
    const { statement } = entry;
    const found = new Map<string, { table: TableRef; operation: TimedOperation['operation'] }>();
    for (const relation of statement.rewrote) {
      const table = relationRef(relation);
      found.set(table.key, { table, operation: 'rewrite' });
    }
    const result = parsed[i];
    if (result?.ok === true) {
      for (const node of result.statements) {
        for (const op of operationOf(node, base)) if (!found.has(op.table.key)) found.set(op.table.key, op);
      }
    }
    for (const { table, operation } of found.values()) {
      if (base.tables[table.key] === undefined) continue;
      // The lock held: what this statement took, or an earlier one of its revision still holds.
      const held = entry.revision.statements.slice(0, entry.index + 1).flatMap((s) => s.locks);
      const modes = held
        .filter((l) => relationRef(l.relation).key === table.key)
        .map((l) => LOCK_MODES.indexOf(l.mode))
        .filter((m) => m !== -1);
      const strongest = modes.length === 0 ? undefined : LOCK_MODES[Math.max(...modes)];
      operations.push({
        revision: entry.revision.id,
        index: entry.index,
        table,
        operation,
        lock: strongest === undefined ? null : lockName(strongest),
      });
    }
  });
  return operations;
}
