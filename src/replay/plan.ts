// Which revisions the change adds, in what order they apply, and the base
// frontier they start from. Pure functions over the revision graph.
import { UsageError } from '../errors.ts';
import type { BridgeRevision } from '../alembic/protocol.ts';

export interface ReplayPlan {
  /** New revisions in dependency order (parents first). */
  newRevisions: BridgeRevision[];
  /** Existing revision files the change edited. */
  modified: BridgeRevision[];
  /**
   * Where a replayed base stops: heads of the revisions that are neither new
   * nor edited by the change, nor descendants of those. The edited revisions
   * then run again, as fresh databases will run them.
   */
  frontier: string[];
  /**
   * The heads of the base commit's history (the existing revisions that do not
   * descend from a new one): what a base made from the models or a schema dump
   * is stamped with.
   */
  baseHeads: string[];
  /** The change's own revisions, parents first: the new ones and the edited ones the replay runs again. */
  reviewed: BridgeRevision[];
  /** Heads of the whole graph: where the replay ends. */
  heads: string[];
  /**
   * Every revision a replayed base gets after the frontier, parents first: the
   * new ones, the edited ones, and the existing ones that descend from either.
   */
  replayed: BridgeRevision[];
  /** Existing revisions that a new revision was inserted before (their ancestry now holds it). */
  insertedBefore: { revision: BridgeRevision; existing: BridgeRevision }[];
}

function parentsOf(revision: BridgeRevision): string[] {
  return [...revision.downRevisions, ...revision.dependsOn];
}

/** Heads: revisions that no other revision names as a down_revision. */
export function headsOf(revisions: readonly BridgeRevision[]): string[] {
  const ids = new Set(revisions.map((r) => r.id));
  const hasChild = new Set<string>();
  for (const r of revisions) for (const parent of r.downRevisions) if (ids.has(parent)) hasChild.add(parent);
  return revisions.filter((r) => !hasChild.has(r.id)).map((r) => r.id);
}

/** Parents before children (Kahn), stable in the given order. */
export function topologicalOrder(revisions: readonly BridgeRevision[]): BridgeRevision[] {
  const byId = new Map(revisions.map((r) => [r.id, r]));
  const resolve = (ref: string): string | undefined => {
    if (byId.has(ref)) return ref;
    const matches = revisions.filter((r) => r.id.startsWith(ref) || r.branchLabels.includes(ref));
    return matches.length === 1 ? matches[0]?.id : undefined;
  };
  const pending = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const r of revisions) {
    const parents = [
      ...new Set(
        parentsOf(r)
          .map(resolve)
          .filter((p): p is string => p !== undefined),
      ),
    ];
    pending.set(r.id, parents.length);
    for (const p of parents) children.set(p, [...(children.get(p) ?? []), r.id]);
  }
  const ready = revisions.filter((r) => pending.get(r.id) === 0).map((r) => r.id);
  const order: BridgeRevision[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    const revision = byId.get(id);
    if (revision !== undefined) order.push(revision);
    for (const child of children.get(id) ?? []) {
      const left = (pending.get(child) ?? 0) - 1;
      pending.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  return order;
}

/** All revisions that descend from `ancestor` (not including it). */
export function descendantsOf(revisions: readonly BridgeRevision[], ancestor: string): Set<string> {
  const result = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of revisions) {
      if (result.has(r.id)) continue;
      if (parentsOf(r).some((p) => p === ancestor || result.has(p))) {
        result.add(r.id);
        grew = true;
      }
    }
  }
  return result;
}

/** The given revisions and everything below them (down_revisions and depends_on). */
export function ancestorsOf(revisions: readonly BridgeRevision[], heads: readonly string[]): Set<string> {
  const byId = new Map(revisions.map((r) => [r.id, r]));
  const result = new Set<string>();
  const pending = [...heads];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    // depends_on may name a revision by a prefix of its id or by a branch label.
    const revision =
      byId.get(id) ?? revisions.find((r) => r.id.startsWith(id) || r.branchLabels.includes(id));
    if (revision === undefined || result.has(revision.id)) continue;
    result.add(revision.id);
    pending.push(...parentsOf(revision));
  }
  return result;
}

