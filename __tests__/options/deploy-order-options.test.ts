// deploy-order: migrate-first by default, from pyproject.toml, the flag or
// the action input (which win), anything else refused with the choices.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';

function project(pyproject?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ar-deploy-order-options-'));
  writeFileSync(path.join(dir, 'alembic.ini'), '[alembic]\n');
  if (pyproject !== undefined) writeFileSync(path.join(dir, 'pyproject.toml'), pyproject);
  return dir;
}

describe('deploy-order', () => {
  it.each([
    [undefined, undefined, 'migrate-first'],
    ['code-first', undefined, 'code-first'],
    ['off', undefined, 'off'],
    ['code-first', 'migrate-first', 'migrate-first'],
    [undefined, 'Code-First', 'code-first'],
  ] as const)('pyproject %s, flag %s: %s', (inToml, flag, expected) => {
    const dir = project(
      inToml === undefined ? undefined : `[tool.alembic-review]\ndeploy-order = "${inToml}"\n`,
    );
    expect(
      resolveOptions({ projectDir: dir, ...(flag === undefined ? {} : { deployOrder: flag }) }).deployOrder,
    ).toBe(expected);
  });

  it('refuses another value, naming the choices', () => {
    const dir = project('[tool.alembic-review]\ndeploy-order = "blue-green"\n');
    expect(() => resolveOptions({ projectDir: dir })).toThrow(UsageError);
    expect(() => resolveOptions({ projectDir: dir })).toThrow(
      'deploy-order must be one of migrate-first, code-first, off; got "blue-green".',
    );
  });
});
