// Projects as real teams write them, one per pattern, each with a pull
// request: env.py files that build their URL themselves, cached settings and
// module-level engines, a Flask-Migrate app factory, an Alembic Config built
// in code, named ini sections, a history that only create_all + stamp can
// start, a re-parented revision, a required secret setting, SQLAlchemy 1.3.
// Their env.py files never use the URL the review gives: the review must
// redirect their engines.
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { AlembicProject, revisionSource, type RevisionSpec } from '../helpers/alembic-project.ts';

export interface Stack {
  name: string;
  venv: string;
}

/** The blog's tables: users and posts (declarative models, SQLAlchemy 1.3 to 2.x). */
export function blogModels(
  extraUserColumns = '',
  declarativeImport = 'from sqlalchemy.orm import declarative_base',
): string {
  return `from sqlalchemy import Column, ForeignKey, Integer, String
${declarativeImport}

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False, unique=True)
${extraUserColumns}

class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    author_id = Column(Integer, ForeignKey("users.id"), nullable=False)
`;
}

export const NICKNAME = '    nickname = Column(String(50))\n';

export const CREATE_BLOG: RevisionSpec = {
  id: 'a1a1a1a1a1a1',
  message: 'create users and posts',
  upgrade: `op.create_table('users',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('email', sa.String(255), nullable=False, unique=True))
op.create_table('posts',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('title', sa.String(200), nullable=False),
    sa.Column('author_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False))`,
  downgrade: "op.drop_table('posts')\nop.drop_table('users')",
};

/** The pull request of most fixtures: a nullable column, declared in the model too. */
export const ADD_NICKNAME: RevisionSpec = {
  id: 'b2b2b2b2b2b2',
  down: 'a1a1a1a1a1a1',
  message: 'add nickname to users',
  upgrade: "op.add_column('users', sa.Column('nickname', sa.String(50), nullable=True))",
  downgrade: "op.drop_column('users', 'nickname')",
};

/** env.py's usual body around a connectable that the project made itself. */
function envWithEngine(head: string, engine: string): string {
  return `from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool
${head}

config = context.config
target_metadata = Base.metadata


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = ${engine}
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
`;
}

const INI = (extra = '') => `[alembic]
script_location = migrations
prepend_sys_path = .
${extra}
`;

async function start(venv: string): Promise<AlembicProject> {
  const project = new AlembicProject(mkdtempSync(path.join(tmpdir(), 'ar-real-')));
  project.write('.gitignore', '.venv\n__pycache__/\ninstance/\n');
  project.write('app/__init__.py', '');
  symlinkSync(venv, path.join(project.dir, '.venv'));
  await project.git('init', '-q', '-b', 'main');
  return project;
}

async function withPullRequest(
  project: AlembicProject,
  change: (p: AlembicProject) => void,
): Promise<AlembicProject> {
  await project.commit('base');
  await project.pullRequest(change);
  return project;
}

/** Settings from parts (POSTGRES_SERVER, POSTGRES_USER, …) in a validating settings class read from .env. */
export async function urlFromParts(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  project.write(
    'app/config.py',
    `import os


class SettingsError(ValueError):
    pass


class Settings:
    """Like a pydantic-settings class: fields from the environment, then .env; required ones must be set."""

    required = ("POSTGRES_SERVER", "POSTGRES_USER", "POSTGRES_DB")

    def __init__(self, env_file=".env"):
        values = {"POSTGRES_PORT": "5432", "POSTGRES_PASSWORD": ""}
        if os.path.exists(env_file):
            with open(env_file) as handle:
                for line in handle:
                    if "=" in line and not line.lstrip().startswith("#"):
                        key, _, value = line.strip().partition("=")
                        values[key] = value
        values.update((k, v) for k, v in os.environ.items() if k.startswith("POSTGRES_"))
        missing = [name for name in self.required if not values.get(name)]
        if missing:
            raise SettingsError("missing settings: %s" % ", ".join(missing))
        self.values = values

    @property
    def SQLALCHEMY_DATABASE_URI(self):
        v = self.values
        return "postgresql://%s:%s@%s:%s/%s" % (
            v["POSTGRES_USER"], v["POSTGRES_PASSWORD"], v["POSTGRES_SERVER"], v["POSTGRES_PORT"], v["POSTGRES_DB"])


settings = Settings()
`,
  );
  project.write(
    '.env',
    'POSTGRES_SERVER=db\nPOSTGRES_USER=app\nPOSTGRES_PASSWORD=changethis\nPOSTGRES_DB=app\n',
  );
  project.write('app/models.py', blogModels());
  project.write(
    'migrations/env.py',
    envWithEngine(
      'from sqlalchemy import engine_from_config\n\nfrom app.config import settings\nfrom app.models import Base',
      `engine_from_config(
        {"sqlalchemy.url": settings.SQLALCHEMY_DATABASE_URI}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )`,
    ),
  );
  project.addRevision(CREATE_BLOG);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels(NICKNAME));
    p.addRevision(ADD_NICKNAME);
  });
}

