import { ruleCases } from '../helpers/rule-cases.ts';

ruleCases('unparsed-statement', {
  valid: [
    {
      name: 'statements the parser reads',
      statements: [
        'ALTER TABLE users ADD COLUMN bio text',
        "INSERT INTO users (email, name) VALUES ('a@example.com', 'A')",
      ],
    },
    {
      name: 'trailing semicolons and comments',
      statements: ['  ALTER TABLE users ADD COLUMN bio text; -- why\n'],
    },
  ],
  invalid: [
    {
      name: 'LOCK TABLE',
      statements: ['LOCK TABLE posts IN ACCESS EXCLUSIVE MODE'],
      findings: [
        {
          line: 21,
          severity: 'notice',
          message:
            /^The SQL parser could not read this statement, so no lint rule checked it \(Syntax Error: Unexpected "LOCK"\)\.$/,
        },
      ],
    },
    {
      name: 'one bad statement among good ones',
      statements: [
        'ALTER TABLE users ADD COLUMN bio text',
        'CLUSTER posts USING ix_posts_author_id',
        'ALTER TABLE users ADD COLUMN motto text',
      ],
      findings: [{ line: 22, message: /Unexpected "CLUSTER"/ }],
    },
  ],
});
