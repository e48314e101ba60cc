// Picks the renderer for a report format.
import type { Review } from '../model.ts';
import type { Format } from '../options.ts';
import { renderJson } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import { renderSarif } from './sarif.ts';
import { renderText } from './text.ts';

export function renderReport(review: Review, format: Format, options: { color: boolean }): string {
  switch (format) {
    case 'text':
      return renderText(review, options);
    case 'json':
      return renderJson(review);
    case 'markdown':
      return renderMarkdown(review);
    case 'sarif':
      return renderSarif(review);
  }
}
