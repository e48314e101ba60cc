// The report a review leaves for the publish step (mode analyze → artifact →
// mode publish / `alembic-review publish`), and the pull request it belongs
// to. In the fork-safe pair the report was written by a job that ran the
// pull request's code, so it is untrusted input: it is validated against the
// schema below, the counts and the verdict are recomputed from the findings,
// and the pull request number is checked against GitHub (publish.ts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv, type SchemaObject } from 'ajv';
import { UsageError } from '../errors.ts';
import { summarize, type FailOn, type Review, type Revision } from '../model.ts';
import { renderJson } from '../render/json.ts';

export const REPORT_FILE = 'report.json';
export const PULL_REQUEST_FILE = 'pull-request.json';

/** The pull request an analyze run reviewed (written next to the report). */
export interface PullRequestRecord {
  number: number;
  headSha: string;
}

const string = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const number = { type: 'number' } as const;
const strings = { type: 'array', items: string } as const;

const statementSchema: SchemaObject = {
  type: 'object',
  required: ['sql', 'line', 'durationMs', 'locks', 'rewrote'],
  properties: {
    sql: string,
    line: { type: ['integer', 'null'] },
    file: nullableString,
    durationMs: number,
    locks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['relation', 'mode'],
        properties: { relation: string, mode: string },
      },
    },
    rewrote: strings,
    error: { type: 'object', required: ['message'], properties: { message: string, sqlstate: string } },
  },
};

/** What the renderers and the publisher read; other fields may be there (newer versions). */
export const REPORT_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['version', 'tool', 'project', 'base', 'revisions', 'findings', 'timings', 'environment'],
  properties: {
    version: { const: 1 },
    tool: { type: 'object', required: ['name', 'version'], properties: { name: string, version: string } },
    project: string,
    base: string,
    failOn: { enum: ['error', 'warning', 'never'] },
    revisions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'path', 'new', 'downRevisions', 'applied', 'durationMs', 'statements'],
        properties: {
          id: string,
          path: string,
          new: { type: 'boolean' },
          downRevisions: strings,
          dependsOn: strings,
          branchLabels: strings,
          message: string,
          applied: { type: 'boolean' },
          durationMs: number,
          statements: { type: 'array', items: statementSchema },
        },
      },
    },
    findings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['ruleId', 'category', 'severity', 'message'],
        properties: {
          ruleId: string,
          category: { enum: ['lint', 'drift', 'runtime', 'roundtrip', 'graph'] },
          severity: { enum: ['error', 'warning', 'notice'] },
          message: string,
          file: string,
          line: { type: 'integer', minimum: 1 },
          revision: string,
          table: string,
          column: string,
          sql: string,
          suggestion: { type: 'object', required: ['text'], properties: { text: string, code: string } },
          details: { type: 'object' },
        },
      },
    },
    timings: { type: 'object', additionalProperties: number },
    environment: {
      type: 'object',
      required: ['python', 'alembic', 'sqlalchemy', 'driver', 'database', 'postgres'],
      properties: {
        python: string,
        alembic: string,
        sqlalchemy: string,
        driver: string,
        database: string,
        postgres: string,
      },
    },
    environmentStatements: { type: 'array', items: statementSchema },
    runUrl: string,
  },
};

const PULL_REQUEST_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['number', 'headSha'],
  properties: {
    number: { type: 'integer', minimum: 1 },
    headSha: { type: 'string', pattern: '^[0-9a-f]{40}$' },
  },
};

const ajv = new Ajv({ allErrors: false, strict: false });
const validateReport = ajv.compile(REPORT_SCHEMA);
const validatePullRequest = ajv.compile(PULL_REQUEST_SCHEMA);

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError('usage', `Cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError('usage', `The ${what} ${file} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * Reads a JSON report (`review --format json`). The summary is recomputed
 * from the findings, with `failOn` when given (the publisher's own setting).
 */
export async function readReport(file: string, failOn?: FailOn): Promise<Review> {
  const data = await readJson(file, 'report');
  if (!validateReport(data)) {
    const problem = validateReport.errors?.[0];
    const where = problem === undefined ? '' : `${problem.instancePath || '/'} ${problem.message ?? ''}`;
    throw new UsageError('usage', `${file} is not an alembic-review JSON report (${where.trim()}).`);
  }
  // Fields the schema lets a report leave out (they are not in the JSON contract) get their defaults.
  const report = data as Omit<Review, 'failOn' | 'environmentStatements' | 'revisions'> & {
    failOn?: FailOn;
    environmentStatements?: Review['environmentStatements'];
    revisions: (Omit<Revision, 'dependsOn' | 'branchLabels' | 'message'> & Partial<Revision>)[];
  };
  const gate = failOn ?? report.failOn ?? 'error';
  return {
    ...report,
    failOn: gate,
    revisions: report.revisions.map((r) => ({
      ...r,
      dependsOn: r.dependsOn ?? [],
      branchLabels: r.branchLabels ?? [],
      message: r.message ?? '',
    })),
    environmentStatements: report.environmentStatements ?? [],
    summary: summarize(report.findings, gate),
  };
}

/** Reads pull-request.json next to a report, or null when there is none. */
export async function readPullRequestRecord(dir: string): Promise<PullRequestRecord | null> {
  const file = path.join(dir, PULL_REQUEST_FILE);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
  if (!validatePullRequest(data))
    throw new UsageError('usage', `${file} does not name a pull request (number, headSha).`);
  return data as PullRequestRecord;
}

/** Writes report.json (and pull-request.json when the review was of a pull request) into dir. */
export async function writeReportFiles(
  dir: string,
  review: Review,
  pullRequest: PullRequestRecord | null,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const reportPath = path.join(dir, REPORT_FILE);
  await writeFile(reportPath, renderJson(review));
  if (pullRequest !== null) {
    await writeFile(path.join(dir, PULL_REQUEST_FILE), `${JSON.stringify(pullRequest, null, 2)}\n`);
  }
  return reportPath;
}
