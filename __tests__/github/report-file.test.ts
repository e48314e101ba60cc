// The report handed from the analyze job to the publish job: written, read
// back, validated, and its verdict recomputed (it is untrusted input).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  PULL_REQUEST_FILE,
  readPullRequestRecord,
  readReport,
  writeReportFiles,
} from '../../src/github/report-file.ts';
import { renderJson } from '../../src/render/json.ts';
import { blogReview } from '../render/reviews.ts';

let temp: string;

describe('report files', () => {
  beforeAll(async () => {
    temp = await mkdtemp(path.join(tmpdir(), 'alembic-review-report-'));
  });
  afterAll(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  test('written and read back unchanged', async () => {
    const dir = path.join(temp, 'a');
    const review = blogReview();
    const reportPath = await writeReportFiles(dir, review, { number: 7, headSha: 'c'.repeat(40) });
    expect(await readReport(reportPath)).toEqual(review);
    expect(await readPullRequestRecord(dir)).toEqual({ number: 7, headSha: 'c'.repeat(40) });
    expect(await readFile(reportPath, 'utf8')).toBe(renderJson(review));
  });

  test('the verdict and counts come from the findings, not from the file', async () => {
    const review = blogReview();
    const forged = { ...review, summary: { errors: 0, warnings: 0, notices: 0, verdict: 'pass' } };
    const file = path.join(temp, 'forged.json');
    await writeFile(file, JSON.stringify(forged));
    expect((await readReport(file)).summary).toEqual({ errors: 3, warnings: 0, notices: 0, verdict: 'fail' });
    expect((await readReport(file, 'never')).summary.verdict).toBe('pass');
  });

  test.each([
    ['not JSON', '{', /is not JSON/],
    [
      'another version',
      JSON.stringify({ ...blogReview(), version: 2 }),
      /is not an alembic-review JSON report \(\/version/,
    ],
    [
      'a finding with a bad severity',
      JSON.stringify({
        ...blogReview(),
        findings: [{ ruleId: 'x', category: 'lint', severity: 'fatal', message: 'm' }],
      }),
      /\/findings\/0\/severity/,
    ],
    [
      'a line that is not a number',
      JSON.stringify({
        ...blogReview(),
        findings: [{ ruleId: 'x', category: 'lint', severity: 'error', message: 'm', line: '24' }],
      }),
      /\/findings\/0\/line/,
    ],
  ])('%s is refused', async (_what, content, message) => {
    const file = path.join(temp, `bad-${Math.random()}.json`);
    await writeFile(file, content);
    await expect(readReport(file)).rejects.toThrow(message);
  });

  test('a missing report is a clear error; a missing or bad pull-request.json', async () => {
    await expect(readReport(path.join(temp, 'nope.json'))).rejects.toThrow(/Cannot read the report/);
    expect(await readPullRequestRecord(path.join(temp, 'empty'))).toBeNull();
    const dir = path.join(temp, 'bad-pr');
    await writeReportFiles(dir, blogReview(), null);
    await writeFile(path.join(dir, PULL_REQUEST_FILE), JSON.stringify({ number: '7; rm -rf', headSha: 'x' }));
    await expect(readPullRequestRecord(dir)).rejects.toThrow(/does not name a pull request/);
  });
});
