// Which revisions' upgrade() may fail on the rows a table already holds, read
// from the source by the bridge (upgradeMayFailOnRows): the review makes the
// database for a replay without rows ahead only for those. A wrong "false"
// costs time, never a finding, so anything unknown counts as "may fail".
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, VENV } from '../helpers/alembic-project.ts';

const work = mkdtempSync(path.join(tmpdir(), 'ar-rows-fact-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function mayFailOnRows(upgrade: string): Promise<unknown> {
  const file = path.join(work, `r${Math.random().toString(16).slice(2)}.py`);
  const body = upgrade
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  writeFileSync(file, `from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade():\n${body}\n`);
  const script = `import json, sys\nsys.path.insert(0, sys.argv[1])\nfrom alembic_review_bridge.project import _static_facts\nsys.stderr.write(json.dumps(_static_facts(sys.argv[2]).get("upgradeMayFailOnRows")))`;
  const result = await execa(path.join(VENV, 'bin/python'), [
    '-c',
    script,
    path.join(ROOT, 'src/bridge'),
    file,
  ]);
  // On stderr: the bridge package keeps stdout for its protocol.
  return JSON.parse(result.stderr) as unknown;
}

const cannot: [string, string][] = [
  [
    'a new table and its index',
    "op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))\nop.create_index(op.f('ix_t_id'), 't', ['id'], unique=False)",
  ],
  ['a nullable column', "op.add_column('t', sa.Column('note', sa.String(50), nullable=True))"],
  [
    'a NOT NULL column with a server default',
    "op.add_column('t', sa.Column('n', sa.Integer(), nullable=False, server_default='0'))",
  ],
  ['drops', "op.drop_index('ix_t_name', table_name='t')\nop.drop_column('t', 'name')\nop.drop_table('u')"],
  [
    'a batch that drops a column',
    "with op.batch_alter_table('t') as batch_op:\n    batch_op.drop_column('name')",
  ],
];

const may: [string, string][] = [
  [
    'a NOT NULL column without a default',
    "op.add_column('t', sa.Column('name', sa.String(100), nullable=False))",
  ],
  ['SET NOT NULL', "op.alter_column('t', 'name', existing_type=sa.String(100), nullable=False)"],
  ['a unique constraint', "op.create_unique_constraint('uq_t_email', 't', ['email'])"],
  ['a unique index', "op.create_index('ix_t_email', 't', ['email'], unique=True)"],
  ['a foreign key', "op.create_foreign_key('fk_t_u', 't', 'u', ['u_id'], ['id'])"],
  ['SQL of its own', 'op.execute("UPDATE t SET name = lower(name)")'],
  [
    'a batch that adds a NOT NULL column',
    "with op.batch_alter_table('t') as batch_op:\n    batch_op.add_column(sa.Column('name', sa.String(), nullable=False))",
  ],
];

describe('upgradeMayFailOnRows', () => {
  it.each(cannot)('false for %s', async (_name, upgrade) => {
    expect(await mayFailOnRows(upgrade)).toBe(false);
  });
  it.each(may)('true for %s', async (_name, upgrade) => {
    expect(await mayFailOnRows(upgrade)).toBe(true);
  });
});
