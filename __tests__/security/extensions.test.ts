// A revision that creates an untrusted extension with a plain CREATE
// EXTENSION (and drops it in its downgrade): the tool creates it beforehand,
// as superuser, and the revision's own statements become harmless, so the
// review runs as the restricted role and the round trip still passes.
import { describe, expect, it } from 'vitest';
import { makeProject } from '../helpers/alembic-project.ts';
import { reviewJson } from '../helpers/cli.ts';

interface Report {
  findings: { ruleId: string; message: string }[];
  revisions: { id: string; applied: boolean; statements: { sql: string }[] }[];
  environment: { isolation: { databaseRole: string; extensions: string[] } };
}

describe('untrusted extensions', () => {
  it('are created for the revisions that name them; their CREATE and DROP run harmlessly', async () => {
    const project = await makeProject({ revisions: [{ id: 'a0a0a0a0a0a0', upgrade: 'pass' }] });
    try {
      await project.pullRequest((p) => {
        p.addRevision({
          id: 'b0b0b0b0b0b0',
          down: 'a0a0a0a0a0a0',
          upgrade: 'op.execute("CREATE EXTENSION dblink")\nop.execute("CREATE EXTENSION hstore")',
          downgrade: 'op.execute("DROP EXTENSION hstore")\nop.execute("DROP EXTENSION dblink")',
        });
      });
      const { result, report } = await reviewJson<Report>(project.dir, ['--database', 'embedded']);
      expect(result.code, result.stderr).toBe(0);
      if (report === undefined) throw new Error(result.stderr);
      expect(report.environment.isolation).toMatchObject({
        databaseRole: 'restricted',
        extensions: ['dblink'],
      });
      const revision = report.revisions.find((r) => r.id === 'b0b0b0b0b0b0');
      expect(revision?.applied).toBe(true);
      // Recorded as the revision wrote it.
      expect(revision?.statements.map((s) => s.sql)).toEqual([
        'CREATE EXTENSION dblink',
        'CREATE EXTENSION hstore',
      ]);
      expect(
        report.findings.filter((f) => ['migration-failed', 'downgrade-failed'].includes(f.ruleId)),
      ).toEqual([]);
      expect(result.stderr).toContain('created as superuser in every database: dblink');
    } finally {
      project.remove();
    }
  });
});
