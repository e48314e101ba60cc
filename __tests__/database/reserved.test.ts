// Databases created ahead of need (issue 16): one at a time in the order
// reserved, handed out by purpose, never for a copy, and dropped with the
// rest when nobody asked for them (those not made yet are not made).
import { afterAll, describe, expect, it } from 'vitest';
import { ReservingProvider } from '../../src/database/reserved.ts';
import { UrlProvider } from '../../src/database/url-provider.ts';
import { teardownAll } from '../../src/teardown.ts';
import { LOCAL_SERVER_URL, leftoverDatabasesOnLocalServer, query } from './helpers.ts';

describe('a provider that reserves databases', () => {
  afterAll(() => teardownAll());

  it('hands out a reserved database per purpose, creates the rest, and drops the unused ones on stop()', async () => {
    const inner = new UrlProvider(LOCAL_SERVER_URL);
    await inner.start();
    const provider = new ReservingProvider(inner);
    provider.reserve(['models', 'models']);
    provider.reserve(['rows']);
    // Before anyone asks, the server has them, made one at a time in the order reserved.
    await expect.poll(() => inner.createdDatabases.length, { timeout: 10_000 }).toBe(3);
    const reserved = [...inner.createdDatabases];
    expect(reserved.map((name) => /^alembic_review_([a-z]+)_/.exec(name)?.[1])).toEqual([
      'models',
      'models',
      'rows',
    ]);

    const models = await provider.createDatabase('models');
    expect(models.name).toMatch(/^alembic_review_models_/);
    expect(reserved).toContain(models.name);
    // A copy is never a reserved (empty) database.
    await query(models.url, 'CREATE TABLE kept (id int)');
    const copy = await provider.createDatabase('rows', models);
    expect(reserved).not.toContain(copy.name);
    expect(await query(copy.url, "SELECT to_regclass('kept') IS NOT NULL AS kept")).toEqual([{ kept: true }]);
    // A purpose nothing was reserved for, and one whose reservations are used up.
    const other = await provider.createDatabase('empty');
    const third = await provider.createDatabase('models');
    const fourth = await provider.createDatabase('models');
    expect(reserved).not.toContain(other.name);
    expect(reserved).toContain(third.name);
    expect(reserved).not.toContain(fourth.name);
    // What the provider says about itself is the inner provider's.
    expect(provider.kind).toBe('url');
    expect(provider.description).toBe(inner.description);
    expect(provider.access).toBe(inner.access);
    expect(await provider.serverVersion()).toBe(await inner.serverVersion());

    const all = [...inner.createdDatabases];
    expect(all).toHaveLength(6); // the unused 'rows' reservation among them
    await provider.stop();
    expect(await leftoverDatabasesOnLocalServer(all)).toEqual([]);
  });

  it('does not make the reservations not started yet when stopped', async () => {
    const inner = new UrlProvider(LOCAL_SERVER_URL);
    await inner.start();
    const provider = new ReservingProvider(inner);
    provider.reserve(['rows', 'models', 'models', 'base']);
    await provider.stop();
    // The one being made when stop() came, at most; dropped with the rest.
    expect(inner.createdDatabases).toEqual([]);
    expect((await provider.createDatabase('models').catch((error: unknown) => error)) instanceof Error).toBe(
      true,
    );
  });

  it('creates the database as usual when its reservation failed', async () => {
    const inner = new UrlProvider(LOCAL_SERVER_URL);
    const provider = new ReservingProvider(inner);
    provider.reserve(['models']); // before start(): the reservation fails
    await inner.start();
    const models = await provider.createDatabase('models');
    expect(models.name).toMatch(/^alembic_review_models_/);
    expect(inner.createdDatabases).toEqual([models.name]);
    await provider.stop();
    expect(await leftoverDatabasesOnLocalServer([models.name])).toEqual([]);
  });
});
