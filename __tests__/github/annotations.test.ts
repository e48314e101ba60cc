// Annotations: GitHub shows 10 per level and step, so the gate's message
// comes first, then per level the findings on migration lines, then those on
// a model's line, then those without a place; the rest is one summary notice.
import { describe, expect, test } from 'vitest';
import type { AnnotationProperties } from '@actions/core';
import { annotate, type AnnotationSink } from '../../src/github/annotations.ts';
import type { Finding, Review } from '../../src/model.ts';
import { blogReview } from '../render/reviews.ts';

type Emitted = { level: string; message: string; properties: AnnotationProperties | undefined };

function recorder(): AnnotationSink & { emitted: Emitted[] } {
  const emitted: Emitted[] = [];
  const record =
    (level: string) =>
    (message: string | Error, properties?: AnnotationProperties): void => {
      emitted.push({ level, message: String(message), properties });
    };
  return { emitted, error: record('error'), warning: record('warning'), notice: record('notice') };
}

function drift(i: number, file?: string): Finding {
  return {
    ruleId: 'drift-column-missing',
    category: 'drift',
    severity: 'error',
    message: `column c${i} missing`,
    table: 'posts',
    column: `c${i}`,
    ...(file === undefined ? {} : { file, line: 10 + i }),
  };
}

describe('annotations', () => {
  test('a small review: every finding, the gate first', () => {
    const sink = recorder();
    const review = blogReview();
    const count = annotate(review, sink, { gateMessage: 'alembic-review: 3 errors (fail-on: error)' });
    expect(count).toBe(review.findings.length + 1);
    expect(sink.emitted[0]).toMatchObject({
      level: 'error',
      message: 'alembic-review: 3 errors (fail-on: error)',
    });
    expect(sink.emitted.some((e) => e.message.includes('more are not annotated'))).toBe(false);
  });

  test('300 drift findings: migration lines first, model lines next, 10 per level, one summary', () => {
    const review = blogReview();
    const big: Review = {
      ...review,
      // File-less ones first in the report, model-located ones after: the order must not matter.
      findings: [
        ...Array.from({ length: 150 }, (_, i) => drift(i)),
        ...Array.from({ length: 150 }, (_, i) => drift(150 + i, 'app/models/post.py')),
        ...review.findings,
      ],
    };
    const sink = recorder();
    annotate(big, sink, { gateMessage: 'gate' });
    const errors = sink.emitted.filter((e) => e.level === 'error');
    expect(errors).toHaveLength(10);
    expect(errors[0]?.message).toBe('gate');
    const migrations = new Set(review.revisions.map((r) => r.path));
    const kinds = errors
      .slice(1)
      .map((e) =>
        e.properties?.file === undefined ? 'none' : migrations.has(e.properties.file) ? 'migration' : 'model',
      );
    const migrationErrors = review.findings.filter(
      (f) => f.severity === 'error' && f.file !== undefined,
    ).length;
    expect(kinds).toEqual([
      ...Array.from({ length: migrationErrors }, () => 'migration'),
      ...Array.from({ length: 9 - migrationErrors }, () => 'model'),
    ]);
    const notices = sink.emitted.filter((e) => e.level === 'notice');
    expect(notices.length).toBeLessThanOrEqual(10);
    const summary = notices.at(-1);
    const totalErrors = big.findings.filter((f) => f.severity === 'error').length;
    expect(summary?.message).toContain(`${totalErrors - 9} errors more are not annotated`);
    expect(summary?.properties?.title).toMatch(/^alembic-review: \d+ more findings$/);
  });
});
