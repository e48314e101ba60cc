// The example project end to end, as the README's quick start runs it: the
// PR's NOT NULL column fails on the replay with rows (and passes without),
// every statement carries the file:line of its op.* call, the report matches
// the JSON contract, and nothing is left on the server afterwards.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Review } from '../../src/model.ts';
import schema from '../../src/report.schema.json' with { type: 'json' };
import { ROOT, VENV } from '../helpers/alembic-project.ts';
import { CLI_DIST, createTestRole, runCli } from '../helpers/cli.ts';

const OP_LINES: Record<string, { line: number; sql: RegExp }[]> = {
  '4a8d2126b4e4': [{ line: 24, sql: /^ALTER TABLE users ADD COLUMN display_name VARCHAR\(100\) NOT NULL$/ }],
  '351c640d6175': [
    { line: 24, sql: /^ALTER TABLE posts ADD COLUMN content TEXT$/ },
    { line: 25, sql: /^ALTER TABLE posts DROP COLUMN body$/ },
  ],
  '10d55bdb4f5a': [
    { line: 24, sql: /^CREATE TABLE comments/ },
    { line: 34, sql: /^CREATE INDEX ix_comments_post_id ON comments \(post_id\)$/ },
  ],
};

let work: string;
let blog: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'ar-blog-'));
  blog = path.join(work, 'blog');
  await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [blog, '--venv', VENV]);
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('review of examples/blog with --database url', () => {
  let report: Review;
  let role: Awaited<ReturnType<typeof createTestRole>>;
  let result: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    role = await createTestRole();
    const output = path.join(work, 'r.json');
    result = await runCli([
      'review',
      '--project',
      blog,
      '--base',
      'main',
      '--database',
      'url',
      '--database-url',
      role.url,
      '--format',
      'json',
      '--output',
      output,
    ]);
    report = JSON.parse(readFileSync(output, 'utf8')) as Review;
  });
  afterAll(async () => {
    await role.drop();
  });

  it('exits 1 (the gate fails) and prints progress per stage', () => {
    expect(result.code, result.stderr).toBe(1);
    for (const stage of ['open project', 'find new revisions', 'provision database', 'replay', 'lint']) {
      expect(result.stderr).toMatch(new RegExp(`\\] ${stage} done in \\d`));
    }
  });

  it('writes a report that matches the JSON contract', () => {
    const ajv = new Ajv2020({ allErrors: true });
    const valid = ajv.validate(schema, report);
    expect(ajv.errors ?? [], JSON.stringify(ajv.errors)).toEqual([]);
    expect(valid).toBe(true);
    expect(report.summary.verdict).toBe('fail');
  });

  it('lists the new revisions in the order they apply', () => {
    expect(report.revisions.filter((r) => r.new).map((r) => r.id)).toEqual([
      '4a8d2126b4e4',
      '351c640d6175',
      '10d55bdb4f5a',
    ]);
  });

  it('gives every statement the file:line of the op.* call that emitted it', () => {
    for (const [id, expected] of Object.entries(OP_LINES)) {
      const revision = report.revisions.find((r) => r.id === id);
      expect(revision?.path).toMatch(new RegExp(`^migrations/versions/${id}_`));
      const statements = revision?.statements ?? [];
      expect(statements.map((s) => s.line)).toEqual(expected.map((e) => e.line));
      statements.forEach((s, i) => {
        expect(s.sql).toMatch(expected[i]?.sql ?? /never/);
        expect(s.file).toBe(revision?.path);
      });
    }
  });

  it('proves the NOT NULL gotcha: fails with rows, passes without', () => {
    const failure = report.findings.find((f) => f.ruleId === 'fails-on-existing-rows');
    expect(failure).toMatchObject({
      severity: 'error',
      revision: '4a8d2126b4e4',
      file: 'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py',
      line: 24,
    });
    expect(failure?.message).toContain('column "display_name" of relation "users" contains null values');
    expect(failure?.message).toContain('SQLSTATE 23502');
    expect(report.findings.some((f) => f.ruleId === 'migration-failed')).toBe(false);
    const failed = report.revisions.find((r) => r.id === '4a8d2126b4e4');
    expect(failed?.applied).toBe(false);
    // The revisions after it ran on the base without rows, and passed there.
    expect(report.revisions.filter((r) => r.new && r.id !== '4a8d2126b4e4').every((r) => r.applied)).toBe(
      true,
    );
    expect(failed?.statements[0]?.error?.sqlstate).toBe('23502');
  });

  it('finds both pitfalls by lint on the op lines', () => {
    const lint = report.findings.filter((f) => f.category === 'lint' && f.severity === 'error');
    expect(lint.map((f) => f.ruleId).sort()).toEqual([
      'drop-and-add-column',
      'not-null-column-without-default',
    ]);
    expect(lint.find((f) => f.ruleId === 'not-null-column-without-default')?.line).toBe(24);
  });

  it('records the env.py statement that sets the lock timeout', () => {
    expect(report.environmentStatements.map((s) => s.sql)).toContain("SET lock_timeout = '5s'");
  });

  it('leaves no database behind', async () => {
    expect(await role.databases()).toEqual([]);
  });
});

