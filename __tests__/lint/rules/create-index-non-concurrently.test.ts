import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('create-index-non-concurrently', {
  valid: [
    {
      name: 'CONCURRENTLY in an autocommit block',
      statements: [{ sql: 'CREATE INDEX CONCURRENTLY ix_posts_title ON posts (title)', autocommit: true }],
    },
    {
      name: 'a table created in the change',
      statements: [
        'CREATE TABLE comments (id serial PRIMARY KEY, post_id integer)',
        'CREATE INDEX ix_comments_post_id ON comments (post_id)',
      ],
    },
  ],
  invalid: [
    {
      name: 'op.create_index',
      statements: ['CREATE INDEX ix_posts_title ON posts (title)'],
      findings: [
        {
          line: 21,
          table: 'posts',
          severity: 'warning',
          message: /^CREATE INDEX ix_posts_title ON posts takes a SHARE lock on posts for the whole build/,
          code: /^with op\.get_context\(\)\.autocommit_block\(\):\n {4}op\.create_index\("ix_posts_title", "posts", \["title"\], postgresql_concurrently=True\)$/,
        },
      ],
    },
    {
      name: 'a unique expression index',
      statements: ['CREATE UNIQUE INDEX ix_users_lower_email ON users (lower(email))'],
      findings: [
        {
          table: 'users',
          code: /op\.create_index\("ix_users_lower_email", "users", \[sa\.text\("lower\(email\)"\)\], unique=True, postgresql_concurrently=True\)/,
        },
      ],
    },
    {
      name: 'a partial index with a method',
      statements: ['CREATE INDEX ix_posts_price ON posts USING btree (price) WHERE price > 0'],
      findings: [
        {
          code: /\["price"\], postgresql_using="btree", postgresql_where=sa\.text\("price > 0"\), postgresql_concurrently=True\)/,
        },
      ],
    },
    {
      name: 'a table outside public',
      statements: ['CREATE INDEX ix_log_message ON audit.log (message)'],
      findings: [{ table: 'audit.log', code: /\["message"\], schema="audit", postgresql_concurrently=True/ }],
    },
  ],
});
