// Markdown that text from the pull request cannot break. Table names,
// messages, revision messages and SQL come from the PR's author: they must not
// close a code fence, split a table cell, inject HTML, start a hidden marker,
// or @-mention / #-reference anyone when GitHub renders the comment.

/** A zero-width space as an entity: "@&#8203;user" renders as "@user" without mentioning. */
const ZWSP = '&#8203;';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '@': `@${ZWSP}`,
  '#': `#${ZWSP}`,
};

/** Characters that are entities in markdown text; other punctuation gets a backslash. */
const MARKDOWN_ESCAPES: Record<string, string> = { ...HTML_ESCAPES, "'": "'", '|': '&#124;' };

/** Control characters (other than tab and newline) have no business in a comment. */
function withoutControls(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** Shortens to at most max characters (with an ellipsis), on code-point boundaries. */
export function truncate(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}

/** Inline markdown text: punctuation escaped, HTML as entities, mentions and references defused, one line. */
export function text(value: string): string {
  return withoutControls(value)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/[\\`*_{}[\]()+\-.!~=:&<>"|@#]/g, (c) => MARKDOWN_ESCAPES[c] ?? `\\${c}`);
}

/** Text inside raw HTML (e.g. <summary>): entities only, mentions and references defused, one line. */
export function htmlText(value: string): string {
  return withoutControls(value)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/[&<>"'@#]/g, (c) => HTML_ESCAPES[c] ?? c);
}

function longestRun(value: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of value) {
    run = c === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/**
 * An inline code span that no backtick in the value can close. In a table
 * cell, pipes must be escaped even inside code (GFM splits cells first).
 */
export function code(value: string, options: { inTable?: boolean } = {}): string {
  let content = withoutControls(value).replace(/\s*\n\s*/g, ' ');
  if (content === '') content = ' ';
  const fence = '`'.repeat(longestRun(content, '`') + 1);
  const padded = content.startsWith('`') || content.endsWith('`') ? ` ${content} ` : content;
  const span = `${fence}${padded}${fence}`;
  return options.inTable === true ? span.replace(/\|/g, '\\|') : span;
}

/** A fenced code block whose fence is longer than any backtick run in the content. */
export function codeBlock(content: string, language: string): string {
  const body = withoutControls(content).replace(/\s+$/, '');
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  return `${fence}${language}\n${body}\n${fence}`;
}

/** A URL safe inside markdown link parentheses: only http(s), with parentheses and spaces encoded. */
export function linkTarget(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return parsed.href.replace(/[()<> ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** "[label](url)" when the URL is acceptable, else the label alone. The label must already be markdown. */
export function link(label: string, url: string | undefined): string {
  const target = url === undefined ? null : linkTarget(url);
  return target === null ? label : `[${label}](${target})`;
}

/** Encodes each segment of a repository path for a URL. */
export function encodePath(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}
