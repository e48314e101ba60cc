// preflight-url and preflight-show-values: the URL is a secret (never from
// pyproject.toml, never passed on to the project's code), checked once.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';

function project(pyproject?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ar-preflight-options-'));
  writeFileSync(path.join(dir, 'alembic.ini'), '[alembic]\n');
  if (pyproject !== undefined) writeFileSync(path.join(dir, 'pyproject.toml'), pyproject);
  return dir;
}

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('preflight options', () => {
  it('are off by default', () => {
    expect(resolveOptions({ projectDir: project() })).toMatchObject({
      preflightUrl: undefined,
      preflightShowValues: false,
    });
  });

  it('take the URL from the flag or the action input, and show-values from anywhere', () => {
    const dir = project('[tool.alembic-review]\npreflight-show-values = true\n');
    expect(
      resolveOptions({ projectDir: dir, preflightUrl: 'postgresql://reader@replica/app' }),
    ).toMatchObject({ preflightUrl: 'postgresql://reader@replica/app', preflightShowValues: true });
    expect(resolveOptions({ projectDir: dir, preflightShowValues: 'false' }).preflightShowValues).toBe(false);
  });

  it('refuse the URL in pyproject.toml: it is a secret', () => {
    const dir = project('[tool.alembic-review]\npreflight-url = "postgresql://app:pw@db/app"\n');
    expect(message(() => resolveOptions({ projectDir: dir }))).toMatch(
      /preflight-url is a secret and does not belong in pyproject\.toml.*ALEMBIC_REVIEW_PREFLIGHT_URL/,
    );
  });

  it('refuse a URL that is not a PostgreSQL URL, without showing its password', () => {
    const text = message(() =>
      resolveOptions({ projectDir: project(), preflightUrl: 'mysql://app:hunter2@db/app' }),
    );
    expect(text).toMatch(/^preflight-url: expected a postgresql:\/\/ URL/);
    expect(text).not.toContain('hunter2');
  });

  it('never hand the preflight URL to the project code', () => {
    expect(
      message(() =>
        resolveOptions({ projectDir: project(), passEnv: 'DATABASE_URL,ALEMBIC_REVIEW_PREFLIGHT_URL' }),
      ),
    ).toMatch(/pass-env may not name ALEMBIC_REVIEW_PREFLIGHT_URL/);
  });

  it('want true or false for show-values', () => {
    expect(message(() => resolveOptions({ projectDir: project(), preflightShowValues: 'yes' }))).toBe(
      'preflight-show-values must be true or false; got "yes".',
    );
  });
});
