// The catalog of every rule id the tool can report (DESIGN.md "Rule ids"):
// category, default severity and a one-line summary. Each id has a page in
// docs/rules/<id>.md. Ids are a stable interface: never rename one.
import type { Category, Severity } from '../model.ts';

export interface RuleMeta {
  id: string;
  category: Category;
  defaultSeverity: Severity;
  summary: string;
}

const rule = (id: string, category: Category, defaultSeverity: Severity, summary: string): RuleMeta => ({
  id,
  category,
  defaultSeverity,
  summary,
});

export const RULES: readonly RuleMeta[] = [
  // graph
  rule('multiple-heads', 'graph', 'error', 'The revision graph has more than one head after the change.'),
  rule('missing-downgrade', 'graph', 'warning', 'A schema-changing upgrade has an empty downgrade.'),
  rule('modified-existing-revision', 'graph', 'warning', 'A revision that already exists on the base branch was edited.'),
  rule('empty-revision', 'graph', 'notice', 'A new revision has no operations.'),
  // lint
  rule('not-null-column-without-default', 'lint', 'error', 'ADD COLUMN ... NOT NULL without a default on a table that has rows.'),
  rule('set-not-null-without-backfill', 'lint', 'warning', 'SET NOT NULL with no earlier backfill of the column in the revision.'),
  rule('drop-and-add-column', 'lint', 'error', 'A column is dropped and another added to the same table: a rename that loses data.'),
  rule('rename-column', 'lint', 'warning', 'Renaming a column breaks the application code that is still running.'),
  rule('rename-table', 'lint', 'warning', 'Renaming a table breaks the application code that is still running.'),
  rule('drop-column', 'lint', 'warning', 'Dropping a column loses its data and breaks code still reading it.'),
  rule('drop-table', 'lint', 'warning', 'Dropping a table loses its data and breaks code still using it.'),
  rule('change-column-type', 'lint', 'warning', 'Changing a column type can rewrite the table under an ACCESS EXCLUSIVE lock.'),
  rule('create-index-non-concurrently', 'lint', 'warning', 'CREATE INDEX without CONCURRENTLY blocks writes to the table.'),
  rule('add-foreign-key-validates', 'lint', 'warning', 'Adding a foreign key validates every row while blocking writes.'),
  rule('add-unique-constraint', 'lint', 'warning', 'Adding a unique constraint builds an index while blocking writes.'),
  rule('add-check-constraint-validates', 'lint', 'warning', 'Adding a CHECK constraint scans the table while blocking everything.'),
  rule('volatile-default-rewrite', 'lint', 'warning', 'ADD COLUMN with a volatile default rewrites the whole table.'),
  rule('concurrently-in-transaction', 'lint', 'error', 'CONCURRENTLY cannot run inside the migration transaction.'),
  rule('missing-lock-timeout', 'lint', 'warning', 'ACCESS EXCLUSIVE lock taken on a live table with no lock_timeout.'),
  rule('unparsed-statement', 'lint', 'notice', 'A statement the SQL parser could not read was not linted.'),
  // runtime
  rule('migration-failed', 'runtime', 'error', 'The revision failed when applied to the database.'),
  rule('fails-on-existing-rows', 'runtime', 'error', 'The revision fails on a table with rows but passes on an empty one.'),
  rule('table-rewrite', 'runtime', 'warning', 'The revision rewrote an existing table (its storage was replaced).'),
  rule('access-exclusive-lock', 'runtime', 'notice', 'The revision took an ACCESS EXCLUSIVE lock on an existing table.'),
  rule('orm-insert-failed', 'runtime', 'error', 'A mapped class cannot be inserted into the migrated schema.'),
  // drift
  rule('drift-table-missing', 'drift', 'error', 'A table declared in the models is missing after the migrations.'),
  rule('drift-table-unexpected', 'drift', 'error', 'The migrations create a table no model declares.'),
  rule('drift-column-missing', 'drift', 'error', 'A model column is missing after the migrations.'),
  rule('drift-column-unexpected', 'drift', 'error', 'The migrations leave a column no model declares.'),
  rule('drift-column-type', 'drift', 'error', 'A column type differs between models and migrations.'),
  rule('drift-column-nullable', 'drift', 'error', 'Nullability differs between models and migrations.'),
  rule('drift-column-default', 'drift', 'error', 'The server default differs between models and migrations.'),
  rule('drift-primary-key', 'drift', 'error', 'The primary key differs between models and migrations.'),
  rule('drift-index', 'drift', 'error', 'An index differs between models and migrations.'),
  rule('drift-unique-constraint', 'drift', 'error', 'A unique constraint differs between models and migrations.'),
  rule('drift-foreign-key', 'drift', 'error', 'A foreign key differs between models and migrations.'),
  rule('drift-check-constraint', 'drift', 'error', 'A CHECK constraint differs between models and migrations.'),
  rule('drift-enum', 'drift', 'error', 'An enum type differs between models and migrations.'),
  // roundtrip
  rule('downgrade-failed', 'roundtrip', 'error', 'Downgrading the new revision failed.'),
  rule('downgrade-leaves-residue', 'roundtrip', 'warning', 'After downgrading, the schema differs from the base.'),
];

const byId = new Map(RULES.map((r) => [r.id, r]));

export function ruleMeta(id: string): RuleMeta {
  const meta = byId.get(id);
  if (meta === undefined) throw new Error(`unknown rule id ${id}`);
  return meta;
}

export function isRuleId(id: string): boolean {
  return byId.has(id);
}

export const DOCS_BASE = 'https://github.com/alembic-review/alembic-review/blob/main/docs/rules';

export function docsUrl(id: string): string {
  return `${DOCS_BASE}/${id}.md`;
}
