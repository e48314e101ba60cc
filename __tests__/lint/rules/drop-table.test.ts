import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('drop-table', {
  valid: [
    {
      name: 'a table created in the change',
      revisions: [
        { statements: ['CREATE TABLE drafts (id serial PRIMARY KEY)'] },
        { statements: ['DROP TABLE drafts'] },
      ],
    },
    {
      name: 'dropping a view',
      base: 'CREATE VIEW recent AS SELECT 1 AS one',
      statements: ['DROP VIEW recent'],
    },
  ],
  invalid: [
    {
      name: 'op.drop_table',
      statements: ['DROP TABLE posts'],
      findings: [
        {
          line: 21,
          table: 'posts',
          severity: 'warning',
          message: /DROP TABLE posts deletes the table and all its rows/,
          code: /op\.rename_table\("posts", "posts_deprecated"\)[\s\S]*op\.drop_table\("posts_deprecated"\)/,
        },
      ],
    },
    {
      name: 'several tables in one statement',
      statements: ['DROP TABLE IF EXISTS audit.log, posts'],
      findings: [
        { table: 'audit.log', code: /schema="audit"/ },
        { table: 'posts', line: 21 },
      ],
    },
  ],
});
