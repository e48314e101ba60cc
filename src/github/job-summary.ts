// The job summary: the full report (with all the SQL) on the run's page. It
// needs no token, so it is there also when the pull request cannot be written.
import * as core from '@actions/core';
import type { Review } from '../model.ts';
import type { MarkdownOptions } from '../render/markdown.ts';
import { renderJobSummary } from '../render/summary.ts';

/** Writes the summary when the step has one ($GITHUB_STEP_SUMMARY); returns whether it did. */
export async function writeJobSummary(
  review: Review,
  options: Pick<MarkdownOptions, 'fileUrl'> = {},
): Promise<boolean> {
  if ((process.env.GITHUB_STEP_SUMMARY ?? '') === '') return false;
  await core.summary.addRaw(renderJobSummary(review, options), true).write();
  core.summary.emptyBuffer();
  return true;
}