export function resolveRevision(revisions: readonly BridgeRevision[], ref: string): BridgeRevision {
  const exact = revisions.find((r) => r.id === ref);
  if (exact !== undefined) return exact;
  const matches = revisions.filter((r) => r.id.startsWith(ref) || r.branchLabels.includes(ref));
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  throw new UsageError(
    'usage',
    matches.length === 0
      ? `--since names revision "${ref}", which is not in the revision graph.`
      : `--since "${ref}" is ambiguous: it matches ${matches.map((m) => m.id).join(', ')}.`,
  );
}

export function makePlan(
  revisions: readonly BridgeRevision[],
  isNew: (r: BridgeRevision) => boolean,
  modifiedPaths: ReadonlySet<string>,
  options: { replayModified?: boolean } = {},
): ReplayPlan {
  const ordered = topologicalOrder(revisions);
  const newRevisions = ordered.filter(isNew);
  const newIds = new Set(newRevisions.map((r) => r.id));
  const existing = revisions.filter((r) => !newIds.has(r.id));
  const modified = ordered.filter((r) => !newIds.has(r.id) && modifiedPaths.has(r.path));
  // An existing revision whose down_revision now points at a new one cannot
  // be part of the base: the base is what lies below every new revision.
  const above = new Map<string, string>(); // descendant id -> the new revision it descends from
  for (const revision of newRevisions) {
    for (const id of descendantsOf(revisions, revision.id)) if (!above.has(id)) above.set(id, revision.id);
  }
  const base = existing.filter((r) => !above.has(r.id));
  // Edited revisions run again on a replayed base, and so does what descends from them.
  const again = new Set<string>();
  if (options.replayModified !== false) {
    for (const revision of modified) {
      again.add(revision.id);
      for (const id of descendantsOf(revisions, revision.id)) again.add(id);
    }
  }
  const modifiedIds = new Set(modified.filter((r) => again.has(r.id)).map((r) => r.id));
  const byId = new Map(revisions.map((r) => [r.id, r]));
  const insertedBefore = existing
    .filter((r) => above.has(r.id) && !parentsOf(r).some((p) => above.has(p) && !newIds.has(p)))
    .map((r) => ({
      revision: byId.get(parentsOf(r).find((p) => newIds.has(p)) ?? above.get(r.id) ?? '') as BridgeRevision,
      existing: r,
    }));
  return {
    newRevisions,
    modified,
    frontier: headsOf(base.filter((r) => !again.has(r.id))),
    baseHeads: headsOf(base),
    reviewed: ordered.filter((r) => newIds.has(r.id) || modifiedIds.has(r.id)),
    heads: headsOf(revisions),
    replayed: ordered.filter((r) => newIds.has(r.id) || above.has(r.id) || again.has(r.id)),
    insertedBefore,
  };
}

/**
 * The revisions the base commit already has that the replay runs again
 * (the edited ones and those above them), parents first: what a base below
 * the edits must not have.
 */
export function appliedAboveFrontier(plan: ReplayPlan): BridgeRevision[] {
  const added = new Set(plan.newRevisions.map((r) => r.id));
  return plan.replayed.filter((r) => !added.has(r.id));
}

/** True when both name the same revisions, in any order. */
export function sameRevisions(a: readonly string[], b: readonly string[]): boolean {
  const sorted = [...b].sort();
  return a.length === b.length && [...a].sort().every((x, i) => x === sorted[i]);
}

/**
 * A revision the replay applies may fail on the rows already in the tables
 * (read from its source; unknown counts as yes): then the base without rows
 * is likely needed, for the same revisions replayed without them.
 */
export function mayFailOnRows(plan: ReplayPlan): boolean {
  return plan.replayed.some((r) => r.upgradeMayFailOnRows !== false);
}
