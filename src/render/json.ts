// The JSON report (DESIGN.md "JSON report"): the Review model as is, with
// the contract's fields first.
import type { Review } from '../model.ts';

export function renderJson(review: Review): string {
  const { version, tool, summary, revisions, findings, timings, ...rest } = review;
  return `${JSON.stringify({ version, tool, summary, revisions, findings, timings, ...rest }, null, 2)}\n`;
}
