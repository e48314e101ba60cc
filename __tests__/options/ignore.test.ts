// pre-existing and the per-object ignores of [tool.alembic-review]: parsed
// into Options once, every mistake a clear usage error that says where.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';

function withSettings(toml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ar-ignore-'));
  writeFileSync(path.join(dir, 'alembic.ini'), '[alembic]\n');
  writeFileSync(path.join(dir, 'pyproject.toml'), `[tool.alembic-review]\n${toml}\n`);
  return dir;
}

function message(toml: string): string {
  try {
    resolveOptions({ projectDir: withSettings(toml) });
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('ignore', () => {
  it('reads strings with an optional reason and tables, with * in the object', () => {
    const options = resolveOptions({
      projectDir: withSettings(`ignore = [
  "drift-index:recipes.ix_recipes_name_trgm  GIN index for search",
  "drift-column-default:users.auth_method # Python-side default",
  "drift-enum:*",
  { rule = "drift-foreign-key", object = "audit.log.fk_*", reason = "created by a trigger" },
]`),
    });
    expect(options.ignore.map((e) => [e.ruleId, e.object, e.reason])).toEqual([
      ['drift-index', 'recipes.ix_recipes_name_trgm', 'GIN index for search'],
      ['drift-column-default', 'users.auth_method', 'Python-side default'],
      ['drift-enum', '*', ''],
      ['drift-foreign-key', 'audit.log.fk_*', 'created by a trigger'],
    ]);
    expect(resolveOptions({ projectDir: withSettings('') }).ignore).toEqual([]);
  });

  it('says which entry is wrong and why', () => {
    expect(message('ignore = "drift-index:x"')).toMatch(/\[tool\.alembic-review\]: ignore must be a list/);
    expect(message('ignore = ["drift-index"]')).toMatch(
      /ignore entry 1: "drift-index" is not of the form "rule-id:object reason"/,
    );
    expect(message('ignore = ["drift-indx:recipes.ix"]')).toMatch(
      /ignore entry 1: "drift-indx" is not a rule id \(`alembic-review rules` lists them\)/,
    );
    expect(message('ignore = ["drift-index:a", { rule = "drift-index" }]')).toMatch(
      /ignore entry 2: the entry for drift-index needs object = "table\.name"/,
    );
    expect(message('ignore = [{ rule = "drift-index", object = "a", why = "x" }]')).toMatch(
      /ignore entry 1: unknown key "why" \(use rule, object, reason\)/,
    );
    expect(message('ignore = [3]')).toMatch(/ignore entry 1: an entry is a string/);
  });
});

describe('pre-existing', () => {
  it('defaults to notice, comes from [tool.alembic-review] or the flag, and is checked', () => {
    expect(resolveOptions({ projectDir: withSettings('') }).preExisting).toBe('notice');
    const dir = withSettings('pre-existing = "error"');
    expect(resolveOptions({ projectDir: dir }).preExisting).toBe('error');
    expect(resolveOptions({ projectDir: dir, preExisting: 'off' }).preExisting).toBe('off');
    expect(message('pre-existing = "warning"')).toBe(
      'pre-existing must be one of notice, error, off; got "warning".',
    );
  });
});
