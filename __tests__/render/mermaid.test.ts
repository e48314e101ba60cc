// The revision graph: history order, the new revisions highlighted, labels
// that cannot break out of their node, big histories trimmed.
import { describe, expect, test } from 'vitest';
import type { Revision } from '../../src/model.ts';
import { revisionGraph } from '../../src/render/mermaid.ts';
import { HOSTILE, blogReview, hostileReview } from './reviews.ts';

function chain(count: number, newFrom: number): Revision[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `r${String(i).padStart(3, '0')}`,
    path: `v/r${i}.py`,
    new: i >= newFrom,
    downRevisions: i === 0 ? [] : [`r${String(i - 1).padStart(3, '0')}`],
    dependsOn: [],
    branchLabels: [],
    message: `step ${i}`,
    applied: true,
    durationMs: 1,
    statements: [],
  }));
}

describe('revision graph', () => {
  test('the blog history, oldest first, with the PR revisions highlighted', () => {
    const graph = revisionGraph(blogReview().revisions) ?? '';
    const nodes = [...graph.matchAll(/^ {2}(r\d+)\["([^"]*)"\](:::\w+)?$/gm)].map((m) => [m[2], m[3] ?? '']);
    expect(nodes).toEqual([
      ['b74d7b47a25b · create users table', ''],
      ['192f05816f85 · create posts table', ''],
      ['4a8d2126b4e4 · add display_name to users', ':::failed'],
      ['351c640d6175 · rename post body to content', ':::new'],
      ['10d55bdb4f5a · add comments table', ':::new'],
    ]);
    expect(graph).toContain('  r0 --> r1\n  r1 --> r2\n  r2 --> r3\n  r3 --> r4');
  });

  test('hostile ids and messages are entity-encoded inside the quotes', () => {
    const graph = revisionGraph(hostileReview().revisions) ?? '';
    const line = graph.split('\n').find((l) => l.includes('beef')) ?? '';
    expect(line).toMatch(/^ {2}r\d+\["[^"\n]*"\]:::new$/);
    expect(line).not.toMatch(/[<>|`]/);
    expect(line).toContain('dead#96;beef');
    expect(graph.split('\n').some((l) => l.startsWith('# Heading'))).toBe(false);
    expect(HOSTILE.revisionMessage).toContain('|');
  });

  test('a long history shows the new revisions and three generations before them', () => {
    const graph = revisionGraph(chain(200, 195)) ?? '';
    const labels = [...graph.matchAll(/\["(r\d{3}) · /g)].map((m) => m[1]);
    expect(labels).toEqual(['r192', 'r193', 'r194', 'r195', 'r196', 'r197', 'r198', 'r199']);
    expect(graph).toContain('older["#8230; 192 older revisions"]');
    expect(graph).toMatch(/older --> r0\b/);
  });

  test('a merge point has an edge from each parent; no revisions, no graph', () => {
    const revisions = chain(3, 2);
    const last = revisions[2];
    if (last !== undefined) last.downRevisions = ['r000', 'r001'];
    const graph = revisionGraph(revisions) ?? '';
    expect(graph).toContain('r0 --> r2');
    expect(graph).toContain('r1 --> r2');
    expect(revisionGraph([])).toBeNull();
  });
});
