// The bundled action on other events and on a big change, run as GitHub runs
// it in a one-commit-deep checkout:
//
// - push and workflow_dispatch: the base is found without any input (the
//   default branch is fetched and the histories deepened to their merge-base);
// - a pull request with 300 drift findings: the gate's message first, the
//   migration lines' findings next, at most 10 annotations per level and one
//   summary of the rest; SARIF valid against the 2.1.0 schema with every
//   result located (drift on the model's Column(...) line);
// - a run that fails before reviewing: outputs and job summary all the same.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Log } from 'sarif';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeGitHub } from '../github/fake-github.ts';
import { validateSarif } from '../render/sarif-schema.ts';
import {
  blogCheckout,
  pushEvent,
  pushToPullRequest,
  reviewInputs,
  runAction,
  runOnPullRequest,
  type ActionRun,
  type BlogCheckout,
} from './helpers.ts';

const POST_MODEL = 'app/models/post.py';
const WIDE = 300;

let checkout: BlogCheckout;
let github: FakeGitHub;

beforeAll(async () => {
  checkout = await blogCheckout();
  github = new FakeGitHub({ headSha: checkout.headSha, baseSha: checkout.baseSha, files: checkout.files });
  await github.start();
});

afterAll(async () => {
  await github.stop();
  await rm(checkout.temp, { recursive: true, force: true });
});

function annotationLines(run: ActionRun): string[] {
  return run.stdout.split('\n').filter((l) => /^::(error|warning|notice)( |::)/.test(l));
}

