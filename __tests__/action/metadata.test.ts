// action.yml, the code that reads the inputs, the example workflows and the
// docs agree: every input is described, read and documented, and the
// workflows use only inputs that exist.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './helpers.ts';

interface ActionMetadata {
  runs: { using: string; main: string };
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { description: string }>;
}

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}

interface Workflow {
  permissions?: Record<string, string>;
  jobs: Record<string, { steps: Step[]; permissions?: Record<string, string> }>;
}

const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionMetadata;
const mainSource = readFileSync(path.join(ROOT, 'src/main.ts'), 'utf8');
const docs = readFileSync(path.join(ROOT, 'docs/github-action.md'), 'utf8');
const workflowDir = path.join(ROOT, 'examples/workflows');
const workflows = readdirSync(workflowDir)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => ({ file: f, workflow: parse(readFileSync(path.join(workflowDir, f), 'utf8')) as Workflow }));

const CONTRACT_INPUTS = [
  'working-directory',
  'alembic-config',
  'python',
  'database',
  'database-url',
  'postgres-image',
  'base-ref',
  'fail-on',
  'comment',
  'inline-comments',
  'github-token',
  'sarif-file',
  'mode',
  'seed-rows',
  'seed-sql',
  'url-env',
  'allow-pull-request-target',
];

function actionSteps(workflow: Workflow): Step[] {
  return Object.values(workflow.jobs).flatMap((job) =>
    job.steps.filter((s) => s.uses?.startsWith('alembic-review/alembic-review@') === true),
  );
}

describe('action metadata', () => {
  test('runs on node24 from dist/index.js', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  test('every input of the contract, each described and read by the action', () => {
    for (const name of CONTRACT_INPUTS) expect(Object.keys(action.inputs)).toContain(name);
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description.length, name).toBeGreaterThan(20);
      expect(mainSource, `src/main.ts reads ${name}`).toMatch(
        new RegExp(`(input|flag|choice)(<\\w+>)?\\('${name}'`),
      );
      expect(docs, `docs/github-action.md documents ${name}`).toContain(`| \`${name}\``);
    }
    expect(action.inputs['github-token']?.default).toBe('${{ github.token }}');
    expect(action.inputs.comment?.default).toBe('true');
    expect(action.inputs['inline-comments']?.default).toBe('true');
  });

  test('every output of the contract, each described, set and documented', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([
      'comment-url',
      'errors',
      'report-json',
      'verdict',
      'warnings',
    ]);
    for (const [name, output] of Object.entries(action.outputs)) {
      expect(output.description.length).toBeGreaterThan(10);
      expect(mainSource).toContain(`setOutput('${name}'`);
      expect(docs).toContain(`| \`${name}\``);
    }
  });

  test.each(workflows.map((w) => [w.file, w.workflow] as const))(
    '%s uses the action with known inputs only',
    (_file, workflow) => {
      const steps = actionSteps(workflow);
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps)
        for (const key of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(key);
    },
  );

  test('the fork-safe pair: analyze needs no write permission, publish checks out nothing', () => {
    const analyze = workflows.find((w) => w.file === 'alembic-review-analyze.yml')?.workflow;
    const publish = workflows.find((w) => w.file === 'alembic-review-publish.yml')?.workflow;
    expect(analyze?.permissions).toEqual({ contents: 'read' });
    expect(actionSteps(analyze ?? { jobs: {} })[0]?.with?.mode).toBe('analyze');
    expect(publish?.permissions).toEqual({ actions: 'read', 'pull-requests': 'write' });
    const steps = Object.values(publish?.jobs ?? {}).flatMap((j) => j.steps);
    expect(steps.some((s) => s.uses?.startsWith('actions/checkout') === true)).toBe(false);
    expect(actionSteps(publish ?? { jobs: {} })[0]?.with?.mode).toBe('publish');
  });

  test('the docs’ YAML examples parse and use known inputs', () => {
    const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      const document = parse(block) as unknown;
      expect(document).toBeTypeOf('object');
      for (const match of block.matchAll(
        /uses: alembic-review\/alembic-review@v1\n\s+with:\n((?:\s{10,}[\w-]+:.*\n?)+)/g,
      )) {
        for (const key of (match[1] ?? '').matchAll(/^\s+([\w-]+):/gm))
          expect(Object.keys(action.inputs)).toContain(key[1]);
      }
    }
  });
});
