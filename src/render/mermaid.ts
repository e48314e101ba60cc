// The revision graph as a Mermaid flowchart, oldest at the top, with the
// change's new revisions highlighted (and the ones that failed in red). Large
// histories are trimmed to the neighbourhood of the new revisions. Node ids
// are generated; labels are entity-encoded so a revision message cannot break
// out of its node.
import type { Revision } from '../model.ts';
import { truncate } from './escape.ts';
import { historyOrder } from './sections.ts';

/** Histories up to this size are drawn whole. */
const WHOLE_GRAPH_LIMIT = 30;
/** Otherwise: the new revisions and this many generations of ancestors. */
const ANCESTOR_DEPTH = 3;

function label(value: string): string {
  // Mermaid decodes "#<code>;" entities inside quoted labels.
  return value.replace(/[^A-Za-z0-9 _.,:/+-]/g, (c) => `#${c.codePointAt(0) ?? 32};`);
}

function shown(revisions: readonly Revision[]): Set<string> {
  if (revisions.length <= WHOLE_GRAPH_LIMIT) return new Set(revisions.map((r) => r.id));
  const byId = new Map(revisions.map((r) => [r.id, r]));
  const keep = new Set<string>();
  let frontier = revisions.filter((r) => r.new).map((r) => r.id);
  for (const id of frontier) keep.add(id);
  for (let depth = 0; depth < ANCESTOR_DEPTH; depth++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const parent of [...(byId.get(id)?.downRevisions ?? []), ...(byId.get(id)?.dependsOn ?? [])]) {
        if (!keep.has(parent) && byId.has(parent)) {
          keep.add(parent);
          next.push(parent);
        }
      }
    }
    frontier = next;
  }
  return keep;
}

export function revisionGraph(all: readonly Revision[]): string | null {
  if (all.length === 0) return null;
  const revisions = historyOrder(all);
  const keep = shown(revisions);
  const ids = new Map<string, string>();
  const lines = ['flowchart TB'];
  for (const revision of revisions) {
    if (!keep.has(revision.id)) continue;
    const node = `r${ids.size}`;
    ids.set(revision.id, node);
    const message = truncate(revision.message.split('\n')[0] ?? '', 40);
    const cls = revision.new ? (revision.applied ? ':::new' : ':::failed') : '';
    lines.push(
      `  ${node}["${label(truncate(revision.id, 16))}${message === '' ? '' : ` · ${label(message)}`}"]${cls}`,
    );
  }
  const hidden = revisions.length - keep.size;
  if (hidden > 0) lines.push(`  older["${label(`… ${hidden} older revisions`)}"]`);
  const edges = new Set<string>();
  for (const revision of revisions) {
    const child = ids.get(revision.id);
    if (child === undefined) continue;
    for (const parent of revision.downRevisions) {
      const from = ids.get(parent) ?? (hidden > 0 ? 'older' : undefined);
      if (from !== undefined) edges.add(`  ${from} --> ${child}`);
    }
    for (const parent of revision.dependsOn) {
      const from = ids.get(parent);
      if (from !== undefined) edges.add(`  ${from} -.-> ${child}`);
    }
  }
  lines.push(...edges);
  lines.push('  classDef new fill:#fff8c5,stroke:#9a6700,stroke-width:2px');
  lines.push('  classDef failed fill:#ffebe9,stroke:#cf222e,stroke-width:2px');
  return lines.join('\n');
}
