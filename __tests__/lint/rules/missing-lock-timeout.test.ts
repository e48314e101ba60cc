import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('missing-lock-timeout', {
  valid: [
    {
      name: "env.py's SET lock_timeout",
      lockTimeout: '5s',
      statements: ['ALTER TABLE users ADD COLUMN bio text'],
    },
    {
      name: 'SET lock_timeout in the revision, before the ALTER',
      lockTimeout: '0',
      statements: ["SET lock_timeout = '2s'", 'ALTER TABLE users ADD COLUMN bio text'],
    },
    {
      name: "set_config('lock_timeout', ...)",
      lockTimeout: '0',
      statements: ["SELECT set_config('lock_timeout', '2s', true)", 'ALTER TABLE users ADD COLUMN bio text'],
    },
    {
      name: 'a table created in the change',
      lockTimeout: '0',
      statements: ['CREATE TABLE tags (id serial PRIMARY KEY)', 'ALTER TABLE tags ADD COLUMN name text'],
    },
    {
      name: 'CREATE INDEX takes SHARE, not ACCESS EXCLUSIVE',
      lockTimeout: '0',
      statements: ['CREATE INDEX ix_posts_title ON posts (title)'],
    },
    {
      name: 'ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE',
      lockTimeout: '0',
      statements: [
        'ALTER TABLE posts ADD CONSTRAINT fk_posts_editor FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID',
      ],
    },
    { name: 'UPDATE takes ROW EXCLUSIVE', lockTimeout: '0', statements: ["UPDATE posts SET body = ''"] },
  ],
  invalid: [
    {
      name: 'no lock_timeout anywhere',
      lockTimeout: '0',
      statements: ['ALTER TABLE users ADD COLUMN bio text'],
      findings: [
        {
          line: 21,
          table: 'users',
          severity: 'warning',
          message: /ACCESS EXCLUSIVE lock on users with no lock_timeout/,
          code: /^op\.execute\("SET lock_timeout = '5s'"\)$/,
        },
      ],
    },
    {
      name: 'one finding per revision, naming every table it locks',
      lockTimeout: '0',
      statements: [
        'ALTER TABLE users ADD COLUMN bio text',
        'ALTER TABLE posts ADD COLUMN summary text',
        'ALTER TABLE users ADD COLUMN motto text',
      ],
      findings: [
        {
          line: 21,
          table: 'users',
          message: /on users with no lock_timeout \(and the revision locks 1 more: posts\)/,
        },
      ],
    },
    {
      name: 'SET lock_timeout after the ALTER is too late',
      lockTimeout: '0',
      statements: ['ALTER TABLE users ADD COLUMN bio text', "SET lock_timeout = '2s'"],
      findings: [{ line: 21 }],
    },
    {
      name: 'lock_timeout set to 0 in the revision',
      lockTimeout: '5s',
      statements: ['SET lock_timeout = 0', 'DROP TABLE audit.log'],
      findings: [{ line: 22, table: 'audit.log' }],
    },
    {
      name: 'each revision of the change',
      lockTimeout: '0',
      revisions: [
        { statements: ['ALTER TABLE users ADD COLUMN bio text'] },
        { statements: ['TRUNCATE posts'] },
      ],
      findings: [
        { revision: 'rev1', table: 'users' },
        { revision: 'rev2', table: 'posts' },
      ],
    },
    {
      // Only the replay sees what LOCK TABLE took: the parser cannot read it.
      name: 'LOCK TABLE',
      lockTimeout: '0',
      statements: ['LOCK TABLE posts IN ACCESS EXCLUSIVE MODE'],
      modes: ['online'],
      findings: [{ table: 'posts', message: /took an ACCESS EXCLUSIVE lock on posts/ }],
    },
  ],
});
