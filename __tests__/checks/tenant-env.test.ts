// What env.py's source tells about a history that ran no migration: the
// schema-per-tenant pattern, the prefix it picks tenant schemas by, and the
// tenant-schema name the notice suggests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { noMigrationsRan, suggestedTenantSchema, tenantPattern } from '../../src/checks/tenant-env.ts';

function envPy(source: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ar-tenant-env-')), 'env.py');
  writeFileSync(file, source);
  return file;
}

describe('the schema-per-tenant pattern in env.py', () => {
  it.each([
    [
      'for s in inspect(connection).get_schema_names():\n    if s.startswith("dispatch_organization_"):',
      'dispatch_organization_',
    ],
    [
      'rows = connection.exec_driver_sql("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, \'tenant_\')")',
      'tenant_',
    ],
    ["SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'org_%'", 'org_'],
    ['connection.execute(text("SET search_path TO %s" % schema))', null],
  ])('%s: prefix %s', (source, prefix) => {
    expect(tenantPattern(source)).toEqual({ found: true, prefix });
  });

  it('is not found in the stock env.py', () => {
    expect(
      tenantPattern('context.configure(connection=connection, target_metadata=target_metadata)'),
    ).toEqual({
      found: false,
      prefix: null,
    });
  });

  it('suggests the prefix and "default"', () => {
    expect(suggestedTenantSchema('dispatch_organization_')).toBe('dispatch_organization_default');
    expect(suggestedTenantSchema('Org')).toBe('org_default');
    expect(suggestedTenantSchema(null)).toBe('tenant_default');
  });
});

describe('the notice when no migration ran', () => {
  it('names the option and the suggested schema for a tenant env.py', () => {
    const text = noMigrationsRan(
      envPy('for s in inspect(c).get_schema_names():\n  if s.startswith("acme_"):'),
      null,
    );
    expect(text).toMatch(/taking those that start with "acme_"/);
    expect(text).toMatch(
      /--tenant-schema acme_default \(tenant-schema = "acme_default" in \[tool\.alembic-review\]/,
    );
  });

  it('is the generic text for another env.py', () => {
    const text = noMigrationsRan(envPy('run_migrations_online()\n'), null);
    expect(text).toMatch(/^env\.py ran but never ran the migrations .*was checked\.$/);
    expect(text).not.toMatch(/tenant/);
  });

  it('says that the tenant schema was not migrated, and which prefix env.py wants, with the option set', () => {
    const text = noMigrationsRan(envPy('get_schema_names()\nif s.startswith("acme_"):'), 'tenant_default');
    expect(text).toMatch(
      /empty tenant schema tenant_default \(tenant-schema\), and env\.py did not migrate it/,
    );
    expect(text).toMatch(/start with "acme_": pass --tenant-schema acme_default/);
  });
});
