// The embedded cluster's template (issue 16): the first start with a cache
// directory runs initdb and keeps the cluster as initdb left it; the next
// copies it instead, and its admin password becomes the run's own. A
// template that does not start is dropped and made again; one that is not
// this user's alone is not used, and one no start used for a month is
// removed; without a cache directory nothing is kept.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedProvider } from '../../src/database/embedded.ts';
import { teardownAll } from '../../src/teardown.ts';
import { assertEmbeddedGone, exerciseProvider, query } from './helpers.ts';

const work = mkdtempSync(path.join(tmpdir(), 'ar-cluster-template-'));
afterAll(async () => {
  await teardownAll();
  rmSync(work, { recursive: true, force: true });
});

/** One start and stop of an embedded provider; what it logged. */
async function startOnce(cacheDir: string | null): Promise<{ lines: string[] }> {
  const lines: string[] = [];
  const provider = new EmbeddedProvider({ log: (line) => lines.push(line), cacheDir });
  await provider.start();
  const pid = provider.pid;
  const tempDir = provider.tempDir;
  if (pid === undefined || tempDir === undefined) throw new Error('not started');
  try {
    await exerciseProvider(provider);
    return { lines };
  } finally {
    await provider.stop();
    await assertEmbeddedGone(pid, tempDir);
  }
}

function templates(cacheDir: string): string[] {
  const dir = path.join(cacheDir, 'embedded-cluster');
  return existsSync(dir) ? readdirSync(dir).map((name) => path.join(dir, name)) : [];
}

describe('the embedded cluster template', () => {
  it('is kept by the first start and copied by the next, with the run’s own admin password', async () => {
    const cacheDir = path.join(work, 'cache');
    const cold = await startOnce(cacheDir);
    expect(cold.lines.join('\n')).toMatch(/initialising a PostgreSQL cluster/);
    const [template] = templates(cacheDir);
    if (template === undefined) throw new Error('no template kept');
    expect(statSync(template).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(template, 'password')).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(template, 'data/PG_VERSION'))).toBe(true);
    // As initdb left it: its server never ran there.
    expect(existsSync(path.join(template, 'data/postmaster.pid'))).toBe(false);

    const lines: string[] = [];
    const provider = new EmbeddedProvider({ log: (line) => lines.push(line), cacheDir });
    await provider.start();
    try {
      expect(lines.join('\n')).toMatch(
        /copying the cached template of a PostgreSQL cluster to \S+ \(no initdb\)/,
      );
      expect(lines.join('\n')).not.toMatch(/initialising/);
      const [first] = await exerciseProvider(provider);
      const port = new URL(first?.url ?? '').port;
      // The template's password no longer opens its copy.
      const password = readFileSync(path.join(template, 'password'), 'utf8').trim();
      await expect(
        query(`postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, 'SELECT 1'),
      ).rejects.toThrow(/password authentication failed/);
    } finally {
      await provider.stop();
    }
    expect(templates(cacheDir)).toEqual([template]);
  });

  it('is dropped and made again when it does not start', async () => {
    const cacheDir = path.join(work, 'cache-broken');
    await startOnce(cacheDir);
    const [template] = templates(cacheDir);
    if (template === undefined) throw new Error('no template kept');
    rmSync(path.join(template, 'data/global/pg_control'));
    const broken = await startOnce(cacheDir);
    expect(broken.lines.join('\n')).toMatch(/the cluster template did not start .*: running initdb/);
    const again = await startOnce(cacheDir);
    expect(again.lines.join('\n')).toMatch(/copying the cached template/);
  });

  it('prunes the templates of other binaries that no start used for a month', async () => {
    const cacheDir = path.join(work, 'cache-prune');
    const parent = path.join(cacheDir, 'embedded-cluster');
    for (const [name, days] of [
      ['old', 40],
      ['recent', 2],
    ] as const) {
      mkdirSync(path.join(parent, name), { recursive: true, mode: 0o700 });
      const when = new Date(Date.now() - days * 24 * 3600 * 1000);
      utimesSync(path.join(parent, name), when, when);
    }
    await startOnce(cacheDir);
    const names = readdirSync(parent);
    expect(names).toContain('recent');
    expect(names).not.toContain('old');
    expect(names).toHaveLength(2);
  });

  it('is not used when others may change it, and not kept without a cache directory', async () => {
    const cacheDir = path.join(work, 'cache-open');
    await startOnce(cacheDir);
    const [template] = templates(cacheDir);
    if (template === undefined) throw new Error('no template kept');
    chmodSync(template, 0o777);
    const open = await startOnce(cacheDir);
    expect(open.lines.join('\n')).toMatch(/initialising a PostgreSQL cluster/);

    const none = await startOnce(null);
    expect(none.lines.join('\n')).toMatch(/initialising a PostgreSQL cluster/);
  });
});
