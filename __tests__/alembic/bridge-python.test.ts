// The bridge runs with the project's own Python: it must stay valid Python
// 3.9 and use nothing newer from the standard library.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT, VENV } from '../helpers/alembic-project.ts';

const BRIDGE = path.join(ROOT, 'src/alembic/bridge.py');

describe('bridge.py', () => {
  it('parses as Python 3.9', async () => {
    const check = `import ast, sys\nast.parse(open(sys.argv[1]).read(), feature_version=(3, 9))\nprint("ok")`;
    const result = await execa(path.join(VENV, 'bin/python'), ['-c', check, BRIDGE]);
    expect(result.stdout).toBe('ok');
  });

  it('uses no syntax or library added after 3.9', () => {
    const source = readFileSync(BRIDGE, 'utf8');
    // match statements, `X | Y` in annotations evaluated at run time, str.removeprefix is 3.9 (fine)
    expect(source).not.toMatch(/^\s*match\s+\S+:\s*$/m);
    expect(source).not.toMatch(/\bzip\([^)]*strict=/);
    expect(source).not.toMatch(/\bimport\s+tomllib\b/);
  });

  it('answers hello on the oldest supported stack', async () => {
    const result = await execa(path.join(ROOT, '.venv-oldest/bin/python'), [BRIDGE], {
      input: '{"id": 1, "cmd": "hello", "args": {}}\n',
    });
    const reply = JSON.parse(result.stdout) as {
      ok: boolean;
      result: { alembic: string; sqlalchemy: string };
    };
    expect(reply.ok).toBe(true);
    expect(reply.result.alembic).toBe('1.8.1');
    expect(reply.result.sqlalchemy).toBe('1.4.54');
  });
});
