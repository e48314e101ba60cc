import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('rename-column', {
  valid: [
    {
      name: 'a table created in the change',
      statements: [
        'CREATE TABLE drafts (id serial PRIMARY KEY, body text)',
        'ALTER TABLE drafts RENAME COLUMN body TO content',
      ],
    },
    {
      name: 'a column added in the change',
      statements: [
        'ALTER TABLE posts ADD COLUMN subtitle text',
        'ALTER TABLE posts RENAME COLUMN subtitle TO summary',
      ],
    },
    { name: 'other ALTER TABLE actions', statements: ["ALTER TABLE posts ALTER COLUMN body SET DEFAULT ''"] },
  ],
  invalid: [
    {
      name: 'op.alter_column(new_column_name=) as Alembic emits it',
      statements: ['ALTER TABLE posts RENAME body TO content'],
      findings: [
        {
          line: 21,
          table: 'posts',
          column: 'body',
          severity: 'warning',
          message:
            /RENAME COLUMN body TO content: the application code still running reads and writes posts\.body/,
          code: /op\.execute\("UPDATE posts SET content = body"\)[\s\S]*op\.drop_column\("posts", "body"\)/,
        },
      ],
    },
    {
      name: 'the column type comes from the base schema',
      statements: ['ALTER TABLE users RENAME COLUMN name TO full_name'],
      modes: ['online'],
      findings: [
        { column: 'name', code: /sa\.Column\("full_name", sa\.String\(length=100\), nullable=True\)/ },
      ],
    },
  ],
});
