import { describe, expect, it } from 'vitest';
import { sqlIdentifier, sqlTable } from '../../src/lint/alembic-code.ts';
import { tableRef } from '../../src/lint/names.ts';

describe('names in suggested raw SQL', () => {
  it('leaves plain names bare and quotes reserved words and odd spellings, as quote_ident does', () => {
    expect(sqlIdentifier('users')).toBe('users');
    expect(sqlIdentifier('user')).toBe('"user"');
    expect(sqlIdentifier('order')).toBe('"order"');
    expect(sqlIdentifier('Users')).toBe('"Users"');
    expect(sqlTable(tableRef('public', 'user'))).toBe('"user"');
    expect(sqlTable(tableRef('audit', 'log'))).toBe('audit.log');
  });
});
