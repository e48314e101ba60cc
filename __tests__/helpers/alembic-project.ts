// Builds small, real Alembic projects for the tests: alembic.ini, an env.py
// (from a few templates), models, revision files; committed in a git repo
// with a `main` base commit, and a `pr` branch for the change under review.
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const VENV = path.join(ROOT, '.venv');
export const VENV_OLDEST = path.join(ROOT, '.venv-oldest');
export const LOCAL_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface RevisionSpec {
  id: string;
  down?: string | string[] | null;
  dependsOn?: string[];
  branchLabels?: string[];
  message?: string;
  /** Python body of upgrade(), unindented. */
  upgrade: string;
  /** Python body of downgrade(), unindented (default: pass). */
  downgrade?: string;
  /** Version directory relative to the project (default migrations/versions). */
  dir?: string;
}

export type EnvKind = 'sync' | 'async' | 'env-url' | 'hostile' | 'bypass';

export interface ProjectSpec {
  /** Source of app/models.py; must define Base. */
  models?: string;
  env?: EnvKind;
  revisions: RevisionSpec[];
  /** Extra lines for the [alembic] section of alembic.ini. */
  ini?: string;
  venv?: string;
}

const MODELS_DEFAULT = `from sqlalchemy.orm import declarative_base

Base = declarative_base()
`;

const ENV_HEAD = `import asyncio
import os
from logging.config import fileConfig

from sqlalchemy import engine_from_config, pool
from alembic import context

from app.models import Base

config = context.config
target_metadata = Base.metadata
`;

const ENV_OFFLINE = `
def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
`;

const ENV_BODIES: Record<EnvKind, string> = {
  sync: `
def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
`,
  'env-url': `
def run_migrations_online():
    from sqlalchemy import create_engine
    connectable = create_engine(os.environ["DATABASE_URL"], poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
`,
  hostile: `
def run_migrations_online():
    from sqlalchemy import create_engine
    # Ignores the configured URL: always the developer's own database.
    connectable = create_engine("postgresql://postgres@127.0.0.1:5432/postgres", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
`,
  bypass: `
def run_migrations_online():
    import psycopg
    from sqlalchemy import create_engine

    # A libpq connection made below every driver entry point the review redirects.
    def raw_connection():
        return psycopg.Connection(psycopg.pq.PGconn.connect(b"host=127.0.0.1 port=5432 dbname=postgres user=postgres"))

    connectable = create_engine("postgresql+psycopg://", creator=raw_connection, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
`,
  async: `
from sqlalchemy.ext.asyncio import async_engine_from_config


def do_run_migrations(connection):
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations():
    connectable = async_engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


def run_migrations_online():
    asyncio.run(run_async_migrations())
`,
};

const ENV_TAIL = `
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
`;

function pyRepr(value: string | string[] | null | undefined): string {
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value))
    return `(${value.map((v) => `'${v}'`).join(', ')}${value.length === 1 ? ',' : ''})`;
  return `'${value}'`;
}

function indent(body: string): string {
  return body
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

export function revisionSource(spec: RevisionSpec): string {
  return `"""${spec.message ?? `revision ${spec.id}`}

Revision ID: ${spec.id}
"""
from alembic import op
import sqlalchemy as sa

revision = '${spec.id}'
down_revision = ${pyRepr(spec.down)}
branch_labels = ${pyRepr(spec.branchLabels)}
depends_on = ${pyRepr(spec.dependsOn)}


def upgrade():
${indent(spec.upgrade)}


def downgrade():
${indent(spec.downgrade ?? 'pass')}
`;
}

export class AlembicProject {
  readonly dir: string;
  private readonly files = new Map<string, string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  write(relative: string, content: string): void {
    const file = path.join(this.dir, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    this.files.set(relative, content);
  }

  revisionPath(spec: RevisionSpec): string {
    return `${spec.dir ?? 'migrations/versions'}/${spec.id}_rev.py`;
  }

  addRevision(spec: RevisionSpec): string {
    const relative = this.revisionPath(spec);
    this.write(relative, revisionSource(spec));
    return relative;
  }

  /** 1-based line of the first line containing `needle` in a project file. */
  lineOf(relative: string, needle: string): number {
    const lines = readFileSync(path.join(this.dir, relative), 'utf8').split('\n');
    const index = lines.findIndex((l) => l.includes(needle));
    if (index === -1) throw new Error(`${needle} not in ${relative}`);
    return index + 1;
  }

  async git(...args: string[]): Promise<string> {
    const result = await execa('git', args, {
      cwd: this.dir,
      env: {
        GIT_AUTHOR_NAME: 'test',
        GIT_AUTHOR_EMAIL: 'test@example.com',
        GIT_COMMITTER_NAME: 'test',
        GIT_COMMITTER_EMAIL: 'test@example.com',
      },
    });
    return result.stdout;
  }

  async commit(message: string): Promise<void> {
    await this.git('add', '-A');
    await this.git('commit', '-q', '-m', message);
  }

  /** Switches to a new `pr` branch, applies the change and commits it. */
  async pullRequest(change: (project: AlembicProject) => void): Promise<void> {
    await this.git('checkout', '-q', '-b', 'pr');
    change(this);
    await this.commit('the change under review');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A committed base project on `main`. */
export async function makeProject(spec: ProjectSpec): Promise<AlembicProject> {
  const project = new AlembicProject(mkdtempSync(path.join(tmpdir(), 'ar-project-')));
  // mkdtemp makes it 0700: the review runs the project's code as an unprivileged user when it can.
  chmodSync(project.dir, 0o755);
  const env = spec.env ?? 'sync';
  project.write(
    'alembic.ini',
    `[alembic]
script_location = migrations
prepend_sys_path = .
sqlalchemy.url = ${env === 'async' ? 'postgresql+asyncpg' : 'postgresql'}://localhost/placeholder
${spec.ini ?? ''}
`,
  );
  project.write('app/__init__.py', '');
  project.write('app/models.py', spec.models ?? MODELS_DEFAULT);
  project.write('migrations/env.py', ENV_HEAD + ENV_OFFLINE + ENV_BODIES[env] + ENV_TAIL);
  project.write('.gitignore', '.venv\n__pycache__/\n');
  for (const revision of spec.revisions) project.addRevision(revision);
  symlinkSync(spec.venv ?? VENV, path.join(project.dir, '.venv'));
  await project.git('init', '-q', '-b', 'main');
  await project.commit('base');
  return project;
}