/** @lru_cache settings and a module-level engine with a pool, imported by env.py; the PR fails only with rows. */
export async function cachedSettings(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  project.write(
    'app/settings.py',
    `import os
from functools import lru_cache


class Settings:
    def __init__(self):
        self.database_url = os.environ.get("DATABASE_URL", "postgresql://app:app@localhost:5432/app")


@lru_cache()
def get_settings():
    return Settings()
`,
  );
  project.write(
    'app/db.py',
    `from sqlalchemy import create_engine

from app.settings import get_settings

# Created once, at import; its pool keeps connections between uses.
engine = create_engine(get_settings().database_url, pool_pre_ping=True)
`,
  );
  project.write('app/models.py', blogModels());
  project.write(
    'migrations/env.py',
    envWithEngine('from app.db import engine\nfrom app.models import Base', 'engine'),
  );
  project.addRevision(CREATE_BLOG);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels('    display_name = Column(String(100), nullable=False)\n'));
    p.addRevision({
      id: 'c3c3c3c3c3c3',
      down: 'a1a1a1a1a1a1',
      message: 'add display_name to users',
      upgrade: "op.add_column('users', sa.Column('display_name', sa.String(100), nullable=False))",
      downgrade: "op.drop_column('users', 'display_name')",
    });
  });
}

/** The blog's tables as Flask-SQLAlchemy models of the package `pkg`. */
function flaskModels(pkg: string, extraUserColumns: string): string {
  return `from ${pkg} import db


class User(db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255), nullable=False, unique=True)
${extraUserColumns}

class Post(db.Model):
    __tablename__ = "posts"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
`;
}

/** A Flask app factory with Flask-SQLAlchemy (sqlite by default) and `flask db init`'s migrations directory. */
export async function flaskMigrate(
  stack: Stack,
  { writesSecretKey = false }: { writesSecretKey?: boolean } = {},
): Promise<AlembicProject> {
  const project = await start(stack.venv);
  // Like CTFd: without SECRET_KEY the app writes one into its own package on creation.
  const secretKey = writesSecretKey
    ? `    key_file = os.path.join(os.path.dirname(__file__), ".secret_key")
    if not os.path.exists(key_file):
        with open(key_file, "w") as f:
            f.write(os.urandom(16).hex())
`
    : '';
  const models = (extra: string): string => flaskModels('blog', extra);
  project.write(
    'blog/__init__.py',
    `import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()


def create_app():
${secretKey}    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///blog.db")
    db.init_app(app)
    migrate.init_app(app, db)
    from blog import models  # noqa: F401

    return app
`,
  );
  project.write('blog/models.py', models(''));
  project.write('wsgi.py', 'from blog import create_app\n\napp = create_app()\n');
  // The migrations directory exactly as `flask db init` of this Flask-Migrate writes it.
  await execa(path.join(stack.venv, 'bin/flask'), ['--app', 'wsgi', 'db', 'init'], { cwd: project.dir });
  const flaskRevision = (spec: RevisionSpec): void => {
    project.write(`migrations/versions/${spec.id}_rev.py`, revisionSource(spec));
  };
  flaskRevision(CREATE_BLOG);
  await project.commit('base');
  await project.pullRequest((p) => {
    p.write('blog/models.py', models('    nickname = db.Column(db.String(50))\n'));
    p.write(`migrations/versions/${ADD_NICKNAME.id}_rev.py`, revisionSource(ADD_NICKNAME));
  });
  return project;
}

/**
 * A Flask app that makes its database when it is created (like CTFd): on its
 * default SQLite URL by create_all() + stamp, else by running the migrations.
 * No wsgi.py or app.py: the project runs Flask-Migrate from manage.py (a
 * FlaskGroup), the app factory is its package's; the revision files import
 * that package.
 */
