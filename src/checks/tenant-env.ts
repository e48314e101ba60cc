// Why env.py ran no migration, as far as its source tells: an env.py that
// migrates each tenant schema it finds in the database (schema per tenant)
// finds none in an empty throwaway database, unless tenant-schema names one.
import { readFileSync } from 'node:fs';

/** What env.py's source shows of the schema-per-tenant pattern. */
export interface TenantPattern {
  /** It lists the database's schemas or sets search_path itself. */
  found: boolean;
  /** The prefix it picks tenant schemas by (`startswith("tenant_")`, `starts_with(nspname, 'tenant_')`, `LIKE 'tenant_%'`), if one is visible. */
  prefix: string | null;
}

export function tenantPattern(source: string): TenantPattern {
  const found =
    /\bget_schema_names\s*\(/.test(source) ||
    /\bsearch_path\b/i.test(source) ||
    /\bpg_namespace\b|\binformation_schema\.schemata\b/i.test(source);
  if (!found) return { found, prefix: null };
  const prefix =
    /\.startswith\(\s*["']([A-Za-z_][\w$]*)["']/.exec(source)?.[1] ??
    /\bstarts_with\(\s*\w+\s*,\s*['"]([A-Za-z_][\w$]*)['"]/i.exec(source)?.[1] ??
    /\bLIKE\s+['"]([A-Za-z_][\w$]*?)%['"]/i.exec(source)?.[1] ??
    null;
  return { found, prefix };
}

/** A tenant schema name env.py would take: its prefix and "default". */
export function suggestedTenantSchema(prefix: string | null): string {
  if (prefix === null) return 'tenant_default';
  const lower = prefix.toLowerCase();
  return lower.endsWith('_') ? `${lower}default` : `${lower}_default`;
}

/** The review-incomplete text for a replay in which env.py never ran the migrations. */
export function noMigrationsRan(envPy: string, tenantSchema: string | null): string {
  const what =
    'env.py ran but never ran the migrations (it called context.configure() and run_migrations() zero times), so none of the revisions of the change was applied and nothing that needs the migrated head was checked.';
  let source = '';
  try {
    source = readFileSync(envPy, 'utf8');
  } catch {
    // Unreadable now: the generic text.
  }
  const pattern = tenantPattern(source);
  if (tenantSchema !== null) {
    const expects =
      pattern.prefix !== null && !tenantSchema.startsWith(pattern.prefix)
        ? ` env.py picks the schemas that start with "${pattern.prefix}": pass --tenant-schema ${suggestedTenantSchema(pattern.prefix)} (tenant-schema).`
        : '';
    return `${what} Every throwaway database had the empty tenant schema ${tenantSchema} (tenant-schema), and env.py did not migrate it.${expects}`;
  }
  if (!pattern.found) return what;
  const name = suggestedTenantSchema(pattern.prefix);
  return `${what} env.py looks like it migrates each tenant schema it finds in the database (it ${/\bget_schema_names\s*\(/.test(source) ? 'lists the schemas' : 'sets search_path'}${pattern.prefix === null ? '' : `, taking those that start with "${pattern.prefix}"`}), and an empty database has none. Name one, and the review creates it empty in every throwaway database before env.py runs, builds the base there from the models when the history does not replay from empty, and compares it with the schema-less models: --tenant-schema ${name} (tenant-schema = "${name}" in [tool.alembic-review], action input tenant-schema).`;
}