describe('the same review from dist/cli.js with the other providers', () => {
  const image = process.env.ALEMBIC_REVIEW_TEST_IMAGE ?? 'local/postgres:15';

  async function reviewWith(args: string[]): Promise<{ code: number; stderr: string; report: Review }> {
    const output = path.join(work, `r-${args[1] ?? 'x'}.json`);
    const result = await runCli(
      ['review', '--project', blog, '--base', 'main', '--format', 'json', '--output', output, ...args],
      {
        cli: CLI_DIST,
      },
    );
    return {
      code: result.code,
      stderr: result.stderr,
      report: JSON.parse(readFileSync(output, 'utf8')) as Review,
    };
  }

  it('testcontainers with a local image, and the container is gone afterwards', async () => {
    const run = await reviewWith(['--database', 'testcontainers', '--postgres-image', image]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.report.findings.map((f) => f.ruleId)).toContain('fails-on-existing-rows');
    const id = /container ([0-9a-f]{12}) \(/.exec(run.stderr)?.[1];
    expect(id).toBeDefined();
    const ps = await execa('docker', ['ps', '-aq', '--no-trunc']);
    expect(String(ps.stdout)).not.toContain(id);
  });

  it('embedded, and the cluster directory is gone afterwards', async () => {
    const run = await reviewWith(['--database', 'embedded']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.report.findings.map((f) => f.ruleId)).toContain('fails-on-existing-rows');
    const dir = /cluster in (\S+) with/.exec(run.stderr)?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(dir ?? '/')).toBe(false);
  });
});

describe('offline mode (--database none)', () => {
  it('lints the SQL of `alembic upgrade --sql` with the op.* lines, without any database', async () => {
    const output = path.join(work, 'offline.json');
    const result = await runCli([
      'review',
      '--project',
      blog,
      '--base',
      'main',
      '--database',
      'none',
      '--format',
      'json',
      '--output',
      output,
    ]);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(readFileSync(output, 'utf8')) as Review;
    expect(report.environment.database).toMatch(/offline/);
    const statements = report.revisions.find((r) => r.id === '351c640d6175')?.statements ?? [];
    expect(statements.map((s) => [s.line, s.sql.replace(/;$/, '')])).toEqual([
      [24, 'ALTER TABLE posts ADD COLUMN content TEXT'],
      [25, 'ALTER TABLE posts DROP COLUMN body'],
    ]);
    const errors = report.findings.filter((f) => f.severity === 'error').map((f) => f.ruleId);
    expect(errors).toContain('drop-and-add-column');
  });
});

describe('a model change with no migration (on the PR branch of examples/blog)', () => {
  it('fails the ORM smoke test and reports the drift with the fix', async () => {
    const copy = path.join(work, 'blog-model-change');
    await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [copy, '--venv', VENV]);
    const user = path.join(copy, 'app/models/user.py');
    writeFileSync(
      user,
      readFileSync(user, 'utf8').replace('    name = Column(', '    bio = Column(Text)\n    name = Column('),
    );
    writeFileSync(
      user,
      readFileSync(user, 'utf8').replace(
        'from sqlalchemy import Column,',
        'from sqlalchemy import Column, Text,',
      ),
    );
    const output = path.join(work, 'model-change.json');
    const role = await createTestRole();
    try {
      const result = await runCli([
        'review',
        '--project',
        copy,
        '--base',
        'main',
        '--database-url',
        role.url,
        '--format',
        'json',
        '--output',
        output,
      ]);
      expect(result.code, result.stderr).toBe(1);
    } finally {
      await role.drop();
    }
    const report = JSON.parse(readFileSync(output, 'utf8')) as Review;
    // The missing column, and the ORM smoke test failing on it: one finding.
    expect(report.findings.filter((f) => f.ruleId === 'orm-insert-failed')).toEqual([]);
    const drift = report.findings.find((f) => f.ruleId === 'drift-column-missing');
    expect(drift).toMatchObject({ table: 'users', column: 'bio', file: 'app/models/user.py' });
    expect(drift?.message).toContain('storing app.models.user.User through a Session fails');
    expect(drift?.suggestion?.code).toContain(
      "op.add_column('users', sa.Column('bio', sa.Text(), nullable=True))",
    );
  });
});