export async function flaskAppMakesItsDatabase(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  const models = (extra: string): string => flaskModels('shop', extra);
  project.write(
    'shop/__init__.py',
    `import os

from flask import Flask
from flask_migrate import Migrate, stamp, upgrade
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()
MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "migrations")


def create_app():
    app = Flask(__name__)
    url = os.environ.get("DATABASE_URL", "sqlite:///shop.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    from shop import models  # noqa: F401

    # A database is made when the app starts: SQLite by create_all + stamp, the others by the migrations.
    with app.app_context():
        if url.startswith("sqlite"):
            db.create_all()
            stamp(directory=MIGRATIONS)
        else:
            upgrade(directory=MIGRATIONS)
    return app
`,
  );
  project.write('shop/limits.py', 'NICKNAME_LENGTH = 50\n');
  project.write('shop/models.py', models(''));
  project.write(
    'manage.py',
    'from flask.cli import FlaskGroup\n\nfrom shop import create_app\n\ncli = FlaskGroup(create_app=create_app)\n\nif __name__ == "__main__":\n    cli()\n',
  );
  // `flask db init` with a bare app (the real one wants its migrations directory already).
  project.write(
    'bare_app.py',
    'from flask import Flask\nfrom flask_migrate import Migrate\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\napp.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"\nMigrate(app, SQLAlchemy(app))\n',
  );
  await execa(path.join(stack.venv, 'bin/flask'), ['--app', 'bare_app', 'db', 'init'], { cwd: project.dir });
  rmSync(path.join(project.dir, 'bare_app.py'));
  project.write(`migrations/versions/${CREATE_BLOG.id}_rev.py`, revisionSource(CREATE_BLOG));
  await project.commit('base');
  await project.pullRequest((p) => {
    p.write('shop/models.py', models('    nickname = db.Column(db.String(50))\n'));
    p.write(
      `migrations/versions/${ADD_NICKNAME.id}_rev.py`,
      `from shop.limits import NICKNAME_LENGTH\n${revisionSource({
        ...ADD_NICKNAME,
        upgrade: "op.add_column('users', sa.Column('nickname', sa.String(NICKNAME_LENGTH), nullable=True))",
      })}`,
    );
  });
  return project;
}

/**
 * Like Prefect: an async-only project (asyncpg, no synchronous driver) whose
 * env.py runs only in a worker thread of the project's own event loop
 * (anyio.from_thread.run) and picks its version location by the dialect of
 * its settings' URL (SQLite by default) when it runs: alembic.ini has none.
 */
export async function eventLoopWorkerThread(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  project.write(
    'app/settings.py',
    'import os\n\nDATABASE_URL = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///app.db")\n',
  );
  project.write('app/models.py', blogModels());
  project.write(
    'app/upgrade.py',
    `"""How the project migrates: from its own event loop, Alembic in a worker thread."""
import anyio
import anyio.to_thread
from alembic import command
from alembic.config import Config


def upgrade():
    anyio.run(anyio.to_thread.run_sync, lambda: command.upgrade(Config("alembic.ini"), "head"))
`,
  );
  project.write(
    'migrations/env.py',
    `import os

from alembic import context
from anyio import from_thread
from sqlalchemy.ext.asyncio import create_async_engine

from app import settings
from app.models import Base

config = context.config
target_metadata = Base.metadata
DIALECT = "postgresql" if settings.DATABASE_URL.startswith("postgresql") else "sqlite"
VERSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "versions", DIALECT)


def do_run_migrations(connection):
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def apply_migrations():
    context.script.version_locations = [VERSIONS]
    engine = create_async_engine(settings.DATABASE_URL)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.script.version_locations = [VERSIONS]
    context.configure(url=settings.DATABASE_URL, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    from_thread.run(apply_migrations)
`,
  );
  project.addRevision({ ...CREATE_BLOG, dir: 'migrations/versions/postgresql' });
  project.addRevision({ ...CREATE_BLOG, id: 'e1e1e1e1e1e1', dir: 'migrations/versions/sqlite' });
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels(NICKNAME));
    p.addRevision({ ...ADD_NICKNAME, dir: 'migrations/versions/postgresql' });
    p.addRevision({
      ...ADD_NICKNAME,
      id: 'f2f2f2f2f2f2',
      down: 'e1e1e1e1e1e1',
      dir: 'migrations/versions/sqlite',
    });
  });
}

