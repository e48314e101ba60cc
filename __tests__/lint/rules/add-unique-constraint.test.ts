import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('add-unique-constraint', {
  valid: [
    {
      name: 'a unique index built concurrently, then USING INDEX',
      statements: [
        { sql: 'CREATE UNIQUE INDEX CONCURRENTLY uq_posts_title ON posts (title)', autocommit: true },
        'ALTER TABLE posts ADD CONSTRAINT uq_posts_title UNIQUE USING INDEX uq_posts_title',
      ],
    },
    {
      name: 'a table created in the change',
      statements: [
        'CREATE TABLE tags (id serial PRIMARY KEY, name text)',
        'ALTER TABLE tags ADD CONSTRAINT uq_tags_name UNIQUE (name)',
      ],
    },
  ],
  invalid: [
    {
      name: 'op.create_unique_constraint',
      statements: ['ALTER TABLE posts ADD CONSTRAINT uq_posts_title UNIQUE (title)'],
      findings: [
        {
          line: 21,
          table: 'posts',
          column: 'title',
          severity: 'warning',
          message:
            /ADD CONSTRAINT uq_posts_title UNIQUE \(title\) builds a unique index on posts under an ACCESS EXCLUSIVE lock/,
          code: /^with op\.get_context\(\)\.autocommit_block\(\):\n {4}op\.create_index\("uq_posts_title", "posts", \["title"\], unique=True, postgresql_concurrently=True\)\nop\.execute\("ALTER TABLE posts ADD CONSTRAINT uq_posts_title UNIQUE USING INDEX uq_posts_title"\)$/,
        },
      ],
    },
    {
      name: 'ADD COLUMN ... UNIQUE',
      statements: ['ALTER TABLE posts ADD COLUMN slug text UNIQUE'],
      findings: [
        { column: 'slug', code: /op\.create_index\("posts_slug_key", "posts", \["slug"\], unique=True/ },
      ],
    },
  ],
});
