// The base commit's review kept beside the warm base (issue 16): its key
// follows the warm base's key, the base commit and the run's settings; a
// file that is corrupt, of another key or another format is never used; and
// a review that finds it kept spares the base review and says the same.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASELINE_FORMAT,
  baselineKept,
  baselineKey,
  baselineSettings,
  KeptBaseline,
} from '../../src/checks/baseline-cache.ts';
import type { Finding } from '../../src/model.ts';
import { resolveOptions } from '../../src/options.ts';
import { makeProject, type AlembicProject } from '../helpers/alembic-project.ts';
import { createTestRole } from '../helpers/cli.ts';
import { reviewWithCache, type CachedReview as Run } from '../helpers/review-json.ts';

const work = mkdtempSync(path.join(tmpdir(), 'ar-baseline-cache-'));
// Options are resolved from a directory with an Alembic config.
writeFileSync(path.join(work, 'alembic.ini'), '[alembic]\nscript_location = migrations\n');
const made: AlembicProject[] = [];
afterAll(() => {
  for (const p of made) p.remove();
  rmSync(work, { recursive: true, force: true });
});

const BASE_KEY = 'a'.repeat(64);
const COMMIT = '1'.repeat(40);

const drift: Finding = {
  ruleId: 'drift-index',
  severity: 'error',
  category: 'drift',
  message: 'The migrations create an index the models do not declare.',
  origin: 'base',
};

describe('the kept base review', () => {
  const settings = baselineSettings(resolveOptions({ projectDir: work }), '/usr/bin/python3');

  it('has a key that changes with the warm base, the base commit and the settings', () => {
    const key = baselineKey(BASE_KEY, COMMIT, settings);
    expect(baselineKey(BASE_KEY, COMMIT, settings)).toBe(key);
    expect(baselineKey('b'.repeat(64), COMMIT, settings)).not.toBe(key);
    expect(baselineKey(BASE_KEY, '2'.repeat(40), settings)).not.toBe(key);
    const otherPython = baselineSettings(resolveOptions({ projectDir: work }), '/venv/bin/python');
    expect(baselineKey(BASE_KEY, COMMIT, otherPython)).not.toBe(key);
    const withX = baselineSettings(
      resolveOptions({ projectDir: work, xArgs: ['tenant=a'] }),
      '/usr/bin/python3',
    );
    expect(baselineKey(BASE_KEY, COMMIT, withX)).not.toBe(key);
  });

  it('hashes the values of pass-env into the key, never writes them', () => {
    const options = resolveOptions({ projectDir: work, passEnv: ['APP_SCHEMA'] });
    process.env.APP_SCHEMA = 'tenant_one';
    const one = baselineSettings(options, 'python3');
    process.env.APP_SCHEMA = 'tenant_two';
    const two = baselineSettings(options, 'python3');
    delete process.env.APP_SCHEMA;
    expect(one).not.toBe(two);
    expect(one).not.toContain('tenant_one');
  });

  it('keeps the findings and the control, and reads them back', async () => {
    const dir = path.join(work, 'roundtrip');
    const miss = await KeptBaseline.open(dir, BASE_KEY, COMMIT, settings);
    expect(miss.findings).toBeNull();
    expect(miss.control('rows=3')).toBeNull();
    expect(await baselineKept(dir, BASE_KEY, COMMIT, settings)).toBe(false);
    // Nothing to keep until the base review has come out.
    miss.setControl('rows=3', ['app.models.User|insert|23502']);
    expect(await miss.save()).toBe(false);
    miss.setFindings([drift]);
    expect(await miss.save()).toBe(true);
    expect(await baselineKept(dir, BASE_KEY, COMMIT, settings)).toBe(true);

    const hit = await KeptBaseline.open(dir, BASE_KEY, COMMIT, settings);
    expect(hit.findings).toEqual([drift]);
    expect([...(hit.control('rows=3') ?? [])]).toEqual(['app.models.User|insert|23502']);
    expect(hit.control('rows=0')).toBeNull();
    // Read as it was: nothing new to write.
    expect(await hit.save()).toBe(false);
    hit.setControl('rows=0', []);
    expect(await hit.save()).toBe(true);
    expect((await KeptBaseline.open(dir, BASE_KEY, COMMIT, settings)).control('rows=0')).toEqual(new Set());
  });

  it('never uses a file that does not parse, or holds another key or format', async () => {
    const dir = path.join(work, 'corrupt');
    const kept = await KeptBaseline.open(dir, BASE_KEY, COMMIT, settings);
    kept.setFindings([drift]);
    await kept.save();
    const file = path.join(dir, readdirSync(dir)[0] as string);
    const sound = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const findingsAfter = async (text: string): Promise<Finding[] | null> => {
      writeFileSync(file, text);
      return (await KeptBaseline.open(dir, BASE_KEY, COMMIT, settings)).findings;
    };
    expect(await findingsAfter(JSON.stringify(sound))).toEqual([drift]);
    expect(await findingsAfter(JSON.stringify(sound).slice(0, 40))).toBeNull();
    expect(await findingsAfter(JSON.stringify({ ...sound, key: '0'.repeat(64) }))).toBeNull();
    expect(await findingsAfter(JSON.stringify({ ...sound, format: BASELINE_FORMAT + 1 }))).toBeNull();
    expect(await findingsAfter(JSON.stringify({ ...sound, findings: 'none' }))).toBeNull();
    expect(await findingsAfter(JSON.stringify({ ...sound, control: null }))).toBeNull();
  });
});