/** No alembic.ini: a function builds the Config, with two version locations (core and billing). */
export async function configFactory(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write(
    'app/migrations/config.py',
    `import os

from alembic.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))


def alembic_config():
    config = Config()
    config.set_main_option("script_location", HERE)
    config.set_main_option("version_path_separator", "space")
    config.set_main_option(
        "version_locations", "%s %s" % (os.path.join(HERE, "versions"), os.path.join(HERE, "billing"))
    )
    return config
`,
  );
  project.write('app/migrations/__init__.py', '');
  project.write('app/models.py', blogModels());
  project.write(
    'app/migrations/env.py',
    envWithEngine(
      'from sqlalchemy import create_engine\n\nfrom app.models import Base',
      'create_engine("postgresql://app@localhost/app", poolclass=pool.NullPool)',
    ),
  );
  project.write(
    'pyproject.toml',
    '[tool.alembic-review]\nconfig-factory = "app.migrations.config:alembic_config"\n',
  );
  project.addRevision({ ...CREATE_BLOG, dir: 'app/migrations/versions' });
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels(NICKNAME));
    p.addRevision({ ...ADD_NICKNAME, dir: 'app/migrations/billing' });
  });
}

/** An alembic.ini with only named sections ([core], [tenant]); the review picks one with ini-section. */
export async function namedSections(
  stack: Stack,
  reviewSettings = 'ini-section = "core"\nx-arg = ["tenant=acme"]\n',
  change: 'core' | 'both' | 'models' = 'core',
): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write(
    'alembic.ini',
    `[core]
script_location = migrations/core
prepend_sys_path = .
sqlalchemy.url = postgresql://app@localhost/core

[tenant]
script_location = migrations/tenant
prepend_sys_path = .
sqlalchemy.url = postgresql://app@localhost/tenant
`,
  );
  if (reviewSettings !== '') project.write('pyproject.toml', `[tool.alembic-review]\n${reviewSettings}`);
  project.write('app/models.py', blogModels());
  const env = envWithEngine(
    `from sqlalchemy import engine_from_config

from app.models import Base

# The tenant comes from \`alembic -x tenant=...\`, as multi-tenant projects pass it.
if context.get_x_argument(as_dictionary=True).get("tenant") != "acme":
    raise SystemExit("pass -x tenant=acme")`,
    'engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)',
  );
  project.write('migrations/core/env.py', env);
  project.write('migrations/tenant/env.py', env);
  project.write('migrations/tenant/versions/.keep', '');
  project.addRevision({ ...CREATE_BLOG, dir: 'migrations/core/versions' });
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels(NICKNAME));
    if (change !== 'models') p.addRevision({ ...ADD_NICKNAME, dir: 'migrations/core/versions' });
    if (change === 'both')
      p.addRevision({ ...CREATE_BLOG, id: 'c5c5c5c5c5c5', dir: 'migrations/tenant/versions' });
  });
}

/**
 * A template alembic.ini that the project fills in code before use
 * (script_location = {alembic_dir}, sqlalchemy.url = {db_url}), like
 * JupyterHub's: no function returns the Config.
 */
export async function templateIni(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('app/alembic.ini', '[alembic]\nscript_location = {alembic_dir}\nsqlalchemy.url = {db_url}\n');
  project.write(
    'app/dbutil.py',
    `import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def upgrade(db_url):
    # A complete alembic.ini from the template, then alembic with it.
    with open(os.path.join(HERE, "alembic.ini")) as handle:
        template = handle.read()
    with tempfile.TemporaryDirectory() as folder:
        ini = os.path.join(folder, "alembic.ini")
        with open(ini, "w") as handle:
            handle.write(template.format(alembic_dir=os.path.join(HERE, "alembic"), db_url=db_url))
        subprocess.check_call(["alembic", "-c", ini, "upgrade", "head"])
`,
  );
  project.write('app/models.py', blogModels());
  project.write(
    'app/alembic/env.py',
    envWithEngine(
      'import sys\n\nsys.path.insert(0, ".")\nfrom sqlalchemy import engine_from_config\n\nfrom app.models import Base',
      'engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)',
    ),
  );
  project.write('app/alembic/script.py.mako', '# ${message}\n');
  project.addRevision({ ...CREATE_BLOG, dir: 'app/alembic/versions' });
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels(NICKNAME));
    p.addRevision({ ...ADD_NICKNAME, dir: 'app/alembic/versions' });
  });
}

/**
 * Fresh databases come from create_all() + `alembic stamp head`: the first
 * revision alters a table no revision creates, so the history does not replay
 * from an empty database.
 */
