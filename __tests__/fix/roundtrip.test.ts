// `alembic-review fix` on real projects, reviewed again on the real
// PostgreSQL: each fixed finding is gone and the re-review finds nothing the
// first one did not (the rename's own warning aside, see below). The blog
// example (NOT NULL column, drop + add), and a project whose change indexes
// and references an existing table.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Finding, Review } from '../../src/model.ts';
import { execa } from 'execa';
import { AlembicProject, LOCAL_URL, ROOT, VENV, makeProject } from '../helpers/alembic-project.ts';
import { runCli } from '../helpers/cli.ts';

async function reviewJson(dir: string): Promise<Review> {
  const out = path.join(dir, '..', `${path.basename(dir)}-report.json`);
  const result = await runCli([
    'review',
    '--project',
    dir,
    '--base',
    'main',
    '--database-url',
    LOCAL_URL,
    '--format',
    'json',
    '--output',
    out,
    '--fail-on',
    'never',
  ]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as Review;
}

const rules = (findings: readonly Finding[]): string[] =>
  findings
    .filter((f) => f.severity !== 'notice')
    .map((f) => `${f.ruleId} ${f.table ?? ''}.${f.column ?? ''}`)
    .sort();

describe('fix on the blog example', () => {
  let dir: string;
  let before: Review;
  let after: Review;
  let fix: Awaited<ReturnType<typeof runCli>>;
  let dryRun: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    const work = (await execa('mktemp', ['-d'])).stdout.trim();
    dir = path.join(work, 'blog');
    await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [dir, '--venv', VENV]);
    before = await reviewJson(dir);
    const common = ['--project', dir, '--base', 'main', '--database-url', LOCAL_URL];
    dryRun = await runCli(['fix', ...common, '--dry-run']);
    fix = await runCli(['fix', ...common]);
    after = await reviewJson(dir);
  });

  afterAll(async () => {
    await execa('rm', ['-rf', path.dirname(dir)]);
  });

  test('--dry-run prints the edits and changes nothing', async () => {
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain("+    op.alter_column('posts', 'body', new_column_name='content')");
    expect(dryRun.stdout).toContain('would fix 3 findings in 2 files');
    // fix ran after the dry run and found the files unchanged by it: the same edits were made.
    expect(fix.stdout).toContain('fixed 3 findings in 2 files');
  });

  test('the fixed findings are gone; no error is left', () => {
    expect(fix.code, fix.stderr).toBe(0);
    const fixed = ['not-null-column-without-default', 'fails-on-existing-rows', 'drop-and-add-column'];
    for (const rule of fixed) expect(before.findings.some((f) => f.ruleId === rule)).toBe(true);
    for (const rule of fixed) expect(after.findings.filter((f) => f.ruleId === rule)).toEqual([]);
    expect(after.summary.errors).toBe(0);
  });

  test('nothing new, but the rename’s own warning about running code', () => {
    // drop-and-add-column supersedes drop-column (old code reading posts.body breaks); once the pair is a
    // rename, that same hazard is reported as rename-column. Nothing else is new.
    const old = new Set(rules(before.findings));
    const fresh = rules(after.findings).filter((r) => !old.has(r));
    expect(fresh).toEqual(['rename-column posts.body']);
    const notices = (r: Review): string[] =>
      r.findings.filter((f) => f.severity === 'notice').map((f) => `${f.ruleId} ${f.table ?? ''}`);
    expect(notices(after).sort()).toEqual(notices(before).sort());
  });

  test('the edits keep the file’s indentation and quotes, and fix downgrade() too', () => {
    const rename = readFileSync(
      path.join(dir, 'migrations/versions/351c640d6175_rename_post_body_to_content.py'),
      'utf8',
    );
    expect(rename).toContain("    op.alter_column('posts', 'body', new_column_name='content')\n");
    expect(rename).toContain("    op.alter_column('posts', 'content', new_column_name='body')\n");
    expect(rename).not.toContain('drop_column');
    const notNull = readFileSync(
      path.join(dir, 'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py'),
      'utf8',
    );
    expect(notNull).toContain(
      [
        "    op.add_column('users', sa.Column('display_name', sa.String(length=100), nullable=True))",
        `    op.execute("UPDATE users SET display_name = '' WHERE display_name IS NULL")`,
        "    op.alter_column('users', 'display_name', nullable=False)",
      ].join('\n'),
    );
  });
});

