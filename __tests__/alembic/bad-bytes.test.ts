// Revision files and alembic.ini are read the way Python and Alembic read
// them: a coding line is honoured, and bytes that cannot be decoded (or NUL
// bytes) are a clear exit 2 naming the file and the byte offset.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, revisionSource, type AlembicProject } from '../helpers/alembic-project.ts';
import { runCli } from '../helpers/cli.ts';

const BASE = {
  id: 'aa00aa00aa00',
  upgrade: 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
};

async function projectWith(name: string, bytes: Buffer): Promise<AlembicProject> {
  const project = await makeProject({ revisions: [BASE] });
  await project.pullRequest((p) => {
    writeFileSync(path.join(p.dir, 'migrations/versions', name), bytes);
  });
  return project;
}

function review(project: AlembicProject) {
  return runCli(['review', '--project', project.dir, '--base', 'main', '--database', 'none']);
}

const latin1Revision = (coding: boolean): Buffer =>
  Buffer.concat([
    Buffer.from(coding ? '# -*- coding: latin-1 -*-\n' : ''),
    Buffer.from(
      revisionSource({
        id: 'bb00bb00bb00',
        down: 'aa00aa00aa00',
        message: 'caf\u00e9 prices',
        upgrade: 'op.add_column("t", sa.Column("name", sa.Text, server_default="caf\u00e9"))',
      }),
      'latin1',
    ),
  ]);

describe('bad bytes', () => {
  it('reviews a latin-1 revision that says so in its coding line (Alembic loads it)', async () => {
    const project = await projectWith('bb00bb00bb00_latin1.py', latin1Revision(true));
    try {
      const result = await review(project);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('bb00bb00bb00');
    } finally {
      project.remove();
    }
  });

  it('names the file and the byte offset of bytes that are not UTF-8 (no coding line)', async () => {
    const bytes = latin1Revision(false);
    const project = await projectWith('bb00bb00bb00_latin1.py', bytes);
    try {
      const result = await review(project);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('bb00bb00bb00_latin1.py is not valid utf-8');
      expect(result.stderr).toContain(
        `the byte 0xe9 at byte offset ${bytes.indexOf(0xe9)} cannot be decoded`,
      );
      expect(result.stderr).not.toContain('internal error');
      expect(
        result.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('alembic-review:')),
      ).toHaveLength(1);
    } finally {
      project.remove();
    }
  });

  it('names the file and the offset of a NUL byte', async () => {
    const source = Buffer.from(revisionSource({ id: 'cc00cc00cc00', down: 'aa00aa00aa00', upgrade: 'pass' }));
    const offset = source.indexOf('def upgrade');
    const bytes = Buffer.concat([source.subarray(0, offset), Buffer.from([0]), source.subarray(offset)]);
    const project = await projectWith('cc00cc00cc00_nul.py', bytes);
    try {
      const result = await review(project);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`cc00cc00cc00_nul.py contains a NUL byte at byte offset ${offset}`);
      expect(result.stderr).not.toMatch(/internal error|None, line None/);
    } finally {
      project.remove();
    }
  });

  it('names alembic.ini when it is not UTF-8', async () => {
    const project = await makeProject({ revisions: [BASE], ini: '# r\u00e9vision' });
    try {
      const ini = path.join(project.dir, 'alembic.ini');
      const text = `[alembic]\nscript_location = migrations\n# r\u00e9sum\u00e9\n`;
      writeFileSync(ini, Buffer.from(text, 'latin1'));
      const result = await review(project);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `alembic.ini is not valid utf-8: the byte 0xe9 at byte offset ${Buffer.from(text, 'latin1').indexOf(0xe9)}`,
      );
      expect(result.stderr).not.toContain('internal error');
    } finally {
      project.remove();
    }
  });
});
