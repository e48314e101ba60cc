import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('change-column-type', {
  valid: [
    {
      name: 'varchar widening',
      statements: ['ALTER TABLE posts ALTER COLUMN title TYPE VARCHAR(300)'],
      modes: ['online'],
    },
    {
      name: 'varchar to text',
      statements: ['ALTER TABLE users ALTER COLUMN name TYPE TEXT'],
      modes: ['online'],
    },
    {
      name: 'varchar to unbounded varchar',
      statements: ['ALTER TABLE users ALTER COLUMN name TYPE VARCHAR'],
      modes: ['online'],
    },
    {
      name: 'numeric precision at the same scale',
      statements: ['ALTER TABLE posts ALTER COLUMN price TYPE NUMERIC(12, 2)'],
      modes: ['online'],
    },
    {
      name: 'a table created in the change',
      statements: [
        'CREATE TABLE drafts (id serial PRIMARY KEY, n integer)',
        'ALTER TABLE drafts ALTER COLUMN n TYPE BIGINT',
      ],
    },
    {
      name: 'a column added in the change',
      statements: [
        'ALTER TABLE posts ADD COLUMN views integer',
        'ALTER TABLE posts ALTER COLUMN views TYPE BIGINT',
      ],
      modes: ['online'],
    },
  ],
  invalid: [
    {
      name: 'integer to bigint rewrites (the replay sees the new relfilenode)',
      statements: ['ALTER TABLE posts ALTER COLUMN author_id TYPE BIGINT'],
      modes: ['online'],
      findings: [
        {
          line: 21,
          table: 'posts',
          column: 'author_id',
          severity: 'warning',
          message: /TYPE BIGINT \(was integer\) rewrote posts on the replay/,
          code: /op\.add_column\("posts", sa\.Column\("author_id_new", sa\.BigInteger\(\), nullable=True\)\)[\s\S]*new_column_name="author_id"/,
        },
      ],
    },
    {
      name: 'integer to bigint offline (from the SQL alone)',
      statements: ['ALTER TABLE posts ALTER COLUMN author_id TYPE BIGINT'],
      modes: ['offline'],
      findings: [{ line: 21, column: 'author_id', message: /TYPE BIGINT can rewrite posts/ }],
    },
    {
      name: 'varchar narrowing',
      statements: ['ALTER TABLE posts ALTER COLUMN title TYPE VARCHAR(50)'],
      findings: [{ column: 'title' }],
    },
    {
      name: 'a USING clause',
      statements: ['ALTER TABLE posts ALTER COLUMN body TYPE VARCHAR(1000) USING left(body, 1000)'],
      findings: [{ column: 'body' }],
    },
    {
      name: 'numeric scale change',
      statements: ['ALTER TABLE posts ALTER COLUMN price TYPE NUMERIC(12, 4)'],
      findings: [{ column: 'price' }],
    },
  ],
});
