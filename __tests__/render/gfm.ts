// A GitHub-flavoured markdown renderer for the tests: micromark with the GFM
// extensions (tables, autolinks, strikethrough, task lists) to an mdast tree
// for structural checks, or to HTML. Raw HTML is kept, as GitHub keeps it
// (then sanitizes): the tests check that none comes from the pull request.
import type { Code, Heading, Html, Nodes, Root, Table } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';

export function parse(markdown: string): Root {
  return fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
}

export function toHtml(markdown: string): string {
  return micromark(markdown, { extensions: [gfm()], htmlExtensions: [gfmHtml()], allowDangerousHtml: true });
}

export function all<T extends Nodes['type']>(tree: Nodes, type: T): Extract<Nodes, { type: T }>[] {
  const found: Extract<Nodes, { type: T }>[] = [];
  const visit = (node: Nodes): void => {
    if (node.type === type) found.push(node as Extract<Nodes, { type: T }>);
    if ('children' in node) for (const child of node.children) visit(child);
  };
  visit(tree);
  return found;
}

/** The plain text of a node (what a reader sees). */
export function textOf(node: Nodes): string {
  if (node.type === 'text' || node.type === 'inlineCode' || node.type === 'code' || node.type === 'html')
    return node.value;
  if ('children' in node) return node.children.map((c) => textOf(c)).join('');
  return '';
}

export function headings(tree: Root): Heading[] {
  return all(tree, 'heading');
}

export function tables(tree: Root): Table[] {
  return all(tree, 'table');
}

export function codeBlocks(tree: Root): Code[] {
  return all(tree, 'code');
}

export function htmlNodes(tree: Root): Html[] {
  return all(tree, 'html');
}

/** The raw HTML the renderers may write: collapsible sections, small print and the hidden marker. */
export const ALLOWED_HTML = [
  /^<details><summary>[^<>]*<\/summary>$/,
  /^<\/details>$/,
  /^<sub>$/,
  /^<\/sub>$/,
  /^<!-- alembic-review:comment project=[^\s<>]* -->$/,
];

export function unexpectedHtml(tree: Root): string[] {
  return htmlNodes(tree)
    .map((n) => n.value)
    .filter((value) => !ALLOWED_HTML.some((pattern) => pattern.test(value)));
}
