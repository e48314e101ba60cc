import { describe, expect, it } from 'vitest';
import { parseTexts, sourceText, warmUpParser } from '../../src/lint/parse.ts';

const statementsOf = (texts: string[]) =>
  parseTexts(texts).map((r) =>
    r.ok ? r.statements.map((s) => `${s.type}: ${sourceText(r.source, s)}`) : `error: ${r.error}`,
  );

describe('parseTexts', () => {
  it('parses many texts in one batch and keeps each statement with its text', () => {
    expect(
      statementsOf([
        'ALTER TABLE users ADD COLUMN bio text',
        '  CREATE INDEX ix ON posts (title);  ',
        "UPDATE posts SET body = ''; ALTER TABLE posts ALTER COLUMN body SET NOT NULL",
        '',
        '-- only a comment',
      ]),
    ).toEqual([
      ['alter_table_stmt: ALTER TABLE users ADD COLUMN bio text'],
      ['create_index_stmt: CREATE INDEX ix ON posts (title)'],
      [
        "update_stmt: UPDATE posts SET body = ''",
        'alter_table_stmt: ALTER TABLE posts ALTER COLUMN body SET NOT NULL',
      ],
      [],
      [],
    ]);
  });

  it('isolates texts the parser cannot read, and still parses the others', () => {
    expect(
      statementsOf([
        'ALTER TABLE users ADD COLUMN bio text',
        'LOCK TABLE users IN ACCESS EXCLUSIVE MODE',
        'DROP TABLE posts',
        'SELEC 1',
        'DROP TABLE users',
      ]),
    ).toEqual([
      ['alter_table_stmt: ALTER TABLE users ADD COLUMN bio text'],
      'error: Syntax Error: Unexpected "LOCK"',
      ['drop_table_stmt: DROP TABLE posts'],
      'error: Syntax Error: Unexpected "SELEC"',
      ['drop_table_stmt: DROP TABLE users'],
    ]);
  });

  it('never lets one text swallow the next (an unterminated quote or comment)', () => {
    const results = statementsOf([
      "UPDATE posts SET body = 'unterminated",
      "UPDATE posts SET body = 'x'",
      'ALTER TABLE users ADD COLUMN bio text -- trailing comment',
      'DROP TABLE users /* unterminated',
      "SELECT 'it''s'",
    ]);
    expect(results[0]).toMatch(/^error: /);
    expect(results[1]).toEqual(["update_stmt: UPDATE posts SET body = 'x'"]);
    expect(results[2]).toEqual(['alter_table_stmt: ALTER TABLE users ADD COLUMN bio text']);
    expect(results[3]).toMatch(/^error: /);
    expect(results[4]).toEqual(["select_stmt: SELECT 'it''s'"]);
  });

  it('keeps dollar-quoted bodies whole', () => {
    expect(statementsOf(["DO $$ BEGIN UPDATE posts SET body = ''; END $$", 'DROP TABLE posts'])).toEqual([
      ["do_stmt: DO $$ BEGIN UPDATE posts SET body = ''; END $$"],
      ['drop_table_stmt: DROP TABLE posts'],
    ]);
  });
});

describe('warmUpParser', () => {
  // Compiles the parser while the project opens: pointless if its statements did not parse.
  it('parses every statement it warms up with', () => {
    const { parsed, of } = warmUpParser();
    expect(of).toBeGreaterThan(5);
    expect(parsed).toBe(of);
  });
});
