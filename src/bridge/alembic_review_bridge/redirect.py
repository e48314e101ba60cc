"""Engine redirection: every database connection the project's code opens goes
to the throwaway database of the current step.

Real env.py files build their URL themselves (from settings parts, a cached
settings object, an app factory's engine) and ignore the one the tool gives.
So instead of trusting the URL, the connections are redirected where they are
made:

- SQLAlchemy's engine factories (create_engine and its re-exports,
  engine_from_config, and through them create_async_engine and
  async_engine_from_config) keep the project's PostgreSQL driver, and turn a
  URL of another database (Flask apps often default to sqlite) into PostgreSQL
  with the detected driver, without that dialect's own arguments;
- the `do_connect` dialect event sets host, port, database, user and password
  of every new connection to the current step's database, so that engines made
  at import time or cached in a module follow each step;
- a pool `checkout` listener makes a pool reconnect instead of handing out a
  connection to an earlier step's database;
- raw driver connects (psycopg2, psycopg 3, asyncpg) are redirected the same
  way, patched when the driver is first imported.

Outside of a command there is no current database: a connection attempt then
fails instead of going anywhere. The statement gate of capture.py stays the
last line of defence.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import sys
import threading
import weakref

from .protocol import UnsafeDatabase

_STATE = {"target": None, "key": 0, "sync_driver": None, "async_driver": None}
_OWN = threading.local()
_ENGINES = weakref.WeakSet()
_OWN_DIALECTS = weakref.WeakSet()  # of the tool's own engines: their connections pass unchanged
_ORIGINALS = {}
_INSTALLED = []

# Connection parameters that say where to connect: replaced by the current step's.
_LOCATION = (
    "host", "hostaddr", "port", "dbname", "database", "user", "username", "password", "passfile", "service",
    "servicefile", "dsn", "sslmode", "sslcert", "sslkey", "sslrootcert", "sslpassword", "ssl", "direct_tls",
    "target_session_attrs", "krbsrvname", "gsslib",
)
# create_engine() arguments that mean the same for every dialect; the others
# belong to the dialect the project named (sqlite's connect_args, StaticPool).
_GENERIC_ENGINE_ARGS = frozenset(
    [
        "echo", "echo_pool", "future", "pool_pre_ping", "isolation_level", "json_serializer",
        "json_deserializer", "execution_options", "pool_recycle", "pool_timeout", "pool_size", "max_overflow",
        "hide_parameters", "logging_name", "pool_logging_name", "pool_reset_on_return", "pool_use_lifo",
        "query_cache_size", "insertmanyvalues_page_size", "label_length", "paramstyle", "poolclass",
        "strategy", "implicit_returning", "enable_from_linting",
    ]
)
_SQLITE_POOLS = ("StaticPool", "SingletonThreadPool")


class Target(object):
    """Where connections go now: the parts of the throwaway database's URL."""

    def __init__(self, url):
        from sqlalchemy.engine.url import make_url

        parsed = make_url(url)
        self.host = parsed.host
        self.port = parsed.port or 5432
        self.database = parsed.database
        self.user = parsed.username
        self.password = parsed.password

    def describe(self):
        return "%s on %s:%s" % (self.database, self.host, self.port)


def current():
    return _STATE["target"]


@contextlib.contextmanager
def step(url):
    """Connections made inside go to the database at url; afterwards the
    project's engines are disposed, so that no connection stays open on it."""
    previous = _STATE["target"], _STATE["key"]
    _STATE["target"] = Target(url) if url else None
    _STATE["key"] = previous[1] + 1
    try:
        yield
    finally:
        dispose_engines()
        _STATE["target"] = previous[0]
        _STATE["key"] = _STATE["key"] + 1


def dispose_engines():
    for engine in list(_ENGINES):
        if getattr(engine.dialect, "is_async", False):
            # Closing async connections needs their event loop, gone by now;
            # the checkout listener keeps them from being reused.
            continue
        try:
            engine.dispose()
        except Exception:
            pass


def _require_target(what):
    target = _STATE["target"]
    if target is None:
        raise UnsafeDatabase(
            "the project's code opened a database connection (%s) while no migration command was running, "
            "for example while its modules were being imported; alembic-review lets it connect only while "
            "env.py runs, and then only to the throwaway database" % what
        )
    return target


@contextlib.contextmanager
def own_connections():
    """Connections of the tool's own engines pass unchanged (the models
    command reads the migrated head while its own step is the models database)."""
    previous = getattr(_OWN, "active", False)
    _OWN.active = True
    try:
        yield
    finally:
        _OWN.active = previous


def _is_own():
    return getattr(_OWN, "active", False)


def own_engine(url, **kwargs):
    """An engine of the tool's own: its connections go where url says, while
    the project's code that runs meanwhile (ORM events, a Flask-SQLAlchemy
    session) is still redirected."""
    with own_connections():
        engine = _ORIGINALS.get("create_engine", _plain_create_engine())(url, **kwargs)
    _OWN_DIALECTS.add(engine.dialect)
    return engine


