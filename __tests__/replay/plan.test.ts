import { describe, expect, it } from 'vitest';
import type { BridgeRevision } from '../../src/alembic/protocol.ts';
import {
  descendantsOf,
  headsOf,
  makePlan,
  resolveRevision,
  topologicalOrder,
} from '../../src/replay/plan.ts';

const rev = (id: string, down: string[] = [], extra: Partial<BridgeRevision> = {}): BridgeRevision => ({
  id,
  path: `/p/${id}.py`,
  downRevisions: down,
  dependsOn: [],
  branchLabels: [],
  message: id,
  ...extra,
});

describe('revision plan', () => {
  // a ← b ← c (new) ; a ← x (other branch, base) ; c + x ← m (new merge)
  const graph = [rev('m', ['c', 'x']), rev('c', ['b']), rev('x', ['a']), rev('b', ['a']), rev('a')];

  it('orders parents before children', () => {
    const order = topologicalOrder(graph).map((r) => r.id);
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
    expect(order.indexOf('b')).toBeLessThan(order.indexOf('c'));
    expect(order.indexOf('c')).toBeLessThan(order.indexOf('m'));
    expect(order.indexOf('x')).toBeLessThan(order.indexOf('m'));
  });

  it('starts from every head of the base graph and ends at the heads of the whole graph', () => {
    const plan = makePlan(graph, (r) => r.id === 'c' || r.id === 'm', new Set());
    expect(plan.newRevisions.map((r) => r.id)).toEqual(['c', 'm']);
    expect(plan.frontier.sort()).toEqual(['b', 'x']);
    expect(plan.baseHeads.sort()).toEqual(['b', 'x']);
    expect(plan.heads).toEqual(['m']);
  });

  it('replays an edited revision again, from below it, with what descends from it', () => {
    const plan = makePlan(graph, (r) => r.id === 'c' || r.id === 'm', new Set(['/p/b.py']));
    expect(plan.modified.map((r) => r.id)).toEqual(['b']);
    // The replayed base stops below b; a base made from the models is stamped at the base heads.
    expect(plan.frontier).toEqual(['x']);
    expect(plan.baseHeads.sort()).toEqual(['b', 'x']);
    expect(plan.replayed.map((r) => r.id)).toEqual(['b', 'c', 'm']);
    expect(plan.reviewed.map((r) => r.id)).toEqual(['b', 'c', 'm']);
    expect(plan.insertedBefore).toEqual([]);
  });

  it('replays only the new revisions when asked not to replay edited ones', () => {
    const plan = makePlan(graph, (r) => r.id === 'c' || r.id === 'm', new Set(['/p/b.py']), {
      replayModified: false,
    });
    expect(plan.modified.map((r) => r.id)).toEqual(['b']);
    expect(plan.frontier.sort()).toEqual(['b', 'x']);
    expect(plan.replayed.map((r) => r.id)).toEqual(['c', 'm']);
    expect(plan.reviewed.map((r) => r.id)).toEqual(['c', 'm']);
  });

  it('replays a change that only edits an applied revision', () => {
    // a ← b ← c, all existing; the change edits b.
    const revisions = [rev('c', ['b']), rev('b', ['a']), rev('a')];
    const plan = makePlan(revisions, () => false, new Set(['/p/b.py']));
    expect(plan.newRevisions).toEqual([]);
    expect(plan.frontier).toEqual(['a']);
    expect(plan.baseHeads).toEqual(['c']);
    expect(plan.replayed.map((r) => r.id)).toEqual(['b', 'c']);
    expect(plan.reviewed.map((r) => r.id)).toEqual(['b']);
  });

  it('starts below a new revision inserted before an existing one, and replays both', () => {
    // a ← b (base); the change adds n between them: a ← n ← b
    const revisions = [rev('b', ['n']), rev('n', ['a']), rev('a')];
    const plan = makePlan(revisions, (r) => r.id === 'n', new Set(['/p/b.py']));
    expect(plan.frontier).toEqual(['a']);
    expect(plan.heads).toEqual(['b']);
    expect(plan.replayed.map((r) => r.id)).toEqual(['n', 'b']);
    expect(plan.insertedBefore.map((i) => [i.revision.id, i.existing.id])).toEqual([['n', 'b']]);
  });

  it('inserts nothing when the new revisions are on top', () => {
    const plan = makePlan(graph, (r) => r.id === 'c' || r.id === 'm', new Set());
    expect(plan.insertedBefore).toEqual([]);
    expect(plan.replayed.map((r) => r.id)).toEqual(['c', 'm']);
  });

  it('counts depends_on as an ordering edge but not for heads', () => {
    const revisions = [rev('a'), rev('other'), rev('b', ['a'], { dependsOn: ['other'] })];
    const order = topologicalOrder(revisions).map((r) => r.id);
    expect(order.indexOf('other')).toBeLessThan(order.indexOf('b'));
    expect(headsOf(revisions).sort()).toEqual(['b', 'other']);
  });

  it('finds the descendants of a revision for --since', () => {
    expect([...descendantsOf(graph, 'b')].sort()).toEqual(['c', 'm']);
    expect([...descendantsOf(graph, 'a')].sort()).toEqual(['b', 'c', 'm', 'x']);
  });

  it('resolves ids, unique prefixes and branch labels, and says when it cannot', () => {
    const revisions = [
      rev('ae1027a6acf'),
      rev('ae2000000000'),
      rev('1975ea83b712', [], { branchLabels: ['shop'] }),
    ];
    expect(resolveRevision(revisions, '1975').id).toBe('1975ea83b712');
    expect(resolveRevision(revisions, 'shop').id).toBe('1975ea83b712');
    expect(() => resolveRevision(revisions, 'ae')).toThrow(/ambiguous/);
    expect(() => resolveRevision(revisions, 'ffff')).toThrow(/not in the revision graph/);
  });
});
