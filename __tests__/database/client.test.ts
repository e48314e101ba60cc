// A connection the server ends while it is idle (a teardown dropping its
// database while a background step sits between two queries) must fail that
// step's next query, not crash the process with an unhandled 'error' event.
import { describe, expect, it } from 'vitest';
import { newClient } from '../../src/database/client.ts';
import { LOCAL_URL } from '../helpers/alembic-project.ts';

describe('newClient', () => {
  it('survives the server terminating it while idle; the next query fails', async () => {
    const client = newClient({ connectionString: LOCAL_URL });
    await client.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const admin = newClient({ connectionString: LOCAL_URL });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    // The termination arrives while no query runs: an 'error' event without a listener would crash here.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);
  });
});