/** Models with users.bio, whose first revision adds bio: only create_all makes the tables it alters. */
function createAllHistory(project: AlembicProject, modelsHead = ''): (extra: string) => string {
  project.write('alembic.ini', INI());
  const models = (extra: string) => blogModels(`    bio = Column(String(500))\n${extra}`);
  project.write('app/models.py', modelsHead + models(''));
  project.write(
    'migrations/env.py',
    envWithEngine(
      'from sqlalchemy import create_engine\n\nfrom app.models import Base',
      'create_engine("postgresql://app@localhost/app", poolclass=pool.NullPool)',
    ),
  );
  project.addRevision({
    id: 'a1a1a1a1a1a1',
    message: 'add bio to users (the tables came from create_all)',
    upgrade: "op.add_column('users', sa.Column('bio', sa.String(500)))",
    downgrade: "op.drop_column('users', 'bio')",
  });
  return models;
}

export async function createAllAndStamp(stack: Stack, reviewSettings = ''): Promise<AlembicProject> {
  const project = await start(stack.venv);
  if (reviewSettings !== '') project.write('pyproject.toml', `[tool.alembic-review]\n${reviewSettings}`);
  const models = createAllHistory(project);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', models(NICKNAME));
    p.addRevision(ADD_NICKNAME);
  });
}

/** The PR edits a revision that already exists (no new one): it now adds a NOT NULL column. */
export async function editedRevision(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  const models = (bio: string) => blogModels(`    bio = Column(String(500)${bio})\n`);
  project.write('app/models.py', models(''));
  project.write(
    'migrations/env.py',
    envWithEngine(
      'from sqlalchemy import create_engine\n\nfrom app.models import Base',
      'create_engine("postgresql://app@localhost/app", poolclass=pool.NullPool)',
    ),
  );
  project.addRevision(CREATE_BLOG);
  const bio: RevisionSpec = {
    id: 'd4d4d4d4d4d4',
    down: 'a1a1a1a1a1a1',
    message: 'add bio to users',
    upgrade: "op.add_column('users', sa.Column('bio', sa.String(500)))",
    downgrade: "op.drop_column('users', 'bio')",
  };
  project.addRevision(bio);
  project.addRevision({ ...ADD_NICKNAME, id: 'e6e6e6e6e6e6', down: bio.id });
  return withPullRequest(project, (p) => {
    p.write('app/models.py', models(', nullable=False').replace(NICKNAME, ''));
    p.addRevision({
      ...bio,
      upgrade: "op.add_column('users', sa.Column('bio', sa.String(500), nullable=False))",
    });
  });
}

/**
 * A history that does not replay from empty (its first revision alters a
 * table only create_all makes), made in two commits, and a PR that edits the
 * revision of the second: the base must be below it. `brokenFirst`: the
 * first commit's code no longer imports (a dependency moved on), so its
 * models cannot give that base and the base commit's are downgraded instead.
 */
export async function editedAboveModelsBase(stack: Stack, brokenFirst = false): Promise<AlembicProject> {
  const project = await start(stack.venv);
  const models = createAllHistory(project, brokenFirst ? 'import no_longer_installed  # noqa\n' : '');
  await project.commit('bio');
  project.write('app/models.py', models(NICKNAME));
  project.addRevision(ADD_NICKNAME);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', models(NICKNAME.replace('String(50))', 'String(50), nullable=False)')));
    p.addRevision({
      ...ADD_NICKNAME,
      upgrade: "op.add_column('users', sa.Column('nickname', sa.String(50), nullable=False))",
    });
  });
}

/** The PR inserts a revision before one that already existed (re-pointing its down_revision). */
export async function reparented(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  const models = (extra: string) => blogModels(`    bio = Column(String(500))\n${extra}`);
  project.write('app/models.py', models(''));
  project.write(
    'migrations/env.py',
    envWithEngine(
      'import os\n\nfrom sqlalchemy import create_engine\n\nfrom app.models import Base',
      'create_engine(os.environ.get("DATABASE_URL", "postgresql://localhost/app"), poolclass=pool.NullPool)',
    ),
  );
  project.addRevision(CREATE_BLOG);
  const bio: RevisionSpec = {
    id: 'd4d4d4d4d4d4',
    down: 'a1a1a1a1a1a1',
    message: 'add bio to users',
    upgrade: "op.add_column('users', sa.Column('bio', sa.String(500)))",
    downgrade: "op.drop_column('users', 'bio')",
  };
  project.addRevision(bio);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', models(NICKNAME));
    p.addRevision(ADD_NICKNAME);
    p.addRevision({ ...bio, down: ADD_NICKNAME.id });
  });
}

