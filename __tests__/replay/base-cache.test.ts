// The warm base (issue 16): the key follows every input of the base
// frontier, a hit restores it instead of replaying, and an entry that is
// corrupt or stale is never used (the review replays and says the same).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/alembic/protocol.ts';
import { defaultCacheDir } from '../../src/cache-dir.ts';
import { resolveOptions } from '../../src/options.ts';
import { baseCacheKey, keyInputs, type KeyContext } from '../../src/replay/base-cache.ts';
import { makeProject, type AlembicProject, type RevisionSpec } from '../helpers/alembic-project.ts';
import { createTestRole } from '../helpers/cli.ts';
import { reviewWithCache, type CachedReview as Run } from '../helpers/review-json.ts';

const MODELS = `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False)
    nickname = Column(String(50), nullable=False)
`;

const BASE: RevisionSpec[] = [
  {
    id: 'a0a0a0a0a0a0',
    upgrade: `op.create_table('users',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('email', sa.String(255), nullable=False))`,
    downgrade: "op.drop_table('users')",
  },
  {
    id: 'a1a1a1a1a1a1',
    down: 'a0a0a0a0a0a0',
    upgrade: 'op.execute("INSERT INTO users (email) VALUES (\'root@example.com\')")',
    downgrade: 'op.execute("DELETE FROM users WHERE email = \'root@example.com\'")',
  },
];

const NEW: RevisionSpec = {
  id: 'b1b1b1b1b1b1',
  down: 'a1a1a1a1a1a1',
  upgrade: "op.add_column('users', sa.Column('nickname', sa.String(50), nullable=False))",
  downgrade: "op.drop_column('users', 'nickname')",
};

const made: AlembicProject[] = [];
const work = mkdtempSync(path.join(tmpdir(), 'ar-base-cache-'));
afterAll(() => {
  for (const p of made) p.remove();
  rmSync(work, { recursive: true, force: true });
});

async function project(): Promise<AlembicProject> {
  const p = await makeProject({ models: MODELS, revisions: BASE });
  made.push(p);
  await p.pullRequest((change) => change.addRevision(NEW));
  return p;
}

/** What the bridge's load returns for the project, by hand (the key reads only paths and ids). */
function load(p: AlembicProject, revisions: RevisionSpec[]): LoadResult {
  return {
    scriptLocation: path.join(p.dir, 'migrations'),
    versionLocations: [path.join(p.dir, 'migrations/versions')],
    envPy: path.join(p.dir, 'migrations/env.py'),
    heads: [],
    driver: 'psycopg2',
    revisions: revisions.map((r) => ({
      id: r.id,
      path: path.join(p.dir, p.revisionPath(r)),
      downRevisions: r.down === undefined || r.down === null ? [] : [r.down].flat(),
      dependsOn: [],
      branchLabels: [],
      message: '',
    })),
  };
}

describe('the cache key', () => {
  let p: AlembicProject;
  let context: KeyContext;
  const key = async (change: Partial<KeyContext> = {}): Promise<string> =>
    baseCacheKey(await keyInputs({ ...context, ...change }));

  beforeAll(async () => {
    p = await project();
    context = {
      options: resolveOptions({ projectDir: p.dir }),
      load: load(p, [...BASE, NEW]),
      hello: { python: '3.12.1', alembic: '1.16.0', sqlalchemy: '2.0.40' },
      frontier: ['a1a1a1a1a1a1'],
      serverVersion: '15.10 (Debian 15.10-1.pgdg120+1)',
    };
  });

  it('is the same for the same inputs, and for another minor version of the same server', async () => {
    expect(await key()).toBe(await key());
    expect(await key({ serverVersion: '15.4' })).toBe(await key());
  });

  it('changes with an edited old revision', async () => {
    const before = await key();
    const file = path.join(p.dir, p.revisionPath(BASE[0] as RevisionSpec));
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, `${original}\n# edited\n`);
    try {
      expect(await key()).not.toBe(before);
    } finally {
      writeFileSync(file, original);
    }
    expect(await key()).toBe(before);
  });

  it('does not change with the new revision (it is above the frontier)', async () => {
    const before = await key();
    const file = path.join(p.dir, p.revisionPath(NEW));
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, `${original}\n# edited\n`);
    try {
      expect(await key()).toBe(before);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('changes with an edited env.py and with an edited alembic.ini', async () => {
    const before = await key();
    for (const name of ['migrations/env.py', 'alembic.ini']) {
      const file = path.join(p.dir, name);
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, `${original}\n# edited\n`);
      try {
        expect(await key(), name).not.toBe(before);
      } finally {
        writeFileSync(file, original);
      }
    }
  });

  it('changes with another server major, Alembic or SQLAlchemy version, frontier, section, seed rows or multidb engine', async () => {
    const before = await key();
    const changed = [
      await key({ serverVersion: '16.2' }),
      await key({ hello: { ...context.hello, alembic: '1.16.1' } }),
      await key({ hello: { ...context.hello, sqlalchemy: '2.0.41' } }),
      await key({ frontier: ['a0a0a0a0a0a0'] }),
      await key({ options: { ...context.options, iniSection: 'other' } }),
      await key({ options: { ...context.options, seedRows: 7 } }),
      await key({ options: { ...context.options, engine: 'billing_db' } }),
    ];
    for (const other of changed) expect(other).not.toBe(before);
    expect(new Set(changed).size).toBe(changed.length);
  });
});

