// Every PostgreSQL connection the tool opens. A server may end one while it is
// idle between two queries (a teardown dropping its database, an admin
// terminating it): node-postgres then emits 'error', which without a listener
// crashes the process. With one, the next query fails instead, where the code
// that made the client handles it.
import pg from 'pg';

export function newClient(config: pg.ClientConfig): pg.Client {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  return client;
}
