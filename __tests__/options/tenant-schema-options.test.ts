// tenant-schema: off by default, from pyproject.toml, the flag or the action
// input (which win); a name PostgreSQL takes unquoted, else a usage error
// (exit 2) before anything runs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';
import { runCli } from '../helpers/cli.ts';

function project(pyproject?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ar-tenant-schema-options-'));
  writeFileSync(path.join(dir, 'alembic.ini'), '[alembic]\n');
  if (pyproject !== undefined) writeFileSync(path.join(dir, 'pyproject.toml'), pyproject);
  return dir;
}

describe('tenant-schema', () => {
  it.each([
    [undefined, undefined, null],
    ['tenant_default', undefined, 'tenant_default'],
    ['tenant_default', 'dispatch_organization_default', 'dispatch_organization_default'],
    [undefined, ' org_1 ', 'org_1'],
    [undefined, '', null],
  ] as const)('pyproject %s, flag %s: %s', (inToml, flag, expected) => {
    const dir = project(
      inToml === undefined ? undefined : `[tool.alembic-review]\ntenant-schema = "${inToml}"\n`,
    );
    expect(
      resolveOptions({ projectDir: dir, ...(flag === undefined ? {} : { tenantSchema: flag }) }).tenantSchema,
    ).toBe(expected);
  });

  it.each([
    'Tenant',
    '1tenant',
    'tenant-a',
    'a"; DROP SCHEMA public; --',
    'public',
    'pg_tenant',
    'x'.repeat(64),
  ])('refuses %s', (name) => {
    const dir = project();
    let error: unknown;
    try {
      resolveOptions({ projectDir: dir, tenantSchema: name });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).kind).toBe('usage');
    expect((error as UsageError).message).toMatch(/^tenant-schema must be a PostgreSQL schema name/);
  });

  it('refuses a bad name from pyproject.toml too', () => {
    const dir = project('[tool.alembic-review]\ntenant-schema = "Acme Corp"\n');
    expect(() => resolveOptions({ projectDir: dir })).toThrow(/tenant-schema must be .*got "Acme Corp"/);
  });

  it('exits 2 with the message on the command line', async () => {
    const dir = project();
    const result = await runCli(['review', '--project', dir, '--tenant-schema', 'Tenant-A']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/tenant-schema must be a PostgreSQL schema name .*got "Tenant-A"/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
