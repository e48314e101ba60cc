// What a user reads when the project's code fails before any migration runs
// (one paragraph per cause, no stack trace), and that an optional stage that
// fails never loses the findings already made.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { revisionSource, VENV } from '../helpers/alembic-project.ts';
import { ADD_NICKNAME, blogModels, flaskMigrate, NICKNAME, urlFromParts } from './fixtures.ts';
import { byRule, fixtureProjects, reviewFixture } from './review.ts';

const keep = fixtureProjects();
const stack = { name: 'current', venv: VENV };

function expectParagraph(stderr: string, ...needles: RegExp[]): void {
  expect(stderr).not.toMatch(/Traceback|^\s+at |internal error/m);
  const message = stderr.split('\n').find((line) => line.startsWith('alembic-review: ')) ?? '';
  for (const needle of needles) expect(message).toMatch(needle);
}

describe('env.py failures by cause', () => {
  it('a Flask app that cannot be found: how it was searched and the flask-app option', async () => {
    const project = keep(await flaskMigrate(stack));
    const run = await reviewFixture(project, ['--flask-app', 'nowhere:create_app']);
    expect(run.code).toBe(2);
    expectParagraph(run.stderr, /Flask app was not found/, /--flask-app/, /tried nowhere:create_app/);
  });

  it('the Flask app named with flask-app is used', async () => {
    const project = keep(await flaskMigrate(stack));
    const run = await reviewFixture(project, ['--flask-app', 'blog:create_app()']);
    expect(run.code, run.stderr).toBe(0);
  });

  it('a raw connection of its own that fails: the host it tried and why it was not redirected', async () => {
    const project = keep(await urlFromParts(stack));
    // env.py opens a socket connection with a driver the review does not know (here: libpq directly).
    project.write(
      'migrations/env.py',
      `import psycopg.pq
conn = psycopg.pq.PGconn.connect(b"host=db.internal.invalid dbname=app user=app connect_timeout=2")
if conn.status != psycopg.pq.ConnStatus.OK:
    raise RuntimeError("connection to server failed: " + conn.error_message.decode())
`,
    );
    await project.commit('env.py with a raw connection');
    const run = await reviewFixture(project);
    expect(run.code).toBe(2);
    expectParagraph(
      run.stderr,
      /tried to connect to its own database \(host db\.internal\.invalid/,
      /every psycopg, psycopg2 and asyncpg connect of the project is redirected/,
      /a connection made some other way/,
    );
  });

  it('an event-loop problem is named as such', async () => {
    const project = keep(await urlFromParts(stack));
    project.write(
      'migrations/env.py',
      `import asyncio


async def main():
    asyncio.run(asyncio.sleep(0))


asyncio.run(main())
`,
    );
    await project.commit('env.py nesting event loops');
    const run = await reviewFixture(project);
    expect(run.code).toBe(2);
    expectParagraph(
      run.stderr,
      /event-loop problem/,
      /asyncio\.run\(\) cannot be called from a running event loop/,
    );
  });

  it('a connection while the modules are imported is refused, naming when it happened', async () => {
    const project = keep(await urlFromParts(stack));
    project.write(
      'app/models.py',
      `${blogModels()}
from sqlalchemy import create_engine

# A module that connects at import time.
create_engine("postgresql://app@localhost/app").connect()
`,
    );
    // The new revision imports the models (as revisions that use them for data migrations do).
    project.write(
      'migrations/versions/b2b2b2b2b2b2_rev.py',
      `import app.models  # noqa: F401\n${revisionSource(ADD_NICKNAME)}`,
    );
    await project.commit('models that connect at import');
    const run = await reviewFixture(project);
    expect(run.code).toBe(2);
    expectParagraph(run.stderr, /while no migration command was running/);
  });
});

describe('settings read by revision files', () => {
  it('a revision file that requires an environment variable when loaded: its name and pass-env', async () => {
    const project = keep(await urlFromParts(stack));
    project.write(
      'app/secrets.py',
      'import os\n\nif not os.environ.get("APP_COOKIE_SECRET"):\n    raise Exception("You must set the APP_COOKIE_SECRET environment variable.")\n',
    );
    project.write(
      `migrations/versions/${ADD_NICKNAME.id}_rev.py`,
      `import app.secrets  # noqa: F401\n${revisionSource(ADD_NICKNAME)}`,
    );
    await project.commit('a revision that reads a secret');
    const run = await reviewFixture(project);
    expect(run.code).toBe(2);
    expectParagraph(
      run.stderr,
      /settings refused to load/,
      /APP_COOKIE_SECRET is missing/,
      /--pass-env APP_COOKIE_SECRET/,
    );
  });
});

describe('an env.py that runs no migration', () => {
  it('one that migrates each tenant schema it finds: names tenant-schema instead of blaming target_metadata', async () => {
    const project = keep(await urlFromParts(stack));
    const env = readFileSync(path.join(project.dir, 'migrations/env.py'), 'utf8');
    project.write(
      'migrations/env.py',
      env.replace(
        / {4}with connectable\.connect\(\) as connection:\n[^]*?context\.run_migrations\(\)\n/,
        `    with connectable.connect() as connection:
        schemas = [row[0] for row in connection.exec_driver_sql("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'tenant_')")]
        for schema in schemas:  # each tenant's schema, none in an empty database
            connection.exec_driver_sql('SET search_path TO "%s"' % schema)
            context.configure(connection=connection, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
`,
      ),
    );
    await project.commit('schema per tenant');
    const run = await reviewFixture(project);
    expect(run.code, run.stderr).toBe(0);
    const notices = byRule(run.report as NonNullable<typeof run.report>, 'review-incomplete');
    expect(notices.map((n) => n.message)).toEqual([
      expect.stringMatching(
        /^env\.py ran but never ran the migrations .*tenant schema it finds .*"tenant_".*--tenant-schema tenant_default \(tenant-schema = "tenant_default"/,
      ),
    ]);
  });
});

describe('optional stages', () => {
  it('a bridge that dies in the ORM smoke test becomes a notice; the other findings stay', async () => {
    const project = keep(await urlFromParts(stack));
    project.write(
      'app/models.py',
      `${blogModels(`${NICKNAME}    code = Column(String(10), nullable=False)\n`)}
import os

from sqlalchemy import event


@event.listens_for(User, "before_insert")
def crash(mapper, connection, target):
    os._exit(3)  # a C extension that takes the process down, say
`,
    );
    project.addRevision({
      id: 'e5e5e5e5e5e5',
      down: ADD_NICKNAME.id,
      upgrade: "op.add_column('users', sa.Column('code', sa.String(10), nullable=False))",
      downgrade: "op.drop_column('users', 'code')",
    });
    await project.commit('a model that takes the process down on insert');
    const run = await reviewFixture(project);
    expect(run.stderr).not.toMatch(/internal error|Traceback/);
    expect(run.code, run.stderr).toBe(1);
    const report = run.report;
    expect(report).not.toBeNull();
    if (report === null) return;
    expect(byRule(report, 'fails-on-existing-rows').map((f) => f.revision)).toEqual(['e5e5e5e5e5e5']);
    const [notice] = byRule(report, 'review-incomplete');
    expect(notice?.message).toMatch(
      /^The ORM smoke test could not run, so its checks are missing from this review: .*exited unexpectedly with code 3/,
    );
    expect(Object.keys(report.timings)).toContain('downgrade round trip');
  });
});
