"""Flask-Migrate / Flask-SQLAlchemy projects: the app found the way `flask db`
finds it, and its app context around every command that runs project code.

Flask-Migrate's env.py reads the engine and the metadata from `current_app`;
`flask db upgrade` finds the app through FLASK_APP (or .flaskenv / .env),
else wsgi.py or app.py with an `app` object or a `create_app()` factory.
Projects that run Flask-Migrate from a script of their own (a FlaskGroup in
manage.py) have none of these: then the project's one top-level package or
module that provides a `create_app()` / `make_app()` factory is the app.

Like `flask db`, the project directory goes on sys.path before the revision
files are loaded (they often import the app's package), and the app is
created before env.py runs. Creating the app may already use its database
(create it, create_all + stamp, even upgrade it): the app is created in a
throwaway database of its own, never in a database the review replays.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys

from .protocol import BridgeError, UnsafeDatabase

_FLASK_ENV_PY = re.compile(r"\bcurrent_app\b|\bflask_migrate\b|^\s*(from|import)\s+flask\b", re.M)
_FACTORY = re.compile(r"^\s*(?:def\s+(?:create_app|make_app)\s*\(|from\s+\S+\s+import\s+.*\b(?:create_app|make_app)\b)", re.M)
_NOT_THE_APP = frozenset(["setup", "conftest", "manage", "tests", "test", "migrations", "docs", "scripts"])


class FlaskState(object):
    def __init__(self):
        self.uses = False
        self.requested = None
        self.app = None
        self.found = None  # how the app was found, for the progress line


FLASK = FlaskState()


def uses_flask(env_text, requested):
    return bool(requested) or bool(_FLASK_ENV_PY.search(env_text or ""))


def _import_flask_cli():
    try:
        from flask import cli
    except ImportError as error:
        raise BridgeError(
            "env",
            "env.py uses Flask (current_app / Flask-Migrate), but the project's Python cannot import flask (%s)"
            % error,
            cause="module",
            module="flask",
        )
    return cli


def prepare(requested):
    """Before the revision files are loaded: .flaskenv / .env and sys.path, as `flask db` sets them up."""
    cli = _import_flask_cli()
    FLASK.uses = True
    FLASK.requested = requested
    # Like `flask db`: .flaskenv and .env (when python-dotenv is installed); set variables win.
    try:
        cli.load_dotenv()
    except Exception:
        pass
    import_path = requested or os.environ.get("FLASK_APP")
    if import_path:
        try:
            cli.prepare_import(import_path.split(":", 1)[0])
        except Exception:
            pass
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())


def _factory_modules(directory):
    """Top-level packages and modules of the project that provide an app factory."""
    found = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isdir(path):
            source, module = os.path.join(path, "__init__.py"), name
        elif name.endswith(".py"):
            source, module = path, name[:-3]
        else:
            continue
        if module in _NOT_THE_APP or module.startswith((".", "_")) or not module.isidentifier():
            continue
        try:
            with io.open(source, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except (IOError, OSError):
            continue
        if _FACTORY.search(text):
            found.append(module)
    return found


def _load(cli):
    """The app, and how it was found."""
    import_path = FLASK.requested or os.environ.get("FLASK_APP")
    try:
        return cli.ScriptInfo(app_import_path=import_path).load_app(), import_path or "wsgi.py / app.py"
    except cli.NoAppException as error:
        if import_path:
            raise BridgeError(
                "env",
                "the Flask app was not found: %s" % str(error).strip().splitlines()[0],
                cause="flask-app",
                tried=import_path,
            )
        first = error
    candidates = _factory_modules(os.getcwd())
    if len(candidates) == 1:
        try:
            return cli.ScriptInfo(app_import_path=candidates[0]).load_app(), "%s (its app factory)" % candidates[0]
        except cli.NoAppException:
            pass
    raise BridgeError(
        "env",
        "the Flask app was not found: %s" % str(first).strip().splitlines()[0],
        cause="flask-app",
        tried="FLASK_APP, .flaskenv, wsgi.py, app.py"
        + (", the packages with an app factory (%s)" % ", ".join(candidates) if candidates else ""),
    )


def create(config):
    """Creates the app (inside whatever database step the caller set up) and
    applies Flask-Migrate's @migrate.configure callbacks to config."""
    cli = _import_flask_cli()
    try:
        FLASK.app, FLASK.found = _load(cli)
    except (UnsafeDatabase, BridgeError):
        raise
    except Exception as error:
        from .causes import classify
        import traceback

        raise BridgeError(
            "env",
            "creating the Flask app failed: %s: %s" % (type(error).__name__, error),
            traceback=traceback.format_exc(),
            **classify(error)
        )
    return configure_callbacks(config)


def configure_callbacks(config):
    """Flask-Migrate's @migrate.configure callbacks, as `flask db` applies them."""
    app = FLASK.app
    migrate = getattr(app, "extensions", {}).get("migrate") if app is not None else None
    target = getattr(migrate, "migrate", None)
    if target is not None and hasattr(target, "call_configure_callbacks"):
        with app.app_context():
            return target.call_configure_callbacks(config) or config
    return config


def app_context():
    """The app context the migrations run in (nothing for a plain project)."""
    if FLASK.app is None:
        return contextlib.nullcontext()
    return FLASK.app.app_context()
