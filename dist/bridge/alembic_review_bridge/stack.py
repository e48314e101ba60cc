"""The project's Python stack: Alembic, SQLAlchemy and the PostgreSQL drivers."""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys

from .protocol import BridgeError


@contextlib.contextmanager
def libraries_importing():
    """The collector paused while the libraries import (a tenth of their
    import time is spent collecting module objects that all live on), and
    what they made frozen out of later collections. Libraries only: the
    project's code runs with the collector as it found it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def import_stack():
    try:
        import alembic  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as error:
        raise BridgeError(
            "python",
            "%s: the Python at %s cannot import it (%s)"
            % (getattr(error, "name", None) or "alembic", sys.executable, error),
        )


_DISTRIBUTIONS = {"psycopg2": ("psycopg2", "psycopg2-binary"), "psycopg": ("psycopg",)}


def version_of(module_name):
    """The installed version of a module's package, without importing it
    (importing asyncpg alone costs a fifth of a second)."""
    import importlib.util

    try:
        if importlib.util.find_spec(module_name) is None:
            return None
    except (ImportError, ValueError):
        return None
    try:
        import importlib.metadata as metadata
    except ImportError:  # Python < 3.8
        return "unknown"
    for distribution in _DISTRIBUTIONS.get(module_name, (module_name,)):
        try:
            return metadata.version(distribution)
        except Exception:
            continue
    return "unknown"


# The oldest versions the bridge is tested with (Alembic 1.8 still supports SQLAlchemy 1.3).
OLDEST_ALEMBIC = (1, 8)
OLDEST_SQLALCHEMY = (1, 3)


def _version_tuple(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


def check_versions():
    """Exit 2 up front, naming what was found, below the supported floor."""
    import alembic
    import sqlalchemy

    for name, found, oldest in (
        ("Alembic", alembic.__version__, OLDEST_ALEMBIC),
        ("SQLAlchemy", sqlalchemy.__version__, OLDEST_SQLALCHEMY),
    ):
        if _version_tuple(found) < oldest:
            raise BridgeError(
                "python",
                "%s %s is installed in the project's Python (%s); alembic-review supports %s %s and newer "
                "(with Alembic %s and SQLAlchemy %s as the oldest pair). Upgrade it in the project, or pass "
                "--python with an interpreter that has a supported version"
                % (
                    name, found, sys.executable, name, ".".join(map(str, oldest)),
                    ".".join(map(str, OLDEST_ALEMBIC)), ".".join(map(str, OLDEST_SQLALCHEMY)),
                ),
                cause="version",
            )


def cmd_hello(_args, _emit):
    with libraries_importing():
        import_stack()
    import alembic
    import sqlalchemy

    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "alembic": alembic.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "drivers": {
            "psycopg": version_of("psycopg"),
            "psycopg2": version_of("psycopg2"),
            "asyncpg": version_of("asyncpg"),
        },
        "cwd": os.getcwd(),
    }

def sync_driver():
    import sqlalchemy

    major = int(sqlalchemy.__version__.split(".")[0])
    if major >= 2 and version_of("psycopg"):
        return "psycopg"
    if version_of("psycopg2"):
        return "psycopg2"
    if version_of("psycopg"):
        return "psycopg"
    raise BridgeError(
        "python",
        "no PostgreSQL driver: the Python at %s has neither psycopg (3) nor psycopg2 installed" % sys.executable,
    )


def own_engine_args(url):
    """(url, create_engine kwargs) of the tool's own synchronous engine: a sync
    driver, else asyncpg in SQLAlchemy's synchronous fallback mode (an async-only
    project; SQLAlchemy 1.4 and 2.0 have it)."""
    try:
        return with_driver(url, sync_driver()), {}
    except BridgeError:
        import sqlalchemy

        if not version_of("asyncpg") or _version_tuple(sqlalchemy.__version__) >= (2, 1):
            raise BridgeError(
                "python",
                "no synchronous PostgreSQL driver: the Python at %s has neither psycopg (3) nor psycopg2, which the "
                "review's models database and ORM smoke test connect with (SQLAlchemy %s has no synchronous mode for "
                "asyncpg)" % (sys.executable, sqlalchemy.__version__),
            )
        _thread_event_loop()
        own = with_driver(url, "asyncpg")
        return own + ("&" if "?" in own else "?") + "async_fallback=true", {}


def _thread_event_loop():
    """The fallback mode runs each call in this thread's event loop: one must be
    set (asyncio.run, as an async env.py calls it, leaves none behind)."""
    import asyncio

    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if not loop.is_closed():
            return
    except RuntimeError:
        pass
    asyncio.set_event_loop(asyncio.new_event_loop())


def async_driver():
    """The async driver for an async engine whose URL names none."""
    if version_of("asyncpg"):
        return "asyncpg"
    if version_of("psycopg"):
        return "psycopg_async"
    raise BridgeError(
        "python",
        "no async PostgreSQL driver: the Python at %s has neither asyncpg nor psycopg (3) installed" % sys.executable,
    )


def choose_driver(configured_url, env_py_text, requested):
    """The SQLAlchemy driver env.py expects: an explicit option, the driver of
    the configured URL, asyncpg for async env.py files, else a sync one."""
    if requested:
        return requested
    if configured_url:
        match = re.match(r"^postgres(?:ql)?\+(\w+)://", configured_url)
        if match:
            return match.group(1)
    if env_py_text and re.search(r"async_engine_from_config|create_async_engine|AsyncEngine", env_py_text):
        if version_of("asyncpg"):
            return "asyncpg"
        return "psycopg_async" if version_of("psycopg") else "asyncpg"
    return sync_driver()


def with_driver(url, driver):
    rest = url.split("://", 1)[1]
    return "postgresql+%s://%s" % (driver, rest)


# The DBAPI package behind each SQLAlchemy PostgreSQL driver name.
_DBAPI_PACKAGES = {
    "psycopg2": "psycopg2",
    "psycopg": "psycopg",
    "psycopg_async": "psycopg",
    "asyncpg": "asyncpg",
    "pg8000": "pg8000",
}


def cmd_prewarm(args, _emit):
    """Imports the libraries the first env.py run imports anyway (the ORM and
    the project's driver: half a second on a small project), while the tool
    is still preparing the database and this process would sit idle. Libraries
    only, never the project's code; a library that fails to import here fails
    again, with its message, where the project imports it. Then the loaded
    project's files start being read for model classes, in the background."""
    import importlib
    import time

    from . import model_scan
    from .project import PROJECT

    started = time.time()
    imported = []
    with libraries_importing():
        for name in ("sqlalchemy.orm", "sqlalchemy.dialects.postgresql", _DBAPI_PACKAGES.get(args.get("driver") or "")):
            if not name:
                continue
            try:
                importlib.import_module(name)
                imported.append(name)
            except Exception:  # noqa: BLE001 - reported where the project imports it
                pass
    if PROJECT.script is not None:
        model_scan.start()
    return {"imported": imported, "durationMs": round((time.time() - started) * 1000.0)}