describe('the cache directory setting', () => {
  it('defaults to $XDG_CACHE_HOME/alembic-review, else ~/.cache/alembic-review', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe('/x/cache/alembic-review');
    expect(defaultCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/alembic-review');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).toBe(
      '/home/u/.cache/alembic-review',
    );
  });

  it('takes false (off), true or a directory, and refuses anything else', async () => {
    const p = await project();
    expect(resolveOptions({ projectDir: p.dir, cacheDir: false }).cacheDir).toBeNull();
    expect(resolveOptions({ projectDir: p.dir, cacheDir: 'false' }).cacheDir).toBeNull();
    expect(resolveOptions({ projectDir: p.dir, cacheDir: true }).cacheDir).toBe(defaultCacheDir());
    expect(resolveOptions({ projectDir: p.dir, cacheDir: 'cache-here' }).cacheDir).toBe(
      path.join(p.dir, 'cache-here'),
    );
    expect(() => resolveOptions({ projectDir: p.dir, cacheDir: 3 })).toThrow(/cache must be/);
    p.write('pyproject.toml', '[tool.alembic-review]\ncache = false\n');
    expect(resolveOptions({ projectDir: p.dir }).cacheDir).toBeNull();
  });
});

/** The findings as a user reads them (without timings). */
const findings = (run: Run): string[] =>
  run.report.findings.map((f) => `${f.ruleId} ${f.revision ?? ''} ${f.severity} ${f.message}`).sort();

