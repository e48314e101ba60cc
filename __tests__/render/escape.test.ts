// The escaping primitives, checked by what a GFM renderer makes of them.
import { describe, expect, test } from 'vitest';
import { code, codeBlock, htmlText, link, text, truncate } from '../../src/render/escape.ts';
import { all, codeBlocks, parse, textOf, toHtml } from './gfm.ts';

const visible = (value: string): string => value.replace(/\u200b/g, '');

describe('escaping', () => {
  test.each([
    '**bold** _it_ `code` [link](https://x) ![img](https://x)',
    '<b>html</b> &amp; <!-- comment -->',
    '# not a heading',
    '1. not a list',
    '| a | b |',
    'back\\slash ~~strike~~',
  ])('text(%j) renders as exactly that text', (value) => {
    const tree = parse(text(value));
    expect(visible(textOf(tree))).toBe(value);
    expect(all(tree, 'html')).toHaveLength(0);
  });

  test('mentions and references are defused with a zero-width space', () => {
    expect(visible(textOf(parse(text('@octocat #12 a/b#3'))))).toBe('@octocat #12 a/b#3');
    expect(textOf(parse(text('@octocat #12')))).toBe('@\u200boctocat #\u200b12');
    expect(htmlText('<@octocat>')).toBe('&lt;@&#8203;octocat&gt;');
    expect(toHtml(htmlText('@octocat'))).toContain('@\u200boctocat');
  });

  test('code spans hold any backticks and pipes, also in tables', () => {
    for (const value of ['a`b', '``x``', '`start', 'end`', 'p|q']) {
      const inline = all(parse(code(value)), 'inlineCode');
      expect(inline.map((n) => n.value)).toEqual([value]);
      const table = parse(`| x |\n| --- |\n| ${code(value, { inTable: true })} |`);
      expect(all(table, 'inlineCode').map((n) => n.value)).toEqual([value]);
    }
  });

  test('a code block cannot be closed from inside', () => {
    const content = 'a\n```\nb\n````\n</details>';
    const blocks = codeBlocks(parse(`${codeBlock(content, 'sql')}\n\nafter`));
    expect(blocks).toEqual([expect.objectContaining({ lang: 'sql', value: content })]);
  });

  test('links only to http(s), with parentheses encoded', () => {
    expect(link('x', 'javascript:alert(1)')).toBe('x');
    const [node] = all(parse(link('x', 'https://e.com/a (b).py#L1')), 'link');
    expect(node?.url).toBe('https://e.com/a%20%28b%29.py#L1');
  });

  test('truncate keeps whole characters', () => {
    expect(truncate('🛑🛑🛑', 2)).toBe('🛑…');
    expect(truncate('abc', 3)).toBe('abc');
  });
});