// A base whose models drift from its migrations (a GIN index only the
// migrations create), and a pull request that renames a column the running
// release still reads: the base review has a finding, and the deploy-order
// check runs its control.
const MODELS = `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Recipe(Base):
    __tablename__ = "recipes"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
`;

const RECIPES = `op.create_table('recipes',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('name', sa.String(100), nullable=False))`;

/** A base of one revision (after `editEnv` changed its env.py), and a pull request that renames recipes.name. */
async function renamingProject(upgrade: string, editEnv?: (envPy: string) => void): Promise<AlembicProject> {
  const q = await makeProject({ models: MODELS, revisions: [] });
  made.push(q);
  editEnv?.(path.join(q.dir, 'migrations/env.py'));
  q.addRevision({ id: 'a0a0a0a0a0a0', upgrade, downgrade: "op.drop_table('recipes')" });
  await q.commit('the base');
  await q.pullRequest((change) => {
    change.write('app/models.py', MODELS.replace('name = Column', 'title = Column'));
    change.addRevision({
      id: 'b1b1b1b1b1b1',
      down: 'a0a0a0a0a0a0',
      upgrade: "op.alter_column('recipes', 'name', new_column_name='title')",
      downgrade: "op.alter_column('recipes', 'title', new_column_name='name')",
    });
  });
  return q;
}