describe('a review with the cache', () => {
  let p: AlembicProject;
  let role: Awaited<ReturnType<typeof createTestRole>>;
  const cacheDir = path.join(work, 'cache');

  beforeAll(async () => {
    p = await project();
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

  const entry = (ext: string): string => {
    const names = readdirSync(cacheDir).filter((n) => n.startsWith('base-') && n.endsWith(ext));
    expect(names).toHaveLength(1);
    return path.join(cacheDir, names[0] as string);
  };

  let cold: Run;

  it('saves the base on a miss and restores it on the next run, with the same review', async () => {
    cold = await review();
    expect(cold.stderr).toMatch(/base saved to the cache \(key [0-9a-f]{12}/);
    expect(cold.stderr).not.toMatch(/restored from cache/);
    // The row a1 inserts is in the base, so b1 fails even without the seeded rows: a base
    // restored without its rows would make this fails-on-existing-rows instead.
    expect(cold.report.findings.find((f) => f.ruleId === 'migration-failed')?.revision).toBe('b1b1b1b1b1b1');
    const warm = await review();
    // Restored while the project opened (its files read the same as when it was saved).
    expect(warm.stderr).toMatch(
      /base restored from cache while the project opened \(key [0-9a-f]{12}, [\d.]+ m?s\)/,
    );
    expect(warm.stderr).not.toMatch(/base saved to the cache/);
    // The base's revision files, as the entry recorded them, were not executed to open the project.
    expect(warm.stderr).toMatch(
      /open project done in .*: 3 revisions \(2 known from the base cache, not imported\)/,
    );
    expect(cold.stderr).not.toMatch(/known from the base cache/);
    // b1 may fail with rows (a NOT NULL column without a default), and does: its replay without
    // them starts from a copy of the restored base made before the rows, nothing is taken out.
    expect(warm.stderr).toMatch(/a revision failed with rows in the tables/);
    expect(warm.stderr).not.toMatch(/the seeded rows taken out again/);
    expect(findings(warm)).toEqual(findings(cold));
    expect(warm.report.summary).toEqual(cold.report.summary);
  });

  it('never uses an entry whose dump does not match its checksum', async () => {
    const sql = entry('.sql');
    writeFileSync(sql, `${readFileSync(sql, 'utf8')}\nDROP TABLE users;\n`);
    const run = await review();
    expect(run.stderr).toMatch(/base cache: the dump does not match its checksum/);
    expect(run.stderr).not.toMatch(/restored from cache/);
    expect(run.stderr).toMatch(/base saved to the cache/);
    expect(findings(run)).toEqual(findings(cold));
  });

  it('never uses a stale entry whose version table is not at the frontier', async () => {
    // A consistent entry (checksum recomputed) that holds another revision.
    const sql = entry('.sql');
    const meta = entry('.json');
    const stale = readFileSync(sql, 'utf8').replace(/'a1a1a1a1a1a1'/g, "'a0a0a0a0a0a0'");
    expect(stale).toContain("'a0a0a0a0a0a0'");
    writeFileSync(sql, stale);
    const stored = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, unknown>;
    stored.sha256 = createHash('sha256').update(stale).digest('hex');
    writeFileSync(meta, JSON.stringify(stored));
    const run = await review();
    expect(run.stderr).toMatch(/base cache: the restored version table holds a0a0a0a0a0a0, not the frontier/);
    expect(run.stderr).not.toMatch(/restored from cache/);
    expect(findings(run)).toEqual(findings(cold));
    // The replay wrote a sound entry again.
    expect(readFileSync(entry('.sql'), 'utf8')).toContain("'a1a1a1a1a1a1'");
  });

  it('never uses an entry written under another key', async () => {
    const meta = entry('.json');
    const stored = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, unknown>;
    writeFileSync(meta, JSON.stringify({ ...stored, key: '0'.repeat(64) }));
    const run = await review();
    expect(run.stderr).toMatch(/base cache: the entry has another key/);
    expect(findings(run)).toEqual(findings(cold));
  });

  it('misses after an edit of an old revision (a new key), and reads nothing with --no-cache', async () => {
    const file = path.join(p.dir, p.revisionPath(BASE[1] as RevisionSpec));
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# an edit\n`);
    await p.commit('edit an old revision');
    const edited = await review();
    expect(edited.stderr).toMatch(/base saved to the cache/);
    expect(readdirSync(cacheDir).filter((n) => n.endsWith('.sql'))).toHaveLength(2);
    const off = await review('--no-cache');
    expect(off.stderr).not.toMatch(/base (saved to|restored from) (the )?cache/);
  });
});

describe('a revision that fails on rows where none was foreseen', () => {
  // A column with a default its own CHECK refuses: nothing in the call says rows could
  // break it (nullable, a server default), so no copy of the base is made before the rows.
  const UNFORESEEN: RevisionSpec = {
    id: 'c1c1c1c1c1c1',
    down: 'a1a1a1a1a1a1',
    upgrade:
      "op.add_column('users', sa.Column('nickname', sa.String(50), sa.CheckConstraint(\"nickname <> ''\"), server_default=''))",
    downgrade: "op.drop_column('users', 'nickname')",
  };
  let p: AlembicProject;
  let role: Awaited<ReturnType<typeof createTestRole>>;
  const cacheDir = path.join(work, 'cache-unforeseen');

  beforeAll(async () => {
    p = await makeProject({ models: MODELS, revisions: BASE });
    made.push(p);
    await p.pullRequest((change) => change.addRevision(UNFORESEEN));
    role = await createTestRole();
  });
  afterAll(async () => {
    await role.drop();
  });

  it('takes the seeded rows out of the restored base for the replay without them', async () => {
    const review = (): Promise<Run> =>
      reviewWithCache(
        { projectDir: p.dir, roleUrl: role.url, databases: () => role.databases(), cacheDir, work },
        [],
      );
    const cold = await review();
    expect(cold.stderr).toMatch(/base saved to the cache/);
    const warm = await review();
    expect(warm.stderr).toMatch(/base restored from cache while the project opened/);
    expect(warm.stderr).toMatch(/a revision failed with rows in the tables/);
    expect(warm.stderr).toMatch(/the seeded rows taken out again/);
    expect(findings(warm)).toEqual(findings(cold));
    // The row a1 inserted gets the default too: c1 fails without the seeded rows as well.
    expect(warm.report.findings.find((f) => f.ruleId === 'migration-failed')?.revision).toBe('c1c1c1c1c1c1');
  });
});
