import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('drop-and-add-column', {
  valid: [
    { name: 'an added column alone', statements: ['ALTER TABLE posts ADD COLUMN content TEXT'] },
    { name: 'a dropped column alone', statements: ['ALTER TABLE posts DROP COLUMN body'] },
    {
      name: 'drop and add on different tables',
      statements: ['ALTER TABLE posts DROP COLUMN body', 'ALTER TABLE users ADD COLUMN bio TEXT'],
    },
    {
      name: 'types that cannot hold the same data',
      statements: ['ALTER TABLE posts ADD COLUMN views INTEGER', 'ALTER TABLE posts DROP COLUMN body'],
      modes: ['online'], // offline, the dropped column's type is unknown
    },
    {
      name: 'drop and add in different revisions',
      revisions: [
        { statements: ['ALTER TABLE posts ADD COLUMN content TEXT'] },
        { statements: ['ALTER TABLE posts DROP COLUMN body'] },
      ],
    },
    {
      name: 'a table created in the change',
      statements: [
        'CREATE TABLE drafts (id serial PRIMARY KEY, body text)',
        'ALTER TABLE drafts ADD COLUMN content TEXT',
        'ALTER TABLE drafts DROP COLUMN body',
      ],
    },
    { name: 'the rename it should be', statements: ['ALTER TABLE posts RENAME body TO content'] },
    {
      // A type change done by hand: the data is copied and the column keeps its name.
      name: 'add new, copy, drop old, rename new to old',
      statements: [
        'ALTER TABLE posts ADD COLUMN body_new TEXT',
        'UPDATE posts SET body_new = body',
        'ALTER TABLE posts DROP COLUMN body',
        'ALTER TABLE posts RENAME COLUMN body_new TO body',
      ],
    },
  ],
  invalid: [
    {
      name: "the blog's body → content (autogenerate: add, then drop)",
      statements: ['ALTER TABLE posts ADD COLUMN content TEXT', 'ALTER TABLE posts DROP COLUMN body'],
      findings: [
        {
          line: 22,
          table: 'posts',
          column: 'body',
          severity: 'error',
          message:
            /^posts loses column body \(line 22\) and gains content TEXT \(line 21\) in the same revision/,
          code: /^# upgrade\(\)\nop\.alter_column\("posts", "body", new_column_name="content"\)\n# downgrade\(\)\nop\.alter_column\("posts", "content", new_column_name="body"\)$/,
        },
      ],
    },
    {
      name: 'varchar to text in one ALTER TABLE (online: the type changes too)',
      statements: ['ALTER TABLE users DROP COLUMN name, ADD COLUMN full_name text'],
      modes: ['online'],
      findings: [
        {
          line: 21,
          table: 'users',
          column: 'name',
          code: /new_column_name="full_name", type_=sa\.Text\(\)\)/,
        },
      ],
    },
    {
      name: 'varchar to text in one ALTER TABLE (offline: the old type is unknown)',
      statements: ['ALTER TABLE users DROP COLUMN name, ADD COLUMN full_name text'],
      modes: ['offline'],
      findings: [
        {
          line: 21,
          column: 'name',
          code: /op\.alter_column\("users", "name", new_column_name="full_name"\)\n/,
        },
      ],
    },
    {
      name: 'a table outside public',
      statements: ['ALTER TABLE audit.log DROP COLUMN message', 'ALTER TABLE audit.log ADD COLUMN text text'],
      findings: [{ line: 21, table: 'audit.log', code: /new_column_name="text", schema="audit"\)/ }],
    },
  ],
});