describe('events without a pull request, in a shallow checkout', () => {
  const runs: Record<string, ActionRun> = {};

  beforeAll(async () => {
    for (const eventName of ['push', 'workflow_dispatch']) {
      const event =
        eventName === 'push'
          ? pushEvent(checkout)
          : { ref: 'pr', inputs: {}, repository: { full_name: 'blog-team/blog' } };
      // Each run gets its own fresh shallow clone (the first one deepens its checkout).
      const fresh = await pushToPullRequest(checkout, `rerun for ${eventName}`, async (file) => {
        await file('.gitignore', (t) => `${t}\n`);
      });
      runs[eventName] = await runAction({
        checkout: fresh,
        eventName,
        event,
        apiUrl: github.url,
        ref: 'refs/heads/pr',
        inputs: reviewInputs({ 'fail-on': 'error' }),
      });
    }
  });

  test.each(['push', 'workflow_dispatch'])('%s: finds the merge-base with main and reviews', (eventName) => {
    const run = runs[eventName] as ActionRun;
    expect(run.stdout).toContain('comparing with the merge-base with main');
    expect(run.stdout).not.toContain('No base to compare with');
    // The review ran: the PR's pitfalls fail the gate, as on the pull request.
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.outputs.verdict).toBe('fail');
    expect(Number(run.outputs.errors)).toBeGreaterThan(0);
    expect(run.summary).toContain('4a8d2126b4e4');
    expect(run.stdout).toContain('no pull request comment');
  });

  test('a push to the default branch: compared with the commit before the push', async () => {
    const run = await runAction({
      checkout,
      eventName: 'push',
      event: { ...pushEvent(checkout, 'main'), before: checkout.baseSha },
      apiUrl: github.url,
      ref: 'refs/heads/main',
      inputs: reviewInputs({ 'fail-on': 'never' }),
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`comparing with the commit before the push, ${checkout.baseSha}`);
    expect(run.summary).toContain('4a8d2126b4e4');
  });

  test('a run that cannot start still writes its outputs and job summary', async () => {
    const run = await runAction({
      checkout,
      eventName: 'push',
      event: pushEvent(checkout),
      apiUrl: github.url,
      ref: 'refs/heads/pr',
      inputs: reviewInputs({ 'working-directory': 'no/such/dir' }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/::error::alembic-review: The project directory .* does not exist/);
    expect(run.outputs).toMatchObject({ verdict: 'error', errors: '', warnings: '', 'report-json': '' });
    expect(run.summary).toContain('The review did not run');
    expect(run.summary).toContain('does not exist');
  });

  test('a base that cannot be found names the input to set', async () => {
    const run = await runAction({
      checkout,
      eventName: 'workflow_dispatch',
      event: { ref: 'pr', repository: { full_name: 'blog-team/blog', default_branch: 'trunk' } },
      apiUrl: github.url,
      ref: 'refs/heads/pr',
      inputs: reviewInputs({}),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('the default branch trunk could not be fetched from origin');
    expect(run.stdout).toContain('Set the base-ref input');
    expect(run.stdout).toContain('fetch-depth: 0');
    expect(run.outputs.verdict).toBe('error');
  });
});

describe('a pull request with 300 drift findings', () => {
  let run: ActionRun;
  let wide: BlogCheckout;
  let sarif: Log;

  beforeAll(async () => {
    const columns = Array.from(
      { length: WIDE },
      (_, i) => `    extra_${String(i).padStart(3, '0')} = Column(Integer)`,
    );
    wide = await pushToPullRequest(checkout, 'Many model columns, no migration', async (file) => {
      await file(POST_MODEL, (t) =>
        t.replace('    content = Column(Text)\n', `    content = Column(Text)\n${columns.join('\n')}\n`),
      );
    });
    run = await runOnPullRequest(github, wide, {
      'fail-on': 'error',
      'sarif-file': 'alembic-review.sarif',
      'inline-comments': 'false',
    });
    sarif = JSON.parse(readFileSync(path.join(wide.workspace, 'alembic-review.sarif'), 'utf8')) as Log;
  });

  test('the gate first, then the migration lines, then the model lines: 10 per level and one summary', () => {
    expect(run.exitCode, run.stderr).toBe(1);
    expect(Number(run.outputs.errors)).toBeGreaterThan(WIDE);
    const lines = annotationLines(run);
    const errors = lines.filter((l) => l.startsWith('::error'));
    const warnings = lines.filter((l) => l.startsWith('::warning'));
    const notices = lines.filter((l) => l.startsWith('::notice'));
    expect(errors).toHaveLength(10);
    expect(warnings.length).toBeLessThanOrEqual(10);
    expect(notices.length).toBeLessThanOrEqual(10);
    expect(lines[0]).toMatch(/^::error title=alembic-review%3A merge blocked::alembic-review: \d+ errors/);
    // Right after the gate: the errors on migration lines, before any drift on the model.
    const firstModel = errors.findIndex((l) => l.includes(`file=${POST_MODEL}`));
    const lastMigration = errors.findLastIndex((l) => l.includes('file=migrations/versions/'));
    expect(lastMigration).toBeGreaterThan(0);
    expect(firstModel).toBeGreaterThan(lastMigration);
    expect(errors[firstModel]).toMatch(new RegExp(`file=${POST_MODEL},line=\\d+`));
    const summary = notices.find((l) => l.includes('more are not annotated'));
    expect(summary).toBeDefined();
    expect(summary).toMatch(/\d{3} errors/);
    expect(lines.length).toBeLessThanOrEqual(30);
  });

  test('SARIF: valid 2.1.0, every result located, drift on the Column(...) line', () => {
    expect(validateSarif(sarif), JSON.stringify(validateSarif.errors?.slice(0, 5), null, 2)).toBe(true);
    const results = sarif.runs[0]?.results ?? [];
    expect(results.length).toBeGreaterThan(WIDE);
    for (const result of results) {
      const physical = result.locations?.[0]?.physicalLocation;
      expect(physical?.artifactLocation?.uri, result.ruleId).toBeTruthy();
      expect(physical?.region?.startLine).toBeGreaterThan(0);
    }
    const source = readFileSync(path.join(wide.workspace, POST_MODEL), 'utf8').split('\n');
    const drift = results.filter((r) => r.ruleId === 'drift-column-missing');
    expect(drift).toHaveLength(WIDE);
    for (const result of drift) {
      const column = String(result.properties?.column);
      const line = result.locations?.[0]?.physicalLocation?.region?.startLine ?? 0;
      expect(source[line - 1]).toBe(`    ${column} = Column(Integer)`);
    }
    for (const rule of sarif.runs[0]?.tool.driver.rules ?? []) expect(rule.helpUri).toMatch(/^https:\/\//);
  });
});
