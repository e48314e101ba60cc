// The catalog of every rule id the tool can report (DESIGN.md "Rule ids"):
// category, default severity and a one-line summary. Each id has a page in
// docs/rules/<id>.md. Ids are a stable interface: never rename one. The lint
// entries come from the lint rule modules' meta (src/lint/rules/).
import { LINT_RULES } from '../lint/rules/index.ts';
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
  rule(
    'modified-existing-revision',
    'graph',
    'warning',
    'A revision that already exists on the base branch was edited.',
  ),
  rule('empty-revision', 'graph', 'notice', 'A new revision has no operations.'),
  rule(
    'inserted-before-applied-revision',
    'graph',
    'error',
    'A new revision was placed before a revision that already existed at the base.',
  ),
  // lint: each rule module's meta is the source
  ...LINT_RULES.map(({ meta }) => rule(meta.id, meta.category, meta.defaultSeverity, meta.summary)),
  // runtime
  rule('migration-failed', 'runtime', 'error', 'The revision failed when applied to the database.'),
  rule(
    'fails-on-existing-rows',
    'runtime',
    'error',
    'The revision fails on a table with rows but passes on an empty one.',
  ),
  rule(
    'fails-on-existing-data',
    'runtime',
    'warning',
    'Rows holding certain values break the revision: duplicates, orphans, NULLs, bad casts.',
  ),
  rule(
    'table-rewrite',
    'runtime',
    'warning',
    'The revision rewrote an existing table (its storage was replaced).',
  ),
  rule(
    'access-exclusive-lock',
    'runtime',
    'notice',
    'The revision took an ACCESS EXCLUSIVE lock on an existing table.',
  ),
  rule(
    'orm-insert-failed',
    'runtime',
    'error',
    'A mapped class cannot be inserted into the migrated schema.',
  ),
  rule(
    'old-code-incompatible',
    'runtime',
    'warning',
    'The release still running during the deploy fails on the new schema (or, code-first, the new release on the old one).',
  ),
  rule(
    'review-incomplete',
    'runtime',
    'notice',
    'A part of the review could not run; the notice says which and why.',
  ),
  rule(
    'unused-ignore',
    'runtime',
    'notice',
    'An entry of [tool.alembic-review] ignore matched no finding: the problem is gone, the entry is stale.',
  ),
  rule(
    'base-from-models',
    'runtime',
    'notice',
    "The history does not replay from an empty database, so the base was built from the base commit's models.",
  ),
  rule(
    'seed-failed',
    'runtime',
    'notice',
    'A table of the base could not be filled with synthetic rows, so the replay ran it empty.',
  ),
  rule(
    'isolation-reduced',
    'runtime',
    'notice',
    "The project's code ran with less isolation than the default; the notice says what it could reach.",
  ),
  // drift
  rule(
    'drift-table-missing',
    'drift',
    'error',
    'A table declared in the models is missing after the migrations.',
  ),
  rule('drift-table-unexpected', 'drift', 'error', 'The migrations create a table no model declares.'),
  rule('drift-column-missing', 'drift', 'error', 'A model column is missing after the migrations.'),
  rule('drift-column-unexpected', 'drift', 'error', 'The migrations leave a column no model declares.'),
  rule('drift-column-type', 'drift', 'error', 'A column type differs between models and migrations.'),
  rule('drift-column-nullable', 'drift', 'error', 'Nullability differs between models and migrations.'),
  rule('drift-column-default', 'drift', 'error', 'The server default differs between models and migrations.'),
  rule('drift-primary-key', 'drift', 'error', 'The primary key differs between models and migrations.'),
  rule('drift-index', 'drift', 'error', 'An index differs between models and migrations.'),
  rule(
    'drift-unique-constraint',
    'drift',
    'error',
    'A unique constraint differs between models and migrations.',
  ),
  rule('drift-foreign-key', 'drift', 'error', 'A foreign key differs between models and migrations.'),
  rule(
    'drift-check-constraint',
    'drift',
    'error',
    'A CHECK constraint differs between models and migrations.',
  ),
  rule('drift-enum', 'drift', 'error', 'An enum type differs between models and migrations.'),
  // roundtrip
  rule('downgrade-failed', 'roundtrip', 'error', 'Downgrading the new revision failed.'),
  rule(
    'downgrade-leaves-residue',
    'roundtrip',
    'warning',
    'After downgrading, the schema differs from the base.',
  ),
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

/** The rule's page, relative to the repository root. */
export function docsPath(id: string): string {
  return `docs/rules/${id}.md`;
}
