// [tool.alembic-review.rules] in pyproject.toml: per-rule severities, and an
// unknown rule id is a usage error (exit 2) that lists the known ids.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';
import { RULES } from '../../src/rules/catalog.ts';
import { runCli } from '../helpers/cli.ts';

let project: string;

function pyproject(rules: string): void {
  writeFileSync(
    path.join(project, 'pyproject.toml'),
    `[project]\nname = "x"\n\n[tool.alembic-review.rules]\n${rules}\n`,
  );
}

beforeEach(() => {
  project = mkdtempSync(path.join(tmpdir(), 'ar-options-'));
  writeFileSync(path.join(project, 'alembic.ini'), '[alembic]\nscript_location = migrations\n');
});
afterEach(() => {
  rmSync(project, { recursive: true, force: true });
});

describe('[tool.alembic-review.rules]', () => {
  it('sets per-rule severities', () => {
    pyproject('drop-column = "error"\nmissing-lock-timeout = "off"\nunparsed-statement = "Warning"');
    expect(resolveOptions({ projectDir: project }).severity).toEqual({
      'drop-column': 'error',
      'missing-lock-timeout': 'off',
      'unparsed-statement': 'warning',
    });
  });

  it('rejects an unknown rule id, listing the known ones', () => {
    pyproject('drop-colum = "off"');
    let error: unknown;
    try {
      resolveOptions({ projectDir: project });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/unknown rule id "drop-colum"/);
    for (const rule of RULES) expect(message).toContain(rule.id);
  });

  it('rejects a severity that is not error, warning, notice or off', () => {
    pyproject('drop-column = "fatal"');
    expect(() => resolveOptions({ projectDir: project })).toThrow(
      /must be one of error, warning, notice, off/,
    );
  });

  it('makes the CLI exit 2 with the known ids on stderr', async () => {
    pyproject('no-such-rule = "off"');
    const result = await runCli(['review', '--project', project, '--database', 'none']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown rule id "no-such-rule"/);
    expect(result.stderr).toContain('not-null-column-without-default');
    expect(result.stderr).toContain('drop-and-add-column');
  });
});