const MODELS = `from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)


class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("users.id"))
`;

describe('fix on an index and a foreign key of existing tables', () => {
  let project: AlembicProject;
  let before: Review;
  let after: Review;
  let fix: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    project = await makeProject({
      models: MODELS.replace(', index=True', '').replace(', ForeignKey("users.id")', ''),
      revisions: [
        {
          id: 'a1',
          upgrade: `op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("name", sa.String(100), nullable=False))
op.create_table("posts", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("title", sa.String(200), nullable=False), sa.Column("author_id", sa.Integer()))`,
        },
      ],
    });
    await project.pullRequest((p) => {
      p.write('app/models.py', MODELS);
      p.addRevision({
        id: 'b2',
        down: 'a1',
        upgrade: `op.create_index(
    op.f("ix_posts_title"),
    "posts",
    ["title"],
    unique=False,
)
op.create_foreign_key(None, "posts", "users", ["author_id"], ["id"])`,
        downgrade: `op.drop_constraint("posts_author_id_fkey", "posts", type_="foreignkey")
op.drop_index(op.f("ix_posts_title"), table_name="posts")`,
      });
    });
    before = await reviewJson(project.dir);
    fix = await runCli(['fix', '--project', project.dir, '--base', 'main', '--database-url', LOCAL_URL]);
    after = await reviewJson(project.dir);
  });

  afterAll(() => {
    project.remove();
  });

  test('both findings are gone and nothing new appears', () => {
    expect(fix.code, fix.stderr).toBe(0);
    expect(fix.stdout).toContain('fixed 2 findings in 1 file');
    expect(rules(before.findings)).toEqual(
      expect.arrayContaining([
        'add-foreign-key-validates posts.author_id',
        'create-index-non-concurrently posts.',
      ]),
    );
    const old = new Set(rules(before.findings));
    expect(rules(after.findings).filter((r) => !old.has(r))).toEqual([]);
    for (const rule of ['add-foreign-key-validates', 'create-index-non-concurrently'])
      expect(after.findings.filter((f) => f.ruleId === rule)).toEqual([]);
    expect(after.summary.errors).toBe(0);
  });

  test('CONCURRENTLY in an autocommit block, VALIDATE in its own transaction, in the file’s style', () => {
    const text = readFileSync(
      path.join(project.dir, project.revisionPath({ id: 'b2', upgrade: '' })),
      'utf8',
    );
    expect(text).toContain(
      [
        '    with op.get_context().autocommit_block():',
        '        op.create_index(',
        '            op.f("ix_posts_title"),',
      ].join('\n'),
    );
    expect(text).toContain('            unique=False, postgresql_concurrently=True,\n        )');
    expect(text).toContain(
      [
        '    op.create_foreign_key(None, "posts", "users", ["author_id"], ["id"], postgresql_not_valid=True)',
        '    with op.get_context().autocommit_block():',
        '        op.execute("ALTER TABLE posts VALIDATE CONSTRAINT posts_author_id_fkey")',
      ].join('\n'),
    );
  });
});

describe('fix: bad input', () => {
  test('a rule without an edit, or an unknown one, is one clear error (exit 2)', async () => {
    const noEdit = await runCli(['fix', '--rule', 'drop-column']);
    expect(noEdit.code).toBe(2);
    expect(noEdit.stderr).toContain('drop-column has no fix that edits the migration file');
    const unknown = await runCli(['fix', '--rule', 'no-such-rule']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown rule id "no-such-rule"');
  });
});
