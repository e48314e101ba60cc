import { ruleCases } from '../helpers/rule-cases.ts';

const NO_KEY = `CREATE TABLE events (id integer NOT NULL, kind text);
INSERT INTO events SELECT i, 'k' || i FROM generate_series(1, 3) i;
CREATE SCHEMA audit;
CREATE TABLE audit.log (id integer NOT NULL, message text);`;

ruleCases('add-primary-key', {
  valid: [
    {
      name: 'a unique index built concurrently, then PRIMARY KEY USING INDEX',
      base: NO_KEY,
      statements: [
        { sql: 'CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id)', autocommit: true },
        'ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey',
      ],
    },
    {
      name: 'a table created in the change',
      base: NO_KEY,
      statements: [
        'CREATE TABLE tags (id integer NOT NULL, name text)',
        'ALTER TABLE tags ADD PRIMARY KEY (id)',
      ],
    },
    {
      name: 'other constraints',
      base: NO_KEY,
      statements: ['ALTER TABLE events ADD CONSTRAINT uq_kind UNIQUE (kind)'],
    },
  ],
  invalid: [
    {
      name: 'op.create_primary_key',
      base: NO_KEY,
      statements: ['ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id)'],
      findings: [
        {
          line: 21,
          table: 'events',
          column: 'id',
          severity: 'warning',
          message:
            /ADD CONSTRAINT events_pkey PRIMARY KEY \(id\) builds the primary key's unique index on events under an ACCESS EXCLUSIVE lock/,
          code: /^with op\.get_context\(\)\.autocommit_block\(\):\n {4}op\.create_index\("events_pkey", "events", \["id"\], unique=True, postgresql_concurrently=True\)\nop\.execute\("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey"\)$/,
        },
      ],
    },
    {
      name: 'an unnamed key on two columns outside public',
      base: NO_KEY,
      statements: ['ALTER TABLE audit.log ADD PRIMARY KEY (id, message)'],
      findings: [
        {
          table: 'audit.log',
          code: /op\.create_index\("log_pkey", "log", \["id", "message"\], schema="audit", unique=True, postgresql_concurrently=True\)\nop\.execute\("ALTER TABLE audit\.log ADD CONSTRAINT log_pkey PRIMARY KEY USING INDEX log_pkey"\)/,
        },
      ],
    },
    {
      name: 'ADD COLUMN ... PRIMARY KEY',
      base: NO_KEY,
      statements: ['ALTER TABLE events ADD COLUMN event_id serial PRIMARY KEY'],
      findings: [{ column: 'event_id', message: /ADD COLUMN event_id serial PRIMARY KEY builds/ }],
    },
  ],
});