def _plain_create_engine():
    from sqlalchemy import create_engine

    return getattr(create_engine, "__wrapped__", create_engine)


# -- connection parameters ------------------------------------------------------


def _located(params, target, database_key):
    kept = dict((k, v) for k, v in params.items() if k not in _LOCATION)
    kept["host"] = target.host
    kept["port"] = target.port
    kept[database_key] = target.database
    if target.user is not None:
        kept["user"] = target.user
    if target.password is not None:
        kept["password"] = target.password
    return kept


def _parse_conninfo(dsn):
    """A libpq connection string or URI as a dict (psycopg 3 or psycopg2)."""
    if not dsn:
        return {}
    try:
        from psycopg.conninfo import conninfo_to_dict

        return dict(conninfo_to_dict(dsn))
    except ImportError:
        pass
    from psycopg2.extensions import parse_dsn

    return dict(parse_dsn(dsn))


def _on_do_connect(dialect, conn_rec, cargs, cparams):
    if _is_own() or dialect in _OWN_DIALECTS:
        if conn_rec is not None:
            conn_rec.info["alembic_review_step"] = "own"
        if _is_own():
            return None
        # The driver's own connect is patched too: connect here, as the tool.
        with own_connections():
            return dialect.connect(*cargs, **cparams)
    if dialect.name != "postgresql":
        return None
    target = _require_target("SQLAlchemy engine %s" % dialect.driver)
    params = dict(cparams)
    if cargs and isinstance(cargs[0], str):
        merged = _parse_conninfo(cargs[0])
        merged.update(params)
        params = merged
        del cargs[:]
    database_key = "database" if dialect.driver in ("asyncpg", "pg8000") else "dbname"
    cparams.clear()
    cparams.update(_located(params, target, database_key))
    if conn_rec is not None:
        conn_rec.info["alembic_review_step"] = _STATE["key"]
    return None


def _on_pool_connect(dbapi_connection, connection_record):
    if connection_record is not None:
        connection_record.info.setdefault("alembic_review_step", "own" if _is_own() else _STATE["key"])


def _on_checkout(dbapi_connection, connection_record, connection_proxy):
    stamp = connection_record.info.get("alembic_review_step")
    if stamp == "own" or stamp == _STATE["key"]:
        return
    from sqlalchemy.exc import DisconnectionError

    # A connection to an earlier step's database: the pool reconnects.
    raise DisconnectionError("connection to an earlier step's database")


# -- the engine factories --------------------------------------------------------


def _default_driver_missing(url):
    """postgresql:// without a driver means psycopg2, which may not be installed."""
    return importlib.util.find_spec("psycopg2") is None


def _with_drivername(url, drivername):
    if hasattr(url, "set"):
        return url.set(drivername=drivername)
    import copy

    changed = copy.copy(url)
    changed.drivername = drivername
    return changed


def rewrite_engine_args(url, kwargs):
    """(url, kwargs) for PostgreSQL: the project's driver when its URL is
    PostgreSQL, else the detected one, without the other dialect's arguments."""
    from sqlalchemy.engine.url import make_url

    parsed = make_url(url)
    is_async = bool(kwargs.get("_is_async"))
    backend = parsed.get_backend_name() if hasattr(parsed, "get_backend_name") else parsed.drivername.split("+")[0]
    if backend in ("postgresql", "postgres"):
        if "+" not in parsed.drivername and (is_async or _default_driver_missing(parsed)):
            parsed = _with_drivername(parsed, "postgresql+%s" % _driver(is_async))
        elif parsed.drivername.startswith("postgres+") or parsed.drivername == "postgres":
            parsed = _with_drivername(parsed, parsed.drivername.replace("postgres", "postgresql", 1))
        return parsed, kwargs
    replaced = make_url("postgresql+%s://alembic-review-redirected/alembic_review" % _driver(is_async))
    kept = {}
    for key, value in kwargs.items():
        if key.startswith("_") or key in _GENERIC_ENGINE_ARGS:
            if key == "poolclass" and getattr(value, "__name__", "") in _SQLITE_POOLS:
                continue
            kept[key] = value
    return replaced, kept


def _driver(is_async):
    key = "async_driver" if is_async else "sync_driver"
    if _STATE[key] is None:
        from .stack import async_driver, sync_driver

        _STATE[key] = async_driver() if is_async else sync_driver()
    return _STATE[key]


def _patched_create_engine(original):
    def create_engine(url, *args, **kwargs):
        if _is_own() or kwargs.get("strategy") == "mock":
            return original(url, *args, **kwargs)
        url, kwargs = rewrite_engine_args(url, kwargs)
        engine = original(url, *args, **kwargs)
        try:
            _ENGINES.add(engine)
        except TypeError:
            pass
        return engine

    create_engine.__wrapped__ = original
    create_engine.__doc__ = original.__doc__
    return create_engine


def original_create_engine():
    return _ORIGINALS["create_engine"]


