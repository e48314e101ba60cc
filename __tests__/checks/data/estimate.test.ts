// The production-size estimate: the extrapolation from the two measured
// points, and how it reads next to the lock.
import { describe, expect, it } from 'vitest';
import {
  bytesText,
  durationText,
  estimateText,
  extrapolate,
  rowsText,
} from '../../../src/checks/data/estimate.ts';
import { lockName } from '../../../src/checks/data/operations.ts';

describe('production-size estimates', () => {
  it('extrapolate linearly: in bytes for a rewrite, in rows for the rest', () => {
    const small = { ms: 2, rows: 3, bytes: 16_384 };
    const big = { ms: 202, rows: 100_003, bytes: 10_016_384 };
    const production = { rows: 1_000_003, bytes: 400_016_384 };
    expect(extrapolate(small, big, production, 'rows')).toBeCloseTo(2002, 0);
    // Rows four times as wide as measured: a rewrite copies four times the bytes.
    expect(extrapolate(small, big, production, 'bytes')).toBeCloseTo(8002, 0);
    // No row count (never analyzed): bytes.
    expect(extrapolate(small, big, { rows: null, bytes: 100_016_384 }, 'rows')).toBeCloseTo(2002, 0);
    // Smaller than what was measured: the measurement itself.
    expect(extrapolate(small, big, { rows: 5000, bytes: 1_000_000 }, 'rows')).toBe(202);
    // No growth measured: the small time.
    expect(extrapolate({ ...small, ms: 5 }, { ...big, ms: 4 }, { rows: 1e7, bytes: 1e9 }, 'rows')).toBe(5);
  });

  it('reads like the lock line it stands next to', () => {
    expect(rowsText(12_400_000)).toBe('12.4 M rows');
    expect(rowsText(850_000)).toBe('850 k rows');
    expect(rowsText(1204)).toBe('1,204 rows');
    expect(rowsText(1)).toBe('1 row');
    expect(bytesText(3.1 * 1024 ** 3)).toBe('3.1 GB');
    expect(bytesText(420 * 1024 ** 2)).toBe('420 MB');
    expect(bytesText(512)).toBe('512 bytes');
    expect(durationText(0.2)).toBe('less than a second');
    expect(durationText(35)).toBe('about 35 s');
    expect(durationText(240)).toBe('about 4 min');
    expect(durationText(3 * 3600)).toBe('about 3.0 h');
    expect(lockName('AccessExclusiveLock')).toBe('ACCESS EXCLUSIVE');
    expect(lockName('ShareRowExclusiveLock')).toBe('SHARE ROW EXCLUSIVE');
    expect(
      estimateText({
        table: 'orders',
        operation: 'rewrite',
        rows: 12_400_000,
        bytes: 3.1 * 1024 ** 3,
        seconds: 240,
        lock: 'ACCESS EXCLUSIVE',
      }),
    ).toBe('rewrites orders: 12.4 M rows, 3.1 GB — about 4 min under ACCESS EXCLUSIVE');
  });
});
