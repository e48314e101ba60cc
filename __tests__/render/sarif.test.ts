// SARIF 2.1.0 for code scanning: valid against the official OASIS schema
// (vendored from oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json),
// with every rule's help and each finding's file and line.
import type { Log } from 'sarif';
import type { Finding } from '../../src/model.ts';
import { describe, expect, test } from 'vitest';
import { RULES, docsUrl } from '../../src/rules/catalog.ts';
import { renderSarif } from '../../src/render/sarif.ts';
import { ruleDoc } from '../../src/render/rule-docs.ts';
import { blogReview, hostileReview } from './reviews.ts';
import { validateSarif } from './sarif-schema.ts';

const validate = validateSarif;

function sarif(text: string): Log {
  return JSON.parse(text) as Log;
}

describe('SARIF', () => {
  test('the blog review is valid SARIF 2.1.0', () => {
    const log = sarif(renderSarif(blogReview()));
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(log.version).toBe('2.1.0');
  });

  test('a hostile review is valid too (strings are data in JSON)', () => {
    const log = sarif(renderSarif(hostileReview()));
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  test('a schema violation is caught (the validator is not a no-op)', () => {
    const log = sarif(renderSarif(blogReview())) as unknown as { runs: { results: { level: string }[] }[] };
    const result = log.runs[0]?.results[0];
    if (result !== undefined) result.level = 'fatal';
    expect(validate(log)).toBe(false);
  });

  test('every rule of the catalog, with its docs as help', () => {
    const driver = sarif(renderSarif(blogReview())).runs[0]?.tool.driver;
    expect(driver?.name).toBe('alembic-review');
    expect(driver?.rules?.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    const rule = driver?.rules?.find((r) => r.id === 'not-null-column-without-default');
    expect(rule?.name).toBe('NotNullColumnWithoutDefault');
    expect(rule?.helpUri).toBe(docsUrl('not-null-column-without-default'));
    expect(rule?.defaultConfiguration?.level).toBe('error');
    const page = ruleDoc('not-null-column-without-default');
    expect(rule?.help?.markdown).toBe(
      page ??
        `${RULES.find((r) => r.id === 'not-null-column-without-default')?.summary ?? ''}\n\n[Documentation](${docsUrl('not-null-column-without-default')})`,
    );
  });

  test('without the docs next to the code, help is the summary and a link', () => {
    const driver = sarif(renderSarif(blogReview(), { ruleHelp: () => null })).runs[0]?.tool.driver;
    const rule = driver?.rules?.find((r) => r.id === 'drop-and-add-column');
    expect(rule?.help?.markdown).toBe(
      'A column is dropped and another added to the same table: a rename that loses data.\n\n[Documentation](https://github.com/alembic-review/alembic-review/blob/main/docs/rules/drop-and-add-column.md)',
    );
  });

  test('one result per finding, at its file and line, with a stable fingerprint', () => {
    const review = blogReview();
    const run = sarif(renderSarif(review)).runs[0];
    expect(run?.results).toHaveLength(review.findings.length);
    const notNull = run?.results?.find((r) => r.ruleId === 'not-null-column-without-default');
    expect(notNull?.level).toBe('error');
    expect(notNull?.locations?.[0]?.physicalLocation).toEqual({
      artifactLocation: {
        uri: 'migrations/versions/4a8d2126b4e4_add_display_name_to_users.py',
        uriBaseId: '%SRCROOT%',
      },
      region: { startLine: 24 },
    });
    expect(notNull?.locations?.[0]?.logicalLocations).toEqual([
      { fullyQualifiedName: 'users.display_name', kind: 'member' },
    ]);
    expect(notNull?.message.text).toContain('Fix: Add the column as nullable');
    expect(run?.tool.driver.rules?.[notNull?.ruleIndex ?? -1]?.id).toBe('not-null-column-without-default');
    const again = sarif(renderSarif(review)).runs[0]?.results?.find(
      (r) => r.ruleId === 'not-null-column-without-default',
    );
    expect(again?.partialFingerprints).toEqual(notNull?.partialFingerprints);
  });

  test('every result has a physical location: drift without a model line falls back to the change’s revision', () => {
    const review = hostileReview();
    const run = sarif(renderSarif(review)).runs[0];
    for (const r of run?.results ?? [])
      expect(r.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBeTruthy();
    const drift = run?.results?.find((r) => r.ruleId === 'drift-column-type');
    const firstNew = review.revisions.find((r) => r.new)?.path ?? '';
    expect(drift?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe(
      firstNew.split('/').map(encodeURIComponent).join('/'),
    );
    expect(drift?.locations?.[0]?.logicalLocations?.[0]?.kind).toBe('member');
    const warning = run?.results?.find((r) => r.ruleId === 'drop-column');
    expect(warning?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe(
      'migrations/versions/dead%20beef(1)_x.py',
    );
    const unknown = run?.results?.find((r) => r.ruleId === 'unknown-rule-from-elsewhere');
    expect(run?.tool.driver.rules?.[unknown?.ruleIndex ?? -1]?.id).toBe('unknown-rule-from-elsewhere');
  });

  test('a drift finding located in the models points at the model file and line', () => {
    const review = blogReview();
    const drift: Finding = {
      ruleId: 'drift-column-missing',
      category: 'drift',
      severity: 'error',
      message: 'Column posts.subtitle is declared in the model but no migration adds it.',
      file: 'app/models/post.py',
      line: 14,
      table: 'posts',
      column: 'subtitle',
    };
    const log = sarif(renderSarif({ ...review, findings: [...review.findings, drift] }));
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const result = log.runs[0]?.results?.find((r) => r.ruleId === 'drift-column-missing');
    expect(result?.locations?.[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'app/models/post.py', uriBaseId: '%SRCROOT%' },
      region: { startLine: 14 },
    });
  });

  test('baselineState from the finding’s origin; the base’s fixed findings are absent', () => {
    const review = blogReview();
    const [first, second, ...rest] = review.findings;
    if (first === undefined || second === undefined) throw new Error('the blog review has findings');
    const fixed: Finding = { ...second, ruleId: 'drop-column', message: 'gone now' };
    const log = sarif(
      renderSarif({
        ...review,
        findings: [{ ...first, origin: 'pr' }, { ...second, origin: 'base' }, ...rest],
        fixed: [fixed],
      }),
    );
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const results = log.runs[0]?.results ?? [];
    expect(results.map((r) => r.baselineState)).toEqual([
      'new',
      'unchanged',
      ...rest.map(() => undefined),
      'absent',
    ]);
    expect(results.at(-1)?.message.text).toContain('gone now');
  });
});