def _patch_engine_factories():
    import sqlalchemy
    import sqlalchemy.engine as engine_package

    try:
        from sqlalchemy.engine import create as create_module  # SQLAlchemy 1.4 and 2.x
    except ImportError:  # SQLAlchemy 1.3: the factories live in sqlalchemy.engine
        create_module = engine_package
    original = create_module.create_engine
    _ORIGINALS["create_engine"] = original
    patched = _patched_create_engine(original)
    # engine_from_config calls its module's create_engine; create_async_engine
    # imports sqlalchemy.engine's when sqlalchemy.ext.asyncio is first imported.
    for module in (create_module, engine_package, sqlalchemy):
        if getattr(module, "create_engine", None) is original:
            module.create_engine = patched
    asyncio_engine = sys.modules.get("sqlalchemy.ext.asyncio.engine")
    if asyncio_engine is not None and getattr(asyncio_engine, "_create_engine", None) is original:
        asyncio_engine._create_engine = patched


def _listen():
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    event.listen(Engine, "do_connect", _on_do_connect)
    event.listen(Pool, "connect", _on_pool_connect)
    event.listen(Pool, "checkout", _on_checkout)


# -- raw driver connects ---------------------------------------------------------

_FACTORY_ARGS = {
    "psycopg2": ("connection_factory", "cursor_factory", "async", "async_"),
    "psycopg": ("autocommit", "prepare_threshold", "context", "row_factory", "cursor_factory"),
}


def _redirect_conninfo(driver, dsn, kwargs):
    """The keyword arguments of a libpq connect, located at the current step."""
    target = _require_target("%s.connect" % driver)
    factory = dict((k, v) for k, v in kwargs.items() if k in _FACTORY_ARGS[driver])
    params = _parse_conninfo(dsn) if isinstance(dsn, str) else {}
    params.update((k, v) for k, v in kwargs.items() if k not in _FACTORY_ARGS[driver] and v is not None)
    located = _located(params, target, "dbname")
    located.update(factory)
    return located


def _patch_psycopg2(module):
    original = module.connect

    def connect(dsn=None, connection_factory=None, cursor_factory=None, **kwargs):
        if _is_own():
            return original(dsn, connection_factory=connection_factory, cursor_factory=cursor_factory, **kwargs)
        kwargs.update(connection_factory=connection_factory, cursor_factory=cursor_factory)
        return original(**_redirect_conninfo("psycopg2", dsn, kwargs))

    module.connect = connect


def _patch_psycopg_class(cls, is_async):
    original = cls.__dict__["connect"].__func__

    if is_async:

        async def connect(klass, conninfo="", **kwargs):
            if _is_own():
                return await original(klass, conninfo, **kwargs)
            return await original(klass, "", **_redirect_conninfo("psycopg", conninfo, kwargs))

    else:

        def connect(klass, conninfo="", **kwargs):
            if _is_own():
                return original(klass, conninfo, **kwargs)
            return original(klass, "", **_redirect_conninfo("psycopg", conninfo, kwargs))

    cls.connect = classmethod(connect)


def _patch_psycopg(module):
    _patch_psycopg_class(module.Connection, False)
    _patch_psycopg_class(module.AsyncConnection, True)
    module.connect = module.Connection.connect


def _patch_asyncpg(module):
    connection_module = importlib.import_module("asyncpg.connection")
    original = connection_module.connect

    async def connect(dsn=None, **kwargs):
        if _is_own():
            return await original(dsn, **kwargs)
        target = _require_target("asyncpg.connect")
        kept = dict((k, v) for k, v in kwargs.items() if k not in _LOCATION)
        kept.update(host=target.host, port=target.port, database=target.database)
        if target.user is not None:
            kept["user"] = target.user
        if target.password is not None:
            kept["password"] = target.password
        return await original(**kept)

    connection_module.connect = connect
    module.connect = connect


_DRIVER_PATCHES = {"psycopg2": _patch_psycopg2, "psycopg": _patch_psycopg, "asyncpg": _patch_asyncpg}


class _DriverImportHook(importlib.abc.MetaPathFinder):
    """Patches a driver right after its package is first imported, so that
    drivers the project does not use are never imported."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _DRIVER_PATCHES or fullname in _ORIGINALS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original_exec = loader.exec_module

        def exec_module(module, _original=original_exec, _name=fullname):
            _original(module)
            _patch_driver(_name, module)

        try:
            loader.exec_module = exec_module
        except AttributeError:
            return spec
        return spec


def _patch_driver(name, module):
    if name in _ORIGINALS:
        return
    _ORIGINALS[name] = True
    _DRIVER_PATCHES[name](module)


def install():
    """Before any project code is imported: patch the factories and listen."""
    if _INSTALLED:
        return
    _patch_engine_factories()
    _listen()
    for name in _DRIVER_PATCHES:
        if name in sys.modules:
            _patch_driver(name, sys.modules[name])
    sys.meta_path.insert(0, _DriverImportHook())
    _INSTALLED.append(True)