/** Settings that require SECRET_KEY from the environment (the review passes it with pass-env). */
export async function requiredSecret(
  stack: Stack,
  reviewSettings = 'pass-env = ["SECRET_KEY"]\n',
): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  if (reviewSettings !== '') project.write('pyproject.toml', `[tool.alembic-review]\n${reviewSettings}`);
  project.write(
    'app/settings.py',
    `import os

SECRET_KEY = os.environ["SECRET_KEY"]
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://app@localhost/app")
`,
  );
  project.write('app/models.py', blogModels());
  project.write(
    'migrations/env.py',
    envWithEngine(
      'from sqlalchemy import create_engine\n\nfrom app import settings\nfrom app.models import Base',
      'create_engine(settings.DATABASE_URL, poolclass=pool.NullPool)',
    ),
  );
  project.addRevision(CREATE_BLOG);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels(NICKNAME));
    p.addRevision(ADD_NICKNAME);
  });
}

/**
 * Settings that read the environment only and require several values, kept
 * with placeholders in a committed .env.example (what docker compose's
 * env_file or a `cp .env.example .env` gives the project).
 */
export async function settingsFromDotenv(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  project.write('pyproject.toml', '[tool.alembic-review]\ndotenv = [".env.example"]\n');
  project.write(
    '.env.example',
    '# copy to .env\nexport SECRET_KEY=changethis\nPOSTGRES_SERVER=db\nPOSTGRES_USER="app"\nAPP_MODE=local\n',
  );
  project.write(
    'app/settings.py',
    `import os

SECRET_KEY = os.environ["SECRET_KEY"]
DATABASE_URL = "postgresql://%s@%s/app" % (os.environ["POSTGRES_USER"], os.environ["POSTGRES_SERVER"])
APP_MODE = os.environ["APP_MODE"]
`,
  );
  project.write('app/models.py', blogModels());
  project.write(
    'migrations/env.py',
    envWithEngine(
      'from sqlalchemy import create_engine\n\nfrom app import settings\nfrom app.models import Base',
      'create_engine(settings.DATABASE_URL, poolclass=pool.NullPool)',
    ),
  );
  project.addRevision(CREATE_BLOG);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels(NICKNAME));
    // The revision checks the mode it runs in.
    p.write(
      `migrations/versions/${ADD_NICKNAME.id}_rev.py`,
      revisionSource({
        ...ADD_NICKNAME,
        upgrade: `from app import settings\nassert settings.APP_MODE in ("local", "ci"), settings.APP_MODE\nop.execute("SELECT '%s'" % settings.APP_MODE)\n${ADD_NICKNAME.upgrade}`,
      }),
    );
  });
}

/** A plain project on SQLAlchemy 1.3 (declarative_base from sqlalchemy.ext.declarative). */
export async function sqlalchemy13(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  const declarative = 'from sqlalchemy.ext.declarative import declarative_base';
  project.write('alembic.ini', INI('sqlalchemy.url = postgresql://app@localhost/app'));
  project.write('app/models.py', blogModels('', declarative));
  project.write(
    'migrations/env.py',
    envWithEngine(
      'from sqlalchemy import engine_from_config\n\nfrom app.models import Base',
      'engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)',
    ),
  );
  project.addRevision(CREATE_BLOG);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels(NICKNAME, declarative));
    p.addRevision(ADD_NICKNAME);
  });
}

/** An async env.py around a module-level async engine made from cached settings (asyncpg, pooled). */
export async function asyncCachedEngine(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  project.write(
    'app/db.py',
    `import os
from functools import lru_cache

from sqlalchemy.ext.asyncio import create_async_engine


@lru_cache()
def database_url():
    return os.environ.get("DATABASE_URL", "postgresql+asyncpg://app:app@db:5432/app")


engine = create_async_engine(database_url())
`,
  );
  project.write('app/models.py', blogModels());
  project.write(
    'migrations/env.py',
    `import asyncio

from alembic import context

from app.db import engine
from app.models import Base

config = context.config
target_metadata = Base.metadata


def do_run_migrations(connection):
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations():
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)


asyncio.run(run_async_migrations())
`,
  );
  project.addRevision(CREATE_BLOG);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', blogModels('    display_name = Column(String(100), nullable=False)\n'));
    p.addRevision({
      id: 'c3c3c3c3c3c3',
      down: 'a1a1a1a1a1a1',
      message: 'add display_name to users',
      upgrade: "op.add_column('users', sa.Column('display_name', sa.String(100), nullable=False))",
      downgrade: "op.drop_column('users', 'display_name')",
    });
  });
}

