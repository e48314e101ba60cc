import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('add-foreign-key-validates', {
  valid: [
    {
      name: 'NOT VALID, then VALIDATE',
      revisions: [
        {
          statements: [
            'ALTER TABLE posts ADD CONSTRAINT fk_posts_editor FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID',
          ],
        },
        { statements: ['ALTER TABLE posts VALIDATE CONSTRAINT fk_posts_editor'] },
      ],
    },
    {
      name: 'a table created in the change, referencing an existing one',
      statements: [
        'CREATE TABLE comments (id serial PRIMARY KEY, post_id integer)',
        'ALTER TABLE comments ADD CONSTRAINT fk_comments_post FOREIGN KEY (post_id) REFERENCES posts (id)',
      ],
    },
  ],
  invalid: [
    {
      name: 'op.create_foreign_key with ondelete',
      statements: [
        'ALTER TABLE posts ADD CONSTRAINT fk_posts_editor FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE CASCADE',
      ],
      findings: [
        {
          line: 21,
          table: 'posts',
          column: 'author_id',
          severity: 'warning',
          message:
            /FOREIGN KEY \(author_id\) REFERENCES users checks every row of posts while holding SHARE ROW EXCLUSIVE locks on posts and users/,
          code: /^op\.create_foreign_key\("fk_posts_editor", "posts", "users", \["author_id"\], \["id"\], ondelete="CASCADE", postgresql_not_valid=True\)\n# In the next revision \(its own transaction\):\nop\.execute\("ALTER TABLE posts VALIDATE CONSTRAINT fk_posts_editor"\)$/,
        },
      ],
    },
    {
      name: 'unnamed, referencing the primary key',
      statements: ['ALTER TABLE posts ADD FOREIGN KEY (author_id) REFERENCES users'],
      findings: [
        {
          code: /op\.create_foreign_key\("fk_posts_author_id_users", "posts", "users", \["author_id"\], \["id"\], postgresql_not_valid=True\)/,
        },
      ],
    },
  ],
});
