// env.py files that build their own URL: from settings parts, from cached
// settings and a module-level engine, from settings that require a secret.
// The review redirects every engine they create; the user passes nothing
// (or, for the secret, pass-env).
import { describe, expect, it } from 'vitest';
import {
  asyncCachedEngine,
  cachedSettings,
  requiredSecret,
  requiredUrl,
  settingsFromDotenv,
  urlFromParts,
} from './fixtures.ts';
import { byRule, expectComplete, fixtureProjects, reviewFixture, STACKS } from './review.ts';

const keep = fixtureProjects();

describe.each(STACKS)('on $name', (stack) => {
  it('reviews an env.py whose URL comes from settings parts, with nothing passed', async () => {
    const run = await reviewFixture(keep(await urlFromParts(stack)));
    expect(run.code, run.stderr).toBe(0);
    const report = expectComplete(run, 'b2b2b2b2b2b2');
    const statements = report.revisions.find((r) => r.id === 'b2b2b2b2b2b2')?.statements ?? [];
    expect(statements.map((s) => s.sql)).toContain('ALTER TABLE users ADD COLUMN nickname VARCHAR(50)');
  });

  it('reviews cached settings and a module-level engine across both replays of the same process', async () => {
    const run = await reviewFixture(keep(await cachedSettings(stack)));
    // The replay with rows fails, the replay on the empty base (the second in this process) passes.
    expect(run.code, run.stderr).toBe(1);
    const report = expectComplete(run, 'c3c3c3c3c3c3');
    const [failure] = byRule(report, 'fails-on-existing-rows');
    expect(failure?.message).toContain('column "display_name" of relation "users" contains null values');
    expect(run.stderr).not.toMatch(/Stopped for safety/);
  });

  it('passes a secret-looking setting the user names in pass-env, and says so', async () => {
    const run = await reviewFixture(keep(await requiredSecret(stack)), [], {
      SECRET_KEY: 'not-a-real-secret',
    });
    expect(run.code, run.stderr).toBe(0);
    expectComplete(run, 'b2b2b2b2b2b2');
    expect(run.stderr).toMatch(/passing SECRET_KEY to the project's Python, as pass-env asks/);
  });

  it('sets url-env before any project code is imported, in the form the project uses', async () => {
    const run = await reviewFixture(keep(await requiredUrl(stack)));
    expect(run.code, run.stderr).toBe(0);
    expectComplete(run, 'b2b2b2b2b2b2');
  });

  it("gives the project's code the variables of its .env.example (dotenv), the job's environment winning", async () => {
    const fromFile = await reviewFixture(keep(await settingsFromDotenv(stack)));
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const report = expectComplete(fromFile, 'b2b2b2b2b2b2');
    const sql = (r: typeof report) =>
      r.revisions.find((x) => x.id === 'b2b2b2b2b2b2')?.statements.map((s) => s.sql);
    expect(sql(report)).toContain("SELECT 'local'");
    const fromJob = await reviewFixture(keep(await settingsFromDotenv(stack)), ['--pass-env', 'APP_MODE'], {
      APP_MODE: 'ci',
    });
    expect(fromJob.code, fromJob.stderr).toBe(0);
    expect(sql(expectComplete(fromJob, 'b2b2b2b2b2b2'))).toContain("SELECT 'ci'");
  });

  it('names the missing setting and pass-env when the secret is not passed', async () => {
    const run = await reviewFixture(keep(await requiredSecret(stack, '')), [], {
      SECRET_KEY: 'not-a-real-secret',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(/Traceback|^\s+at /m);
    expect(run.stderr).toMatch(/settings refused to load .*SECRET_KEY is missing or invalid/);
    expect(run.stderr).toMatch(/--pass-env SECRET_KEY/);
  });
});

describe('async', () => {
  const current = STACKS[1] as (typeof STACKS)[number];

  it('reviews an async env.py around a pooled module-level async engine, across both replays', async () => {
    const run = await reviewFixture(keep(await asyncCachedEngine(current)));
    expect(run.code, run.stderr).toBe(1);
    const report = expectComplete(run, 'c3c3c3c3c3c3');
    expect(byRule(report, 'fails-on-existing-rows').map((f) => f.revision)).toEqual(['c3c3c3c3c3c3']);
  });
});
