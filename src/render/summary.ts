// The job summary ($GITHUB_STEP_SUMMARY): the same report as the comment with
// every statement's SQL, under the job summary's 1 MiB limit (bytes).
import type { Review } from '../model.ts';
import { renderMarkdown, type MarkdownOptions } from './markdown.ts';

/** GitHub's limit is 1 MiB per step; leave room for other steps' output and for the encoding. */
export const JOB_SUMMARY_LIMIT_BYTES = 1_000_000;

export function renderJobSummary(review: Review, options: Pick<MarkdownOptions, 'fileUrl'> = {}): string {
  return renderMarkdown(review, {
    ...options,
    maxLength: JOB_SUMMARY_LIMIT_BYTES,
    measure: (markdown) => Buffer.byteLength(markdown, 'utf8'),
    sqlLimit: 20_000,
    fullReport: { label: 'JSON report (the report-json output)', url: undefined },
  });
}
