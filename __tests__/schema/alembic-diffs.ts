// compare_metadata's differences (as harness.py prints them) in the notation
// the drift corpus uses for our findings: "rule-id table[.column]".
import type { Finding } from '../../src/model.ts';

export interface AlembicDiff {
  kind: string;
  schema: string | null;
  table: string | null;
  column?: string;
  name?: string | null;
  object?: string;
}

const RULE_OF_KIND: Record<string, string> = {
  add_table: 'drift-table-missing',
  remove_table: 'drift-table-unexpected',
  add_column: 'drift-column-missing',
  remove_column: 'drift-column-unexpected',
  modify_type: 'drift-column-type',
  modify_nullable: 'drift-column-nullable',
  modify_default: 'drift-column-default',
  modify_comment: 'comment',
  add_table_comment: 'comment',
  remove_table_comment: 'comment',
  add_index: 'drift-index',
  remove_index: 'drift-index',
  add_fk: 'drift-foreign-key',
  remove_fk: 'drift-foreign-key',
};

function where(schema: string | null, table: string | null, column?: string): string {
  const name = schema === null || schema === 'public' ? (table ?? '?') : `${schema}.${table ?? '?'}`;
  return column === undefined ? name : `${name}.${column}`;
}

function ruleOf(diff: AlembicDiff): string {
  if (diff.kind === 'add_constraint' || diff.kind === 'remove_constraint') {
    return diff.object === 'UniqueConstraint'
      ? 'drift-unique-constraint'
      : `constraint-${diff.object ?? '?'}`;
  }
  return RULE_OF_KIND[diff.kind] ?? diff.kind;
}

/** Sorted, without duplicates (Alembic's remove + add of one index is one key). */
export function alembicKeys(diffs: readonly AlembicDiff[]): string[] {
  const keys = diffs.map((d) => {
    const column = d.kind.startsWith('modify_') || d.kind.endsWith('_column') ? d.column : undefined;
    return `${ruleOf(d)} ${where(d.schema, d.table, column)}`;
  });
  return [...new Set(keys)].sort();
}

/** compare_metadata's own words, for the docs table: "remove_index ix_a, add_index ix_a". */
export function alembicSummary(diffs: readonly AlembicDiff[]): string {
  return diffs
    .map((d) => {
      const column = d.column === undefined ? '' : `.${d.column}`;
      const name = d.name === undefined || d.name === null ? '' : ` ${d.name}`;
      return `${d.kind} ${where(d.schema, d.table)}${column}${name}`;
    })
    .join(', ');
}

/** Our findings in the same notation, with the severity when it is not an error. */
export function findingKeys(findings: readonly Finding[], withSeverity = true): string[] {
  const keys = findings.map((f) => {
    const place =
      f.table ??
      (f.details?.expected as { name?: string } | null)?.name ??
      (f.details?.actual as { name?: string } | null)?.name;
    const column = f.column === undefined ? '' : `.${f.column}`;
    const severity = withSeverity && f.severity !== 'error' ? ` (${f.severity})` : '';
    return `${f.ruleId} ${place ?? '?'}${column}${severity}`;
  });
  return [...new Set(keys)].sort();
}
