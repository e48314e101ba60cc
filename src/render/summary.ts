// The job summary ($GITHUB_STEP_SUMMARY): the same report as the comment with
// every statement's SQL, under the job summary's 1 MiB limit (bytes), and
// what each stage of the review took.
import type { Review } from '../model.ts';
import { formatMs } from '../progress.ts';
import { renderMarkdown, type MarkdownOptions } from './markdown.ts';

/** GitHub's limit is 1 MiB per step; leave room for other steps' output and for the encoding. */
export const JOB_SUMMARY_LIMIT_BYTES = 1_000_000;

export function renderJobSummary(review: Review, options: Pick<MarkdownOptions, 'fileUrl'> = {}): string {
  const timings = renderTimings(review.timings);
  return (
    renderMarkdown(review, {
      ...options,
      maxLength: JOB_SUMMARY_LIMIT_BYTES - Buffer.byteLength(timings, 'utf8'),
      measure: (markdown) => Buffer.byteLength(markdown, 'utf8'),
      sqlLimit: 20_000,
      fullReport: { label: 'JSON report (the report-json output)', url: undefined },
    }) + timings
  );
}

/** Stage names come from the pipeline (no user text): a small table, in the order the stages ran. */
export function renderTimings(timings: Review['timings']): string {
  const stages = Object.entries(timings);
  if (stages.length === 0) return '';
  const rows = stages.map(([stage, ms]) => `| ${stage.replace(/\|/g, '\\|')} | ${formatMs(ms)} |`);
  return `\n\n<details><summary>Timings</summary>\n\n| stage | time |\n|---|---|\n${rows.join('\n')}\n\nStages marked alongside ran in parallel with the others.\n\n</details>\n`;
}
