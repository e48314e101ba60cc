// engine (Alembic's multidb template): every database by default, or one name
// from pyproject.toml or the flag (which wins); anything but a section name is
// a usage error (exit 2) before anything runs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';

function project(pyproject?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ar-engine-options-'));
  writeFileSync(path.join(dir, 'alembic.ini'), '[alembic]\n');
  if (pyproject !== undefined) writeFileSync(path.join(dir, 'pyproject.toml'), pyproject);
  return dir;
}

describe('engine', () => {
  it.each([
    [undefined, undefined, null],
    ['engine1', undefined, 'engine1'],
    ['engine1', 'billing_db', 'billing_db'],
    [undefined, '', null],
  ] as const)('pyproject %s, flag %s: %s', (inToml, flag, expected) => {
    const dir = project(inToml === undefined ? undefined : `[tool.alembic-review]\nengine = "${inToml}"\n`);
    expect(resolveOptions({ projectDir: dir, ...(flag === undefined ? {} : { engine: flag }) }).engine).toBe(
      expected,
    );
  });

  it.each(['engine 1', 'a,b', '1x]'])('refuses %j', (name) => {
    expect(() => resolveOptions({ projectDir: project(), engine: name })).toThrow(UsageError);
  });
});
