import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { resolveOptions } from '../../src/options.ts';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ar-options-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('options', () => {
  it('has sensible defaults', () => {
    const dir = project({ 'alembic.ini': '[alembic]\n' });
    const options = resolveOptions({ projectDir: dir });
    expect(options).toMatchObject({
      configFile: path.join(dir, 'alembic.ini'),
      database: 'auto',
      format: 'text',
      failOn: 'error',
      seedRows: 3,
      revisionTimeoutMs: 300_000,
    });
  });

  it('says when there is no alembic.ini, and where it looked', () => {
    const dir = project({});
    const error = usageError(() => resolveOptions({ projectDir: dir }));
    expect(error.message).toContain(`No alembic.ini found in ${dir}`);
  });

  it('accepts [tool.alembic] in pyproject.toml instead of alembic.ini', () => {
    const dir = project({ 'pyproject.toml': '[tool.alembic]\nscript_location = "migrations"\n' });
    const options = resolveOptions({ projectDir: dir });
    expect(options.configFile).toBeNull();
    expect(options.tomlFile).toBe(path.join(dir, 'pyproject.toml'));
  });

  it('reads [tool.alembic-review], flags win over it', () => {
    const dir = project({
      'alembic.ini': '[alembic]\n',
      'pyproject.toml':
        '[tool.alembic-review]\nfail-on = "warning"\nseed-rows = 7\nurl-env = ["DATABASE_URL"]\n\n[tool.alembic-review.rules]\ndrop-column = "error"\nempty-revision = "off"\n',
    });
    const options = resolveOptions({ projectDir: dir, seedRows: '2' });
    expect(options.failOn).toBe('warning');
    expect(options.seedRows).toBe(2);
    expect(options.urlEnv).toEqual(['DATABASE_URL']);
    expect(options.severity).toEqual({ 'drop-column': 'error', 'empty-revision': 'off' });
  });

  it('rejects an unknown rule id in [tool.alembic-review.rules], listing the known ones', () => {
    const dir = project({
      'alembic.ini': '[alembic]\n',
      'pyproject.toml': '[tool.alembic-review.rules]\ndrop-colum = "error"\n',
    });
    const error = usageError(() => resolveOptions({ projectDir: dir }));
    expect(error.message).toContain('unknown rule id "drop-colum"');
    expect(error.message).toContain('drop-column');
    expect(error.message).toContain('not-null-column-without-default');
  });

  it('rejects unknown keys and bad values with the allowed ones', () => {
    const dir = project({
      'alembic.ini': '[alembic]\n',
      'pyproject.toml': '[tool.alembic-review]\nfail_on = "x"\n',
    });
    expect(usageError(() => resolveOptions({ projectDir: dir })).message).toContain('unknown key "fail_on"');
    const ok = project({ 'alembic.ini': '[alembic]\n' });
    expect(usageError(() => resolveOptions({ projectDir: ok, failOn: 'sometimes' })).message).toContain(
      'error, warning, never',
    );
    expect(usageError(() => resolveOptions({ projectDir: ok, database: 'url' })).message).toContain(
      '--database-url',
    );
    expect(usageError(() => resolveOptions({ projectDir: ok, revisionTimeoutMs: 'soon' })).message).toContain(
      'duration',
    );
    expect(
      usageError(() => resolveOptions({ projectDir: ok, base: 'main', since: 'abc' })).message,
    ).toContain('either');
  });

  it('parses durations and implies --database url from a URL', () => {
    const dir = project({ 'alembic.ini': '[alembic]\n' });
    const options = resolveOptions({
      projectDir: dir,
      revisionTimeoutMs: '90s',
      databaseUrl: 'postgresql://x@h/db',
    });
    expect(options.revisionTimeoutMs).toBe(90_000);
    expect(options.database).toBe('url');
  });

  it('finds the migrations/alembic.ini of a Flask-Migrate project', () => {
    const dir = project({});
    mkdirSync(path.join(dir, 'migrations'));
    writeFileSync(path.join(dir, 'migrations', 'alembic.ini'), '[alembic]\n');
    expect(resolveOptions({ projectDir: dir }).configFile).toBe(path.join(dir, 'migrations', 'alembic.ini'));
  });

  it('takes a config factory instead of a config file, and validates it', () => {
    const dir = project({
      'pyproject.toml': '[tool.alembic-review]\nconfig-factory = "app.db:alembic_config"\n',
    });
    const options = resolveOptions({ projectDir: dir });
    expect(options).toMatchObject({ configFactory: 'app.db:alembic_config', configFile: null });
    expect(usageError(() => resolveOptions({ projectDir: dir, configFactory: 'app.db' })).message).toContain(
      'package.module:function',
    );
  });

  it('reads base, ini-section, x-arg and flask-app', () => {
    const dir = project({
      'alembic.ini': '[core]\n',
      'schema.sql': '',
      'pyproject.toml':
        '[tool.alembic-review]\nbase = "schema:schema.sql"\nini-section = "core"\nx-arg = ["tenant=a b,c", "dry"]\nflask-app = "wsgi:app"\n',
    });
    expect(resolveOptions({ projectDir: dir })).toMatchObject({
      baseFrom: { kind: 'schema', file: path.join(dir, 'schema.sql') },
      iniSection: 'core',
      xArgs: ['tenant=a b,c', 'dry'],
      flaskApp: 'wsgi:app',
    });
    expect(resolveOptions({ projectDir: dir, baseFrom: 'models', xArgs: 'a=1\nb=2' })).toMatchObject({
      baseFrom: { kind: 'models' },
      xArgs: ['a=1', 'b=2'],
    });
    expect(
      usageError(() => resolveOptions({ projectDir: dir, baseFrom: 'schema:nope.sql' })).message,
    ).toContain('does not exist');
    expect(usageError(() => resolveOptions({ projectDir: dir, baseFrom: 'empty' })).message).toContain(
      'replay, models or schema:',
    );
  });

  it('reads dotenv files relative to the project directory, each of which must exist', () => {
    const dir = project({
      'alembic.ini': '[alembic]\n',
      '.env.example': 'A=1\n',
      'pyproject.toml': '[tool.alembic-review]\ndotenv = [".env.example"]\n',
    });
    expect(resolveOptions({ projectDir: dir }).dotenvFiles).toEqual([path.join(dir, '.env.example')]);
    expect(resolveOptions({ projectDir: dir, dotenvFiles: '.env.example,alembic.ini' }).dotenvFiles).toEqual([
      path.join(dir, '.env.example'),
      path.join(dir, 'alembic.ini'),
    ]);
    expect(usageError(() => resolveOptions({ projectDir: dir, dotenvFiles: '../.env' })).message).toBe(
      `dotenv names ${path.resolve(dir, '../.env')}, which does not exist.`,
    );
  });
});
