// Comparing edits: the same edit (several findings share one fix), or two
// that touch the same lines (only one of them can be made).
import type { Edit } from '../model.ts';

export function sameEdit(a: Edit, b: Edit): boolean {
  return (
    a.file === b.file &&
    a.startLine === b.startLine &&
    a.endLine === b.endLine &&
    a.replacement === b.replacement
  );
}

export function overlaps(a: Edit, b: Edit): boolean {
  return a.file === b.file && a.startLine <= b.endLine && b.startLine <= a.endLine;
}
