import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('drop-column', {
  valid: [
    {
      name: 'a table created in the change',
      statements: [
        'CREATE TABLE drafts (id serial PRIMARY KEY, body text)',
        'ALTER TABLE drafts DROP COLUMN body',
      ],
    },
    {
      name: 'a column added in the change',
      statements: ['ALTER TABLE posts ADD COLUMN subtitle integer', 'ALTER TABLE posts DROP COLUMN subtitle'],
      modes: ['online'],
    },
    {
      // A type change done by hand: the column comes back under its name.
      name: 'add new, copy, drop old, rename new to old',
      statements: [
        'ALTER TABLE posts ADD COLUMN price_new numeric(12, 2)',
        'UPDATE posts SET price_new = price',
        'ALTER TABLE posts DROP COLUMN price',
        'ALTER TABLE posts RENAME COLUMN price_new TO price',
      ],
    },
    {
      name: 'a column dropped and added again under its name',
      statements: ['ALTER TABLE posts DROP COLUMN body', 'ALTER TABLE posts ADD COLUMN body text'],
    },
    {
      name: 'a column added in the same revision (offline too)',
      statements: ['ALTER TABLE posts ADD COLUMN subtitle integer', 'ALTER TABLE posts DROP COLUMN subtitle'],
      modes: ['offline'],
    },
    {
      // drop-and-add-column reports the pair: one clear finding.
      name: 'the drop of a drop + add pair',
      statements: ['ALTER TABLE posts ADD COLUMN content TEXT', 'ALTER TABLE posts DROP COLUMN body'],
    },
  ],
  invalid: [
    {
      name: 'op.drop_column',
      statements: ['ALTER TABLE posts DROP COLUMN price'],
      findings: [
        {
          line: 21,
          table: 'posts',
          column: 'price',
          severity: 'warning',
          message:
            /DROP COLUMN price deletes every value of posts\.price, and the application code still running selects it/,
          code: /op\.drop_column\("posts", "price"\)/,
        },
      ],
    },
    {
      name: 'a dropped column with no compatible partner',
      statements: ['ALTER TABLE posts ADD COLUMN views integer', 'ALTER TABLE posts DROP COLUMN body'],
      modes: ['online'],
      findings: [{ line: 22, column: 'body' }],
    },
    {
      name: 'another column renamed after the drop',
      statements: [
        'ALTER TABLE posts DROP COLUMN price',
        'ALTER TABLE posts RENAME COLUMN title TO headline',
      ],
      findings: [{ line: 21, column: 'price' }],
    },
    {
      name: 'a column renamed back before it is dropped',
      statements: ['ALTER TABLE posts RENAME COLUMN title TO headline', 'ALTER TABLE posts DROP COLUMN body'],
      findings: [{ line: 22, column: 'body' }],
    },
    {
      name: 'a table outside public',
      statements: ['ALTER TABLE audit.log DROP COLUMN message'],
      findings: [
        {
          table: 'audit.log',
          column: 'message',
          code: /op\.drop_column\("log", "message", schema="audit"\)/,
        },
      ],
    },
  ],
});
