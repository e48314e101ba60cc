// Fix edits: attached to the findings of a review (read from the files on
// disk, so that renderers and the publisher need no checkout), applied to a
// file's text (bottom up, as GitHub applies a batch of suggestions), and
// shown as a unified diff for `alembic-review fix --dry-run`.
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { repositoryRoot } from '../alembic/git.ts';
import type { Edit, Finding, Review } from '../model.ts';
import { overlaps, sameEdit } from './edit.ts';
import { editsFor, fixText, isFixable } from './fixes.ts';
import { parseSource, type SourceFile } from './python-source.ts';

/** The review with `suggestion.edits` on every finding whose fix is an edit of its file. */
export async function attachFixes(review: Review, root: string): Promise<Review> {
  const sources = new Map<string, Promise<SourceFile | null>>();
  const sourceOf = (file: string): Promise<SourceFile | null> => {
    let source = sources.get(file);
    if (source === undefined) {
      source = readFile(path.join(root, file), 'utf8').then(parseSource, () => null);
      sources.set(file, source);
    }
    return source;
  };
  const findings = await Promise.all(
    review.findings.map(async (finding): Promise<Finding> => {
      if (!isFixable(finding)) return finding;
      const source = await sourceOf(finding.file);
      const edits = source === null ? null : editsFor(finding, source);
      if (edits === null) return finding;
      const suggestion = finding.suggestion ?? { text: fixText(finding.ruleId) };
      return { ...finding, suggestion: { ...suggestion, edits } };
    }),
  );
  return { ...review, findings };
}

export interface FixPlan {
  /** Edits per file, in line order, none overlapping. */
  byFile: Map<string, Edit[]>;
  /** Findings whose edits are in the plan (several findings may share one edit). */
  fixed: Finding[];
  /** Findings with edits that collide with an edit already planned. */
  conflicting: Finding[];
}

/** Which edits to make for these findings: duplicates once, the first of overlapping ones. */
export function planFixes(findings: readonly Finding[]): FixPlan {
  const plan: FixPlan = { byFile: new Map(), fixed: [], conflicting: [] };
  const chosen: Edit[] = [];
  for (const finding of findings) {
    const edits = finding.suggestion?.edits ?? [];
    if (edits.length === 0) continue;
    const fresh = edits.filter((e) => !chosen.some((c) => sameEdit(c, e)));
    if (fresh.some((e) => chosen.some((c) => overlaps(c, e)))) {
      plan.conflicting.push(finding);
      continue;
    }
    chosen.push(...fresh);
    plan.fixed.push(finding);
  }
  for (const e of chosen) plan.byFile.set(e.file, [...(plan.byFile.get(e.file) ?? []), e]);
  for (const edits of plan.byFile.values()) edits.sort((a, b) => a.startLine - b.startLine);
  return plan;
}

/** The text with the edits made (they must not overlap), keeping the file's line endings. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const ordered = [...edits].sort((a, b) => b.startLine - a.startLine);
  for (let i = 1; i < ordered.length; i++) {
    const later = ordered[i - 1];
    const earlier = ordered[i];
    if (later !== undefined && earlier !== undefined && overlaps(earlier, later))
      throw new Error(
        `overlapping edits at ${earlier.file}:${earlier.startLine} and line ${later.startLine}`,
      );
  }
  for (const e of ordered) {
    if (e.startLine < 1 || e.endLine > lines.length || e.endLine < e.startLine)
      throw new Error(`edit of lines ${e.startLine}-${e.endLine} outside ${e.file} (${lines.length} lines)`);
    lines.splice(e.startLine - 1, e.endLine - e.startLine + 1, ...e.replacement.split('\n'));
  }
  return lines.join(eol);
}

const CONTEXT = 3;

/** A unified diff of the edits of one file, for a person to read. */
export function unifiedDiff(file: string, text: string, edits: readonly Edit[]): string {
  const lines = text.split(/\r?\n/);
  const out = [`--- a/${file}`, `+++ b/${file}`];
  let shift = 0;
  for (const e of [...edits].sort((a, b) => a.startLine - b.startLine)) {
    const from = Math.max(1, e.startLine - CONTEXT);
    const to = Math.min(lines.length, e.endLine + CONTEXT);
    const before = lines.slice(from - 1, e.startLine - 1);
    const removed = lines.slice(e.startLine - 1, e.endLine);
    const after = lines.slice(e.endLine, to);
    const added = e.replacement.split('\n');
    const oldCount = before.length + removed.length + after.length;
    const newCount = before.length + added.length + after.length;
    out.push(`@@ -${from},${oldCount} +${from + shift},${newCount} @@`);
    out.push(...before.map((l) => ` ${l}`), ...removed.map((l) => `-${l}`));
    out.push(...added.map((l) => `+${l}`), ...after.map((l) => ` ${l}`));
    shift += added.length - removed.length;
  }
  return `${out.join('\n')}\n`;
}

/** The directory the findings' paths are relative to: the repository root (or the project outside git). */
export async function findingsRoot(projectDir: string): Promise<string> {
  return realpath((await repositoryRoot(projectDir)) ?? projectDir);
}
