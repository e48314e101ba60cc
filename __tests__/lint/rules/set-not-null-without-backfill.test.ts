import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('set-not-null-without-backfill', {
  valid: [
    {
      name: 'backfilled earlier in the revision',
      statements: [
        "UPDATE posts SET body = '' WHERE body IS NULL",
        'ALTER TABLE posts ALTER COLUMN body SET NOT NULL',
      ],
    },
    {
      name: 'backfilled in an earlier revision of the change',
      revisions: [
        { statements: ["UPDATE posts SET body = '' WHERE body IS NULL"] },
        { statements: ['ALTER TABLE posts ALTER COLUMN body SET NOT NULL'] },
      ],
    },
    {
      name: 'rows with NULL deleted first',
      statements: [
        'DELETE FROM posts WHERE body IS NULL',
        'ALTER TABLE posts ALTER COLUMN body SET NOT NULL',
      ],
    },
    {
      name: 'UPDATE through an alias',
      statements: [
        "UPDATE posts AS p SET body = '' WHERE p.body IS NULL",
        'ALTER TABLE posts ALTER COLUMN body SET NOT NULL',
      ],
    },
    {
      name: 'a column added with a default in the same revision',
      statements: [
        "ALTER TABLE posts ADD COLUMN slug text DEFAULT 'x'",
        'ALTER TABLE posts ALTER COLUMN slug SET NOT NULL',
      ],
    },
    {
      name: 'a table created in the change',
      statements: [
        'CREATE TABLE tags (id serial PRIMARY KEY, name text)',
        'ALTER TABLE tags ALTER COLUMN name SET NOT NULL',
      ],
    },
    {
      // Only the replay knows that the column is NOT NULL already.
      name: 'a column that is NOT NULL at the base',
      statements: ['ALTER TABLE posts ALTER COLUMN title SET NOT NULL'],
      modes: ['online'],
    },
  ],
  invalid: [
    {
      name: 'no backfill',
      statements: ['ALTER TABLE posts ALTER COLUMN body SET NOT NULL'],
      findings: [
        {
          line: 21,
          table: 'posts',
          column: 'body',
          severity: 'warning',
          message: /SET NOT NULL with no backfill of posts before it: it fails if any row holds NULL in body/,
          code: /op\.execute\("UPDATE posts SET body = \.\.\. WHERE body IS NULL"\).*\nop\.alter_column\("posts", "body", nullable=False\)/,
        },
      ],
    },
    {
      name: 'an UPDATE of another table is no backfill',
      statements: ["UPDATE users SET name = 'x'", 'ALTER TABLE posts ALTER COLUMN price SET NOT NULL'],
      findings: [{ line: 22, column: 'price' }],
    },
    {
      name: 'a backfill after SET NOT NULL is too late',
      statements: [
        'ALTER TABLE posts ALTER COLUMN body SET NOT NULL',
        "UPDATE posts SET body = '' WHERE body IS NULL",
      ],
      findings: [{ line: 21, column: 'body' }],
    },
    {
      name: 'a column added nullable in the same revision and never backfilled',
      statements: [
        'ALTER TABLE users ADD COLUMN display_name VARCHAR(100)',
        'ALTER TABLE users ALTER COLUMN display_name SET NOT NULL',
      ],
      findings: [{ line: 22, table: 'users', column: 'display_name' }],
    },
  ],
});
