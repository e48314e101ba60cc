// The multidb template's reviews, one per database, merged into one report:
// what every database's review says once, the rest said of its database.
import { describe, expect, it } from 'vitest';
import { mergeEngineReviews } from '../../src/engines.ts';
import type { Finding, Review } from '../../src/model.ts';

const graph: Finding = {
  ruleId: 'missing-downgrade',
  category: 'graph',
  severity: 'warning',
  message: 'Revision b2 has no downgrade.',
  file: 'multi/versions/b2.py',
};

function part(findings: Finding[], sql: string): Review {
  return {
    version: 1,
    tool: { name: 'alembic-review', version: '0' },
    project: '.',
    base: 'main',
    failOn: 'error',
    summary: { errors: 0, warnings: 0, notices: 0, verdict: 'pass' },
    revisions: [
      {
        id: 'b2',
        path: 'multi/versions/b2.py',
        new: true,
        downRevisions: [],
        dependsOn: [],
        branchLabels: [],
        message: '',
        applied: true,
        durationMs: 5,
        statements: [{ sql } as Review['revisions'][number]['statements'][number]],
      },
    ],
    findings,
    timings: { replay: 10 },
    environment: {
      python: '3',
      alembic: '1',
      sqlalchemy: '2',
      driver: 'psycopg',
      database: 'url',
      postgres: '15',
    },
    environmentStatements: [],
  };
}

describe('mergeEngineReviews', () => {
  it('keeps a finding every database has once, says the others of their database, and recounts', () => {
    const error: Finding = {
      ...graph,
      ruleId: 'not-null-column-without-default',
      severity: 'error',
      message: 'NOT NULL.',
    };
    const merged = mergeEngineReviews([
      { engine: 'users_db', review: part([graph, error], 'ALTER TABLE users …') },
      { engine: 'billing_db', review: part([graph], 'CREATE INDEX …') },
    ]);
    expect(merged.findings.map((f) => f.message)).toEqual([
      'Revision b2 has no downgrade.',
      'Database users_db: NOT NULL.',
    ]);
    expect(merged.findings[1]?.details).toEqual({ engine: 'users_db' });
    expect(merged.summary).toEqual({ errors: 1, warnings: 1, notices: 0, verdict: 'fail' });
    expect(merged.revisions[0]?.statements.map((s) => s.sql)).toEqual([
      'ALTER TABLE users …',
      'CREATE INDEX …',
    ]);
    expect(merged.revisions[0]?.durationMs).toBe(10);
    expect(Object.keys(merged.timings)).toEqual(['users_db: replay', 'billing_db: replay']);
  });

  it('is the review itself for one database', () => {
    const only = part([graph], 'SELECT 1');
    expect(mergeEngineReviews([{ engine: 'users_db', review: only }])).toBe(only);
  });
});