describe('a review with the base review kept', () => {
  let p: AlembicProject;
  let role: Awaited<ReturnType<typeof createTestRole>>;
  const cacheDir = path.join(work, 'cache');

  beforeAll(async () => {
    p = await renamingProject(
      `${RECIPES}\nop.execute("CREATE INDEX ix_recipes_name_fts ON recipes USING gin (to_tsvector('english', name))")`,
    );
    role = await createTestRole();
  });
  afterAll(async () => {
    await role.drop();
  });

  const review = (...args: string[]): Promise<Run> =>
    reviewWithCache(
      { projectDir: p.dir, roleUrl: role.url, databases: () => role.databases(), cacheDir, work },
      args,
    );

  const findings = (run: Run): string[] =>
    run.report.findings
      .map((f) => `${f.ruleId} ${f.origin ?? ''} ${f.severity} ${f.file ?? ''} ${f.message}`)
      .sort();

  it('keeps the base review on the first run and uses it on the next, with the same review', async () => {
    const cold = await review();
    expect(cold.stderr).toMatch(/baseline: the base commit's review kept in the cache/);
    expect(cold.stderr).not.toMatch(/review from the cache/);
    expect(cold.report.timings['baseline (alongside)']).toBeGreaterThan(0);
    // What main has is main's; what the rename does to the running release is the change's.
    expect(cold.report.findings.find((f) => f.ruleId === 'drift-index')?.origin).toBe('base');
    expect(cold.report.findings.find((f) => f.ruleId === 'old-code-incompatible')?.origin).toBe('pr');
    const kept = JSON.parse(
      readFileSync(
        path.join(cacheDir, readdirSync(cacheDir).find((n) => n.startsWith('baseline-')) as string),
        'utf8',
      ),
    ) as { findings: Finding[]; control: Record<string, string[]> };
    expect(kept.findings.map((f) => f.ruleId)).toEqual(['drift-index']);
    // The running release fails on the new schema: its control ran, and is kept too.
    expect(Object.keys(kept.control)).toEqual(['rows=3']);

    const warm = await review();
    expect(warm.stderr).toMatch(/baseline: the base commit's review from the cache \(key [0-9a-f]{12}\)/);
    expect(warm.stderr).toMatch(/base restored from cache while the project opened/);
    expect(warm.stderr).not.toMatch(/kept in the cache/);
    // The base review did not run: no time for it.
    expect(warm.report.timings['baseline (alongside)']).toBeUndefined();
    expect(findings(warm)).toEqual(findings(cold));
    expect(warm.report.summary).toEqual(cold.report.summary);
  });

  it('reviews the base again, and says the same, when the kept file is corrupt', async () => {
    const file = path.join(cacheDir, readdirSync(cacheDir).find((n) => n.startsWith('baseline-')) as string);
    const sound = readFileSync(file, 'utf8');
    writeFileSync(file, sound.slice(0, sound.length / 2));
    const run = await review();
    expect(run.stderr).not.toMatch(/review from the cache/);
    expect(run.stderr).toMatch(/kept in the cache/);
    expect(run.report.timings['baseline (alongside)']).toBeGreaterThan(0);
    const { findings: keptFindings, control } = JSON.parse(sound) as Record<string, unknown>;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ findings: keptFindings, control });
  });

  // env.py's offline branch: one that raises (the models database after all), and one that
  // passes no target_metadata, as Flask-Migrate's older template (its target_metadata global).
  const offlineBranches = [
    {
      name: 'cannot run offline',
      edit: (text: string) =>
        text.replace(
          'def run_migrations_offline():\n',
          'def run_migrations_offline():\n    raise RuntimeError("this project runs online only")\n',
        ),
      builtAfterAll: true,
    },
    {
      name: 'passes no target_metadata offline',
      edit: (text: string) =>
        text.replace('target_metadata=target_metadata, literal_binds=True)', 'literal_binds=True)'),
      builtAfterAll: false,
    },
  ];
  for (const branch of offlineBranches) {
    it(`loads the running release's models when its env.py ${branch.name}`, async () => {
      const q = await renamingProject(RECIPES, (env) => {
        const text = readFileSync(env, 'utf8');
        expect(branch.edit(text)).not.toBe(text);
        writeFileSync(env, branch.edit(text));
      });
      const previous = p;
      p = q;
      try {
        const cold = await review();
        const warm = await review();
        expect(warm.stderr).toMatch(/review from the cache/);
        const builtAfterAll = /gives no target_metadata offline: its models database is built after all/;
        if (branch.builtAfterAll) expect(warm.stderr).toMatch(builtAfterAll);
        else expect(warm.stderr).not.toMatch(builtAfterAll);
        const incompatible = (run: Run): string[] =>
          run.report.findings.filter((f) => f.ruleId === 'old-code-incompatible').map((f) => f.message);
        expect(incompatible(cold)).toHaveLength(1);
        expect(incompatible(warm)).toEqual(incompatible(cold));
      } finally {
        p = previous;
      }
    });
  }

  it('reviews the base again when another Python runs the project', async () => {
    const run = await review('--python', path.join(p.dir, '.venv/bin/python3'));
    expect(run.stderr).not.toMatch(/review from the cache/);
    expect(run.stderr).toMatch(/kept in the cache/);
  });
});
