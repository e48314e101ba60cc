// examples/blog's pull request through the lint stage: the statements the
// real replay captured (CLI, --format json), linted against the base schema
// introspected from a database Alembic migrated to the base. The PR gives
// exactly the two article pitfalls as errors on the op.* lines; the
// reviewer's fixes from the example's README leave only the rename warning.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/lint/engine.ts';
import type { LintInput } from '../../src/lint/types.ts';
import type { Finding, Review } from '../../src/model.ts';
import { introspect } from '../../src/schema/introspect.ts';
import { ROOT, VENV } from '../helpers/alembic-project.ts';
import { runCli } from '../helpers/cli.ts';
import { ScratchDatabase, SERVER_URL } from './helpers/replay.ts';

const ADD_DISPLAY_NAME = 'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py';
const RENAME_BODY = 'migrations/versions/351c640d6175_rename_post_body_to_content.py';
const BASE_REVISION = '192f05816f85';
const NEW_REVISIONS = ['4a8d2126b4e4', '351c640d6175', '10d55bdb4f5a'];

let work: string;
let blog: string;
let base: ScratchDatabase;

async function review(): Promise<Review> {
  const output = path.join(work, `report-${Date.now()}.json`);
  const result = await runCli([
    'review',
    '--project',
    blog,
    '--base',
    'main',
    '--database',
    'url',
    '--database-url',
    SERVER_URL,
    '--format',
    'json',
    '--output',
    output,
  ]);
  expect([0, 1], result.stderr).toContain(result.code);
  return JSON.parse(readFileSync(output, 'utf8')) as Review;
}

/** The lint stage's input from a report: the new revisions' captured statements, in the order they apply. */
async function lintInput(report: Review): Promise<LintInput> {
  const client = new pg.Client({ connectionString: base.url });
  await client.connect();
  try {
    const baseSchema = await introspect(client, { countRows: true });
    return {
      revisions: NEW_REVISIONS.map((id) => {
        const revision = report.revisions.find((r) => r.id === id);
        if (revision === undefined) throw new Error(`no revision ${id} in the report`);
        return { id, path: revision.path, statements: revision.statements, lockTimeout: null };
      }),
      baseSchema,
      baseRows: Object.fromEntries(Object.entries(baseSchema.tables).map(([key, t]) => [key, t.rows ?? 0])),
      environmentStatements: report.environmentStatements,
    };
  } finally {
    await client.end();
  }
}

const brief = (findings: Finding[]) =>
  findings.map((f) => ({
    ruleId: f.ruleId,
    severity: f.severity,
    file: f.file,
    line: f.line,
    revision: f.revision,
  }));

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'ar-lint-blog-'));
  blog = path.join(work, 'blog');
  await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [blog, '--venv', VENV]);
  // The base as Alembic builds it, with rows (what the replay seeds).
  base = await ScratchDatabase.create('lint_blog_base');
  await execa(
    path.join(VENV, 'bin/python'),
    [
      '-c',
      `from alembic import command; from alembic.config import Config
cfg = Config('alembic.ini'); cfg.set_main_option('sqlalchemy.url', ${JSON.stringify(base.url.replace('postgresql://', 'postgresql+psycopg://'))})
command.upgrade(cfg, '${BASE_REVISION}')`,
    ],
    { cwd: blog },
  );
  const client = new pg.Client({ connectionString: base.url });
  await client.connect();
  await client.query(`INSERT INTO users (email, name) VALUES ('a@example.com', 'A'), ('b@example.com', 'B');
    INSERT INTO posts (title, body, author_id) SELECT 'Post', 'Body', id FROM users`);
  await client.end();
});
afterAll(async () => {
  await base.drop();
  rmSync(work, { recursive: true, force: true });
});

describe("examples/blog's pull request", () => {
  let report: Review;
  beforeAll(async () => {
    report = await review();
  });

  it('lints to exactly the NOT NULL gotcha and the rename pitfall, as errors on the op.* lines', async () => {
    const findings = lint(await lintInput(report));
    expect(brief(findings)).toEqual([
      {
        ruleId: 'not-null-column-without-default',
        severity: 'error',
        file: ADD_DISPLAY_NAME,
        line: 24,
        revision: '4a8d2126b4e4',
      },
      // The drop is what deletes the data: the line a reviewer must look at.
      {
        ruleId: 'drop-and-add-column',
        severity: 'error',
        file: RENAME_BODY,
        line: 25,
        revision: '351c640d6175',
      },
    ]);
    const [notNull, rename] = findings;
    expect(notNull?.message).toMatch(
      /^ALTER TABLE users ADD COLUMN display_name VARCHAR\(100\) NOT NULL fails when users has rows/,
    );
    expect(notNull?.suggestion?.code).toContain('op.alter_column("users", "display_name", nullable=False)');
    expect(rename?.message).toMatch(
      /^posts loses column body \(line 25\) and gains content TEXT \(line 24\)/,
    );
    expect(rename?.suggestion?.code).toContain('op.alter_column("posts", "body", new_column_name="content")');
  });

  it('gives the same lint findings through the whole pipeline', () => {
    expect(brief(report.findings.filter((f) => f.category === 'lint'))).toEqual([
      {
        ruleId: 'not-null-column-without-default',
        severity: 'error',
        file: ADD_DISPLAY_NAME,
        line: 24,
        revision: '4a8d2126b4e4',
      },
      {
        ruleId: 'drop-and-add-column',
        severity: 'error',
        file: RENAME_BODY,
        line: 25,
        revision: '351c640d6175',
      },
    ]);
  });
});

describe("the pull request with the README's fixes", () => {
  let report: Review;
  beforeAll(async () => {
    const replace = (file: string, from: string, to: string): void => {
      const target = path.join(blog, file);
      const text = readFileSync(target, 'utf8');
      if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
      writeFileSync(target, text.replace(from, to));
    };
    replace(
      ADD_DISPLAY_NAME,
      "op.add_column('users', sa.Column('display_name', sa.String(length=100), nullable=False))",
      [
        "op.add_column('users', sa.Column('display_name', sa.String(length=100), nullable=True))",
        '    op.execute("UPDATE users SET display_name = name")',
        "    op.alter_column('users', 'display_name', nullable=False)",
      ].join('\n'),
    );
    replace(
      RENAME_BODY,
      "op.add_column('posts', sa.Column('content', sa.Text(), nullable=True))\n    op.drop_column('posts', 'body')",
      "op.alter_column('posts', 'body', new_column_name='content')",
    );
    await execa('git', ['commit', '-qam', 'Apply the review'], { cwd: blog });
    report = await review();
  });

  it('leaves only the rename warning: no finding on the three-step pattern or the new comments table', async () => {
    const findings = lint(await lintInput(report));
    expect(brief(findings)).toEqual([
      { ruleId: 'rename-column', severity: 'warning', file: RENAME_BODY, line: 24, revision: '351c640d6175' },
    ]);
    expect(brief(report.findings.filter((f) => f.category === 'lint'))).toEqual(brief(findings));
  });
});
