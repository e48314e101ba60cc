import { BLOG_BASE } from '../helpers/replay.ts';
import { ruleCases } from '../helpers/rule-cases.ts';

const withFunctions = `${BLOG_BASE}
CREATE FUNCTION stable_one() RETURNS integer STABLE LANGUAGE plpgsql AS 'BEGIN RETURN 1; END';
CREATE FUNCTION volatile_one() RETURNS integer VOLATILE LANGUAGE plpgsql AS 'BEGIN RETURN 1; END';
CREATE FUNCTION inlined_one() RETURNS integer VOLATILE LANGUAGE sql AS 'SELECT 1';`;

ruleCases('volatile-default-rewrite', {
  valid: [
    {
      name: 'a constant default',
      statements: ["ALTER TABLE posts ADD COLUMN status text DEFAULT 'draft' NOT NULL"],
    },
    {
      name: 'now() is stable: stored once',
      statements: ['ALTER TABLE posts ADD COLUMN published_at timestamptz DEFAULT now()'],
    },
    {
      name: 'a table created in the change',
      statements: [
        'CREATE TABLE tokens (id serial PRIMARY KEY)',
        'ALTER TABLE tokens ADD COLUMN value uuid DEFAULT gen_random_uuid()',
      ],
    },
    {
      name: 'a stable user function',
      base: withFunctions,
      statements: ['ALTER TABLE posts ADD COLUMN one integer DEFAULT stable_one()'],
    },
    {
      // Declared VOLATILE, but Postgres inlines the SQL function to a constant: the replay sees no rewrite.
      name: 'a volatile SQL function that Postgres inlines',
      base: withFunctions,
      statements: ['ALTER TABLE posts ADD COLUMN one integer DEFAULT inlined_one()'],
      modes: ['online'],
    },
    {
      // The SQL cannot know volatile_one() is volatile; the replay sees the rewrite (invalid case below).
      name: 'an unknown function offline',
      base: withFunctions,
      statements: ['ALTER TABLE posts ADD COLUMN one integer DEFAULT volatile_one()'],
      modes: ['offline'],
    },
  ],
  invalid: [
    {
      name: 'gen_random_uuid()',
      statements: ['ALTER TABLE posts ADD COLUMN uid uuid DEFAULT gen_random_uuid() NOT NULL'],
      modes: ['online'],
      findings: [
        {
          line: 21,
          table: 'posts',
          column: 'uid',
          severity: 'warning',
          message: /ADD COLUMN uid with DEFAULT gen_random_uuid\(\) rewrote posts on the replay/,
          code: /op\.add_column\("posts", sa\.Column\("uid", postgresql\.UUID\(\), nullable=True\)\)\nop\.alter_column\("posts", "uid", server_default=sa\.text\("gen_random_uuid\(\)"\)\)\nop\.execute\("UPDATE posts SET uid = gen_random_uuid\(\) WHERE uid IS NULL"\)/,
        },
      ],
    },
    {
      name: 'gen_random_uuid() offline',
      statements: ['ALTER TABLE posts ADD COLUMN uid uuid DEFAULT gen_random_uuid() NOT NULL'],
      modes: ['offline'],
      findings: [
        { column: 'uid', message: /rewrites posts: Postgres computes a value for every existing row/ },
      ],
    },
    {
      name: 'clock_timestamp()',
      statements: ['ALTER TABLE posts ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp()'],
      findings: [{ column: 'seen_at' }],
    },
    {
      name: 'a serial column',
      statements: ['ALTER TABLE audit.log ADD COLUMN seq bigserial'],
      findings: [{ table: 'audit.log', column: 'seq' }],
    },
    {
      name: 'a stored generated column',
      statements: ['ALTER TABLE posts ADD COLUMN doubled numeric GENERATED ALWAYS AS (price * 2) STORED'],
      findings: [{ column: 'doubled' }],
    },
    {
      name: 'a volatile user function: the replay sees the rewrite',
      base: withFunctions,
      statements: ['ALTER TABLE posts ADD COLUMN one integer DEFAULT volatile_one()'],
      modes: ['online'],
      findings: [{ column: 'one', message: /rewrote posts on the replay/ }],
    },
  ],
});
