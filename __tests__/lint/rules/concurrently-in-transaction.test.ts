import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('concurrently-in-transaction', {
  valid: [
    {
      name: 'in an autocommit block (the replay ran it outside the transaction)',
      statements: [{ sql: 'CREATE INDEX CONCURRENTLY ix_posts_title ON posts (title)', autocommit: true }],
      modes: ['online'],
    },
    {
      name: "after autocommit_block's COMMIT in `upgrade --sql` output",
      statements: ['COMMIT', 'CREATE INDEX CONCURRENTLY ix_posts_title ON posts (title)', 'BEGIN'],
      modes: ['offline'],
    },
    { name: 'a plain CREATE INDEX', statements: ['CREATE INDEX ix_posts_title ON posts (title)'] },
  ],
  invalid: [
    {
      name: 'CREATE INDEX CONCURRENTLY in the migration transaction',
      statements: ['CREATE INDEX CONCURRENTLY ix_posts_title ON posts (title)'],
      findings: [
        {
          line: 21,
          table: 'posts',
          severity: 'error',
          message: /^CREATE INDEX CONCURRENTLY ix_posts_title ON posts cannot run inside a transaction block/,
          code: /^with op\.get_context\(\)\.autocommit_block\(\):\n {4}op\.create_index\("ix_posts_title", "posts", \["title"\], postgresql_concurrently=True\)$/,
        },
      ],
    },
    {
      name: 'even on a table created in the change',
      statements: [
        'CREATE TABLE tags (id serial PRIMARY KEY, name text)',
        'CREATE INDEX CONCURRENTLY ix_tags_name ON tags (name)',
      ],
      findings: [{ line: 22, table: 'tags' }],
    },
    {
      name: 'DROP INDEX CONCURRENTLY',
      statements: ['DROP INDEX CONCURRENTLY ix_posts_author_id'],
      findings: [{ code: /op\.drop_index\("ix_posts_author_id", postgresql_concurrently=True\)/ }],
    },
    {
      name: 'REINDEX CONCURRENTLY',
      statements: ['REINDEX INDEX CONCURRENTLY ix_posts_author_id'],
      findings: [
        { message: /^REINDEX INDEX CONCURRENTLY ix_posts_author_id cannot run inside a transaction block/ },
      ],
    },
  ],
});
