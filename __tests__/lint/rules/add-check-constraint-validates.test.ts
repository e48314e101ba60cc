import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('add-check-constraint-validates', {
  valid: [
    {
      name: 'NOT VALID, then VALIDATE',
      revisions: [
        { statements: ['ALTER TABLE posts ADD CONSTRAINT ck_posts_price CHECK (price > 0) NOT VALID'] },
        { statements: ['ALTER TABLE posts VALIDATE CONSTRAINT ck_posts_price'] },
      ],
    },
    {
      name: 'a table created in the change',
      statements: [
        'CREATE TABLE offers (id serial PRIMARY KEY, price numeric)',
        'ALTER TABLE offers ADD CONSTRAINT ck_offers_price CHECK (price > 0)',
      ],
    },
  ],
  invalid: [
    {
      name: 'op.create_check_constraint',
      statements: ['ALTER TABLE posts ADD CONSTRAINT ck_posts_price CHECK (price > 0)'],
      findings: [
        {
          line: 21,
          table: 'posts',
          severity: 'warning',
          message:
            /ADD CONSTRAINT ck_posts_price CHECK \(price > 0\) checks every row of posts under an ACCESS EXCLUSIVE lock/,
          code: /^op\.create_check_constraint\("ck_posts_price", "posts", "price > 0", postgresql_not_valid=True\)\n.*\nop\.execute\("ALTER TABLE posts VALIDATE CONSTRAINT ck_posts_price"\)$/,
        },
      ],
    },
    {
      name: 'a table outside public',
      statements: ["ALTER TABLE audit.log ADD CONSTRAINT ck_log_message CHECK (message <> '')"],
      findings: [
        {
          table: 'audit.log',
          code: /op\.create_check_constraint\("ck_log_message", "log", "message <> ''", schema="audit", postgresql_not_valid=True\)/,
        },
      ],
    },
  ],
});
