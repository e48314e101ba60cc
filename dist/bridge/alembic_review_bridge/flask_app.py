"""Flask-Migrate / Flask-SQLAlchemy projects: the app found the way `flask db`
finds it, and its app context around every command that runs project code.

Flask-Migrate's env.py reads the engine and the metadata from `current_app`;
`flask db upgrade` finds the app through FLASK_APP (or .flaskenv / .env),
else wsgi.py or app.py with an `app` object or a `create_app()` factory.
"""

from __future__ import annotations

import contextlib
import os
import re

from .protocol import BridgeError, UnsafeDatabase

_FLASK_ENV_PY = re.compile(r"\bcurrent_app\b|\bflask_migrate\b|^\s*(from|import)\s+flask\b", re.M)


class FlaskState(object):
    def __init__(self):
        self.app = None


FLASK = FlaskState()


def uses_flask(env_text, requested):
    return bool(requested) or bool(_FLASK_ENV_PY.search(env_text or ""))


def load_app(requested):
    """The Flask app as `flask db` finds it; a BridgeError with cause flask-app
    when there is none."""
    try:
        from flask.cli import NoAppException, ScriptInfo, load_dotenv
    except ImportError as error:
        raise BridgeError(
            "env",
            "env.py uses Flask (current_app / Flask-Migrate), but the project's Python cannot import flask (%s)"
            % error,
            cause="module",
            module="flask",
        )
    # Like `flask db`: .flaskenv and .env (when python-dotenv is installed); set variables win.
    try:
        load_dotenv()
    except Exception:
        pass
    import_path = requested or os.environ.get("FLASK_APP")
    info = ScriptInfo(app_import_path=import_path)
    try:
        app = info.load_app()
    except UnsafeDatabase:
        raise
    except NoAppException as error:
        raise BridgeError(
            "env",
            "the Flask app was not found: %s" % str(error).strip().splitlines()[0],
            cause="flask-app",
            tried=import_path or "wsgi.py, app.py",
        )
    FLASK.app = app
    return app


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