/** Settings that require DATABASE_URL at import time and refuse a URL with a +driver (the review sets it with url-env). */
export async function requiredUrl(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  project.write('pyproject.toml', '[tool.alembic-review]\nurl-env = ["DATABASE_URL"]\n');
  project.write(
    'app/settings.py',
    `import os

DATABASE_URL = os.environ["DATABASE_URL"]
if not DATABASE_URL.startswith("postgresql://"):
    raise ValueError("DATABASE_URL must be a postgresql:// URL, got %r" % DATABASE_URL)
`,
  );
  // The models import the settings: they are read when the revision files are loaded.
  project.write('app/models.py', `from app import settings  # noqa: F401\n${blogModels()}`);
  project.write(
    'migrations/env.py',
    envWithEngine(
      'from sqlalchemy import create_engine\n\nfrom app import settings\nfrom app.models import Base',
      'create_engine(settings.DATABASE_URL, poolclass=pool.NullPool)',
    ),
  );
  project.addRevision(CREATE_BLOG);
  return withPullRequest(project, (p) => {
    p.write('app/models.py', `from app import settings  # noqa: F401\n${blogModels(NICKNAME)}`);
    p.write(
      `migrations/versions/${ADD_NICKNAME.id}_rev.py`,
      `import app.models  # noqa: F401\n${revisionSource(ADD_NICKNAME)}`,
    );
  });
}

/** Models of a schema-per-tenant project: a core table in its own schema, a schema-less tenant table. */
function tenantModels(extraProjectColumns = ''): string {
  return `from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Organization(Base):
    __tablename__ = "organization"
    __table_args__ = {"schema": "app_core"}
    id = Column(Integer, primary_key=True)
    slug = Column(String(50), nullable=False, unique=True)


class Project(Base):
    __tablename__ = "project"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    organization_id = Column(Integer, ForeignKey("app_core.organization.id"))
    description = Column(String(500))
${extraProjectColumns}`;
}

/**
 * Schema per tenant, in Netflix/dispatch's shape: env.py migrates every schema
 * whose name starts with tenant_ (search_path set to it, the version table in
 * it, the core schema's tables left out by include_object); the models of the
 * tenant tables have no schema. The first revision is `pass` (tenants come
 * from create_all + stamp), so the history does not replay from empty. The
 * PR adds a nullable column and a NOT NULL one without a default.
 * `replayable`: the first revision creates the tables instead, so the base is
 * replayed (and cached).
 */
export async function schemaPerTenant(
  stack: Stack,
  { replayable = false }: { replayable?: boolean } = {},
): Promise<AlembicProject> {
  const project = await start(stack.venv);
  project.write('alembic.ini', INI());
  project.write('app/models.py', tenantModels());
  project.write(
    'migrations/env.py',
    `from alembic import context
from sqlalchemy import create_engine, inspect, pool, text

from app.models import Base

config = context.config
target_metadata = Base.metadata


def get_tenant_schemas(connection):
    return [s for s in inspect(connection).get_schema_names() if s.startswith("tenant_")]


def include_object(object, name, type_, reflected, compare_to):
    if type_ == "table" and object.schema:
        return False
    return True


def run_migrations_online():
    connectable = create_engine("postgresql://app@localhost/app", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        for schema in get_tenant_schemas(connection):
            connection.execute(text('set search_path to "%s"' % schema))
            if hasattr(connection, "commit"):
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                include_object=include_object,
                version_table_schema=schema,
            )
            with context.begin_transaction():
                context.run_migrations()


if context.is_offline_mode():
    pass
else:
    run_migrations_online()
`,
  );
  project.addRevision({
    id: 'a1a1a1a1a1a1',
    message: 'tenant base',
    upgrade: replayable
      ? `op.execute('CREATE SCHEMA IF NOT EXISTS app_core')
op.create_table('organization',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('slug', sa.String(50), nullable=False, unique=True), schema='app_core')
op.create_table('project',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('name', sa.String(200), nullable=False),
    sa.Column('organization_id', sa.Integer(), sa.ForeignKey('app_core.organization.id')))`
      : 'pass',
  });
  project.addRevision({
    id: 'b1b1b1b1b1b1',
    down: 'a1a1a1a1a1a1',
    message: 'add description to project',
    upgrade: "op.add_column('project', sa.Column('description', sa.String(500)))",
    downgrade: "op.drop_column('project', 'description')",
  });
  return withPullRequest(project, (p) => {
    p.write(
      'app/models.py',
      tenantModels('    summary = Column(String(200))\n    priority = Column(Integer, nullable=False)\n'),
    );
    p.addRevision({
      id: 'c3c3c3c3c3c3',
      down: 'b1b1b1b1b1b1',
      message: 'add summary to project',
      upgrade: "op.add_column('project', sa.Column('summary', sa.String(200), nullable=True))",
      downgrade: "op.drop_column('project', 'summary')",
    });
    p.addRevision({
      id: 'd4d4d4d4d4d4',
      down: 'c3c3c3c3c3c3',
      message: 'add priority to project',
      upgrade: "op.add_column('project', sa.Column('priority', sa.Integer(), nullable=False))",
      downgrade: "op.drop_column('project', 'priority')",
    });
  });
}

