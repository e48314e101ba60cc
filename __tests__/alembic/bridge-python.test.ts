// The bridge runs with the project's own Python: it must stay valid Python
// 3.9 and use nothing newer from the standard library.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bridgeScriptPath } from '../../src/alembic/bridge.ts';
import { ROOT, VENV } from '../helpers/alembic-project.ts';

const PACKAGE = path.join(ROOT, 'src/bridge/alembic_review_bridge');
const SOURCES = [
  path.join(ROOT, 'src/bridge/alembic-review-bridge.py'),
  ...readdirSync(PACKAGE)
    .filter((f) => f.endsWith('.py'))
    .map((f) => path.join(PACKAGE, f)),
];

describe('the Python bridge package', () => {
  it('parses as Python 3.9, every module', async () => {
    const check = `import ast, sys\nfor f in sys.argv[1:]:\n    ast.parse(open(f).read(), filename=f, feature_version=(3, 9))\nprint("ok")`;
    const result = await execa(path.join(VENV, 'bin/python'), ['-c', check, ...SOURCES]);
    expect(result.stdout).toBe('ok');
  });

  it('uses no syntax or library added after 3.9', () => {
    for (const file of SOURCES) {
      const source = readFileSync(file, 'utf8');
      expect(source, file).not.toMatch(/^\s*match\s+\S+:\s*$/m);
      expect(source, file).not.toMatch(/\bzip\([^)]*strict=/);
      expect(source, file).not.toMatch(/\bimport\s+tomllib\b/);
    }
  });

  it('adds no importable module but its own package to the project', () => {
    const entries = readdirSync(path.dirname(bridgeScriptPath()));
    // The launcher's name has a hyphen: it cannot be imported.
    expect(entries.filter((e) => !e.startsWith('__pycache__')).sort()).toEqual([
      'alembic-review-bridge.py',
      'alembic_review_bridge',
    ]);
  });

  it('answers hello on the oldest supported stack', async () => {
    const result = await execa(path.join(ROOT, '.venv-oldest/bin/python'), [bridgeScriptPath()], {
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
