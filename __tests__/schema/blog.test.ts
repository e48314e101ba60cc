// The example blog project (examples/blog, PR branch checked out) from the
// drift side: its own migrations upgraded with `alembic upgrade head` into one
// database, its Base.metadata create_all'd into another, both introspected.
//  - as is: no drift (the rename migrated as drop + add matches the models;
//    that pitfall is lint's to catch);
//  - a model column with no migration: drift-column-missing with the fix;
//  - a model module forgotten in app/models/__init__.py: the comments table
//    is reported as a model that is never imported, naming its file.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffSchemas, fixRevision, type ModelClass } from '../../src/schema/diff.ts';
import { introspect } from '../../src/schema/introspect.ts';
import {
  createScratchDatabases,
  dropScratchDatabases,
  Harness,
  PYTHON,
  resetDatabase,
  ROOT,
  type ScratchDatabase,
} from './helpers.ts';

const METADATA = 'app.models:Base.metadata';
const OLDEST_PYTHON = path.join(ROOT, '.venv-oldest/bin/python');

describe('examples/blog drift', () => {
  let work: string;
  let databases: ScratchDatabase[];
  let head: ScratchDatabase;
  let models: ScratchDatabase;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'alembic-review-blog-drift-'));
    databases = await createScratchDatabases(['blog_head', 'blog_models']);
    [head, models] = databases as [ScratchDatabase, ScratchDatabase];
  });

  afterAll(async () => {
    await dropScratchDatabases(databases);
    rmSync(work, { recursive: true, force: true });
  });

  /** A fresh copy of the blog repository (branch pr), changed by `edit`. */
  async function blogProject(name: string, edit: (dir: string) => void = () => undefined): Promise<string> {
    const dir = path.join(work, name);
    await execa(path.join(ROOT, 'examples/blog/make-repo.sh'), [dir, '--venv', path.join(ROOT, '.venv')]);
    edit(dir);
    return dir;
  }

  /** Both databases of the project, built in a harness process of its own (it imports app.models). */
  async function build(
    project: string,
    python = PYTHON,
  ): Promise<{ harness: Harness; findings: ReturnType<typeof diffSchemas> }> {
    await Promise.all([resetDatabase(head.url), resetDatabase(models.url)]);
    const harness = new Harness(python);
    await harness.run({ action: 'alembic_upgrade', url: head.url, project });
    await harness.run({ action: 'create_all', url: models.url, project, metadata: METADATA });
    return { harness, findings: diffSchemas(await introspect(head.url), await introspect(models.url)) };
  }

  const editFile = (file: string, change: (text: string) => string): void => {
    const before = readFileSync(file, 'utf8');
    const after = change(before);
    expect(after).not.toBe(before);
    writeFileSync(file, after);
  };

  it('has no drift as the pull request stands (the rename as drop + add matches the models)', async () => {
    const { harness, findings } = await build(await blogProject('as-is'));
    await harness.close();
    expect(findings).toEqual([]);
  });

  for (const [stack, python] of [
    ['Alembic 1.20 / SQLAlchemy 2.1', PYTHON],
    ['Alembic 1.8 / SQLAlchemy 1.4', OLDEST_PYTHON],
  ] as const) {
    it(`reports a model column with no migration, with the fix (${stack})`, async () => {
      const project = await blogProject(`bio-${python === PYTHON ? 'new' : 'old'}`, (dir) => {
        editFile(path.join(dir, 'app/models/user.py'), (text) =>
          text
            .replace(
              'import Column, DateTime, Integer, String, func',
              'import Column, DateTime, Integer, String, Text, func',
            )
            .replace(
              '    display_name = Column(String(100), nullable=False)\n',
              '$&    bio = Column(Text)\n',
            ),
        );
      });
      const { harness, findings } = await build(project, python);
      try {
        expect(findings).toHaveLength(1);
        expect(findings[0]).toMatchObject({
          ruleId: 'drift-column-missing',
          category: 'drift',
          severity: 'error',
          table: 'users',
          column: 'bio',
          message: 'Column users.bio (text) is declared in the model but no migration adds it.',
          suggestion: { code: "op.add_column('users', sa.Column('bio', sa.Text(), nullable=True))" },
        });
        // The fix, run as one more migration step, closes the drift.
        await harness.run({
          action: 'exec',
          url: head.url,
          code: fixRevision(findings.map((f) => f.suggestion)),
        });
        expect(diffSchemas(await introspect(head.url), await introspect(models.url))).toEqual([]);
      } finally {
        await harness.close();
      }
    });
  }

  it('names the model module that is never imported where the metadata is built', async () => {
    const project = await blogProject('forgotten-import', (dir) => {
      editFile(path.join(dir, 'app/models/__init__.py'), (text) =>
        text.replace('from .comment import Comment\n', '').replace('"Comment", ', ''),
      );
    });
    const { harness, findings: plain } = await build(project);
    try {
      const modelClasses = (await harness.run({
        action: 'model_classes',
        project,
        package: 'app/models',
        metadata: METADATA,
      })) as ModelClass[];
      expect(modelClasses.find((c) => c.className === 'Comment')).toEqual({
        table: 'public.comments',
        className: 'Comment',
        file: 'app/models/comment.py',
        line: 7,
        inMetadata: false,
      });
      // Without the classes it is just a table no model declares ...
      expect(plain.map((f) => `${f.ruleId} ${f.table ?? ''}`)).toEqual(['drift-table-unexpected comments']);
      expect(plain[0]?.suggestion?.code).toBe("op.drop_table('comments')");
      // ... with them, the message says why and where.
      const [forgotten, ...rest] = diffSchemas(await introspect(head.url), await introspect(models.url), {
        modelClasses,
      });
      expect(rest).toEqual([]);
      expect(forgotten).toMatchObject({
        ruleId: 'drift-table-unexpected',
        table: 'comments',
        file: 'app/models/comment.py',
        line: 7,
        suggestion: { code: '# app/models/__init__.py\nfrom .comment import Comment' },
      });
      expect(forgotten?.message).toContain('class Comment in app/models/comment.py:7 declares it');
      expect(forgotten?.message).toContain('never imported where the metadata is built');
    } finally {
      await harness.close();
    }
  });
});