/** A revision of the multidb template: upgrade(engine_name) calls upgrade_<name>() of each database. */
function multidbRevision(
  id: string,
  down: string | null,
  perDatabase: Record<string, [string, string]>,
): string {
  const functions = Object.entries(perDatabase)
    .map(
      ([name, [up, downgrade]]) =>
        `def upgrade_${name}():\n    ${up}\n\n\ndef downgrade_${name}():\n    ${downgrade}\n`,
    )
    .join('\n\n');
  return `"""revision ${id}

Revision ID: ${id}
"""
from alembic import op
import sqlalchemy as sa

revision = '${id}'
down_revision = ${down === null ? 'None' : `'${down}'`}
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


${functions}`;
}

const MULTIDB_MODELS = (nickname: string, indexed: string) => `from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

UsersBase = declarative_base()
BillingBase = declarative_base()


class User(UsersBase):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False)
${nickname}

class Invoice(BillingBase):
    __tablename__ = "invoices"
    id = Column(Integer, primary_key=True)
    number = Column(String(40), nullable=False${indexed})


users_metadata = UsersBase.metadata
billing_metadata = BillingBase.metadata
`;

/**
 * Alembic's multidb template (\`alembic init -t multidb\`): two databases,
 * users_db and billing_db, each with its own models; the PR's revision adds
 * a NOT NULL column in users_db and an index in billing_db.
 */
export async function multidb(stack: Stack): Promise<AlembicProject> {
  const project = await start(stack.venv);
  await execa(path.join(stack.venv, 'bin/alembic'), ['init', '-t', 'multidb', 'multi'], { cwd: project.dir });
  const ini = readFileSync(path.join(project.dir, 'alembic.ini'), 'utf8')
    .replace(/^script_location = .*$/m, 'script_location = multi')
    .replace(/^databases = .*$/m, 'databases = users_db, billing_db')
    .replace(
      '[engine1]\nsqlalchemy.url = driver://user:pass@localhost/dbname',
      '[users_db]\nsqlalchemy.url = postgresql://app@localhost/users',
    )
    .replace(
      '[engine2]\nsqlalchemy.url = driver://user:pass@localhost/dbname2',
      '[billing_db]\nsqlalchemy.url = postgresql://app@localhost/billing',
    );
  project.write('alembic.ini', ini);
  const env = readFileSync(path.join(project.dir, 'multi/env.py'), 'utf8').replace(
    /^target_metadata = \{\}$/m,
    'from app.models import billing_metadata, users_metadata\n\ntarget_metadata = {"users_db": users_metadata, "billing_db": billing_metadata}',
  );
  project.write('multi/env.py', env);
  project.write('app/models.py', MULTIDB_MODELS('', ''));
  project.write(
    'multi/versions/a1a1a1a1a1a1_tables.py',
    multidbRevision('a1a1a1a1a1a1', null, {
      users_db: [
        "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('email', sa.String(255), nullable=False))",
        "op.drop_table('users')",
      ],
      billing_db: [
        "op.create_table('invoices', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('number', sa.String(40), nullable=False))",
        "op.drop_table('invoices')",
      ],
    }),
  );
  return withPullRequest(project, (p) => {
    p.write(
      'app/models.py',
      MULTIDB_MODELS('    nickname = Column(String(50), nullable=False)\n', ', index=True'),
    );
    p.write(
      'multi/versions/b2b2b2b2b2b2_nickname_and_index.py',
      multidbRevision('b2b2b2b2b2b2', 'a1a1a1a1a1a1', {
        users_db: [
          "op.add_column('users', sa.Column('nickname', sa.String(50), nullable=False))",
          "op.drop_column('users', 'nickname')",
        ],
        billing_db: [
          "op.create_index('ix_invoices_number', 'invoices', ['number'])",
          "op.drop_index('ix_invoices_number', 'invoices')",
        ],
      }),
    );
  });
}
