import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('rename-table', {
  valid: [
    {
      name: 'a table created in the change',
      statements: ['CREATE TABLE drafts (id serial PRIMARY KEY)', 'ALTER TABLE drafts RENAME TO notes'],
    },
    {
      name: 'renaming a column is another rule',
      statements: ['ALTER TABLE posts RENAME COLUMN body TO content'],
    },
  ],
  invalid: [
    {
      name: 'op.rename_table',
      statements: ['ALTER TABLE posts RENAME TO articles'],
      findings: [
        {
          line: 21,
          table: 'posts',
          severity: 'warning',
          message: /RENAME TO articles: the application code still running queries posts/,
          code: /op\.rename_table\("posts", "articles"\)\nop\.execute\("CREATE VIEW posts AS SELECT \* FROM articles"\)/,
        },
      ],
    },
    {
      name: 'a table outside public',
      statements: ['ALTER TABLE audit.log RENAME TO events'],
      findings: [
        {
          table: 'audit.log',
          code: /op\.rename_table\("log", "events", schema="audit"\)\nop\.execute\("CREATE VIEW audit\.log AS SELECT \* FROM audit\.events"\)/,
        },
      ],
    },
  ],
});
