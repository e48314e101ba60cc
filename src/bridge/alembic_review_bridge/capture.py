"""Statement capture and the throwaway-database gate.

Every statement any SQLAlchemy engine executes passes through one gate: before
it runs, the connection's database must be the throwaway database the tool
created for this command (checked by name and by a random token stored as the
database's comment); otherwise the statement is refused and the command aborts.
While a revision runs, each statement is recorded with the revision line that
emitted it, the locks it acquired and the tables it rewrote.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time

from .project import PROJECT
from .project import VERSION_TABLE_DEFAULT
from .protocol import BridgeError, UnsafeDatabase
from .stack import own_engine_args
TOKEN_PREFIX = "alembic-review:"


class Capture(object):
    """Per-command state of the SQLAlchemy event hooks."""

    # Only relations that existed when the revisions started running (oid at
    # most the ceiling taken then) matter: locks on what the change itself
    # creates block nobody, and in one long transaction they would pile up.
    # Their names and storage are read once, when the first revision starts.
    RELATIONS_SQL = (
        "SELECT c.oid, n.nspname, c.relname, c.relkind, c.relfilenode FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'"
    )
    LOCKS_SQL = (
        "SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' "
        "AND granted AND relation <= {ceiling}"
    )
    FILENODES_SQL = "SELECT oid, relfilenode FROM pg_class WHERE oid IN ({oids})"

    def __init__(self, expect, capture, version_table=VERSION_TABLE_DEFAULT):
        self.expect = expect  # {"name", "token"} or None (no database use allowed)
        self.capture = capture
        self.version_table = version_table
        self.step = None  # revision id while a migration step runs
        self.step_statements = []
        self.preamble = []
        self.pending = None  # (start time, origin) of the statement running now
        self.filenodes = None  # oid -> relfilenode of the existing tables, as last seen
        self.held = {}  # (oid, mode) held by the current transaction
        self.oid_ceiling = None  # highest relation oid before the first revision ran
        self.relations = {}  # oid -> (display name, relkind, name) of those relations
        self.tables_by_name = {}  # lower-case name -> oids of those that are tables
        self.oids_by_name = {}  # lower-case name -> oids of all of them
        self.lock_timeout = None  # in force now, once read
        self.lock_timeout_stale = True
        self.revision_lock_timeout = None  # in force when the current revision started
        self.failed_statement = None
        self.unsafe = None
        self.batch_origin = None  # (file, line) of the batch_op.* call whose statements run now

    # -- the gate ----------------------------------------------------------

    def verify(self, dbapi_connection, info):
        if info.get("alembic_review_verified"):
            return
        if self.expect is None:
            raise UnsafeDatabase("no database may be used by this command")
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(
                "SELECT current_database(), shobj_description(d.oid, 'pg_database'), "
                "coalesce(host(inet_server_addr()), 'local socket'), inet_server_port() "
                "FROM pg_database d WHERE d.datname = current_database()"
            )
            row = cursor.fetchone()
        finally:
            cursor.close()
        name, comment = (row[0], row[1]) if row else (None, None)
        if name != self.expect["name"] or comment != TOKEN_PREFIX + self.expect["token"]:
            self.unsafe = (
                "the project's code connected to database %r on %s port %s, not to the throwaway database %r "
                "that alembic-review created for this step; no statement was executed there. Every SQLAlchemy "
                "engine and every psycopg, psycopg2 and asyncpg connect the project makes is redirected to the "
                "throwaway database, so this connection bypassed them: another driver, or a connection handed "
                "in from outside the review. Let that code take its URL from "
                "config.get_main_option('sqlalchemy.url') or from a url-env variable"
                % (name, row[2] if row else "?", row[3] if row else "?", self.expect["name"])
            )
            raise UnsafeDatabase(self.unsafe)
        info["alembic_review_verified"] = True

    # -- frames --------------------------------------------------------------

    def locate(self):
        """(file, line, from_env, internal) of the statement's origin: the
        innermost frame in a version location, else env.py; internal when
        SQLAlchemy's dialect set-up or Alembic's version bookkeeping ran it.
        While a batch_alter_table block flushes, the batch_op.* call that
        queued the operation."""
        if self.batch_origin is not None:
            return self.batch_origin + (False, False)
        frame = sys._getframe(2)
        version_dirs = PROJECT.version_dirs
        env_py = PROJECT.env_py
        in_env = None
        internal = None
        while frame is not None:
            code = frame.f_code
            if code.co_filename.startswith("<"):
                # Generated code (SQLAlchemy's decorators, Alembic's proxies).
                frame = frame.f_back
                continue
            real = _REALPATHS.get(code.co_filename)
            if real is None:
                real = os.path.realpath(code.co_filename)
                _REALPATHS[code.co_filename] = real
            for d in version_dirs:
                if real.startswith(d + os.sep):
                    return real, frame.f_lineno, False, False
            if internal is None:
                if code.co_name in ("initialize", "first_connect", "on_connect") and _SQLALCHEMY_DIR in real:
                    internal = True
                elif real.endswith(_MIGRATION_PY) and code.co_name != "execute":
                    internal = True
                elif _SQLALCHEMY_DIR not in real and _ALEMBIC_DIR not in real:
                    internal = False
            if in_env is None and real == env_py:
                in_env = (real, frame.f_lineno, True, bool(internal))
            frame = frame.f_back
        return in_env or (None, None, False, bool(internal))

    # -- event handlers -------------------------------------------------------

    def before(self, conn, cursor, statement, parameters, context, executemany):
        dbapi_connection = dbapi_connection_of(conn)
        self.verify(dbapi_connection, conn.connection.info)
        if not self.capture:
            return
        if self.step is not None:
            if self.oid_ceiling is None:
                self._read_database(dbapi_connection)
            if self.lock_timeout_stale:
                self.lock_timeout = self._query(dbapi_connection, "SELECT current_setting('lock_timeout')")[0][0]
                self.lock_timeout_stale = False
            if self.revision_lock_timeout is None:
                self.revision_lock_timeout = self.lock_timeout
        self.pending = (time.time(), self.locate())

    def after(self, conn, cursor, statement, parameters, context, executemany):
        if not self.capture:
            return
        started, where = self.pending or (time.time(), (None, None, False, True))
        self.pending = None
        duration = (time.time() - started) * 1000.0
        file_, line, from_env, internal = where
        if file_ is None or from_env:
            if internal or self.version_table in statement:
                return
            if self.step is None:
                self.preamble.append(self._record(conn, cursor, statement, parameters, duration, file_, line))
            return
        record = self._record(conn, cursor, statement, parameters, duration, file_, line)
        if self.step is not None:
            locks, rewrote = self._locks(conn, statement)
            record["locks"] = locks
            record["rewrote"] = rewrote
            self.step_statements.append(record)
        else:
            self.preamble.append(record)

    def error(self, exception_context):
        # Also without capture (the base replay): which statement failed first.
        cursor = getattr(exception_context, "cursor", None)
        statement = exception_context.statement
        if statement is None:
            return
        started, where = self.pending or (time.time(), self.locate())
        self.pending = None
        original = exception_context.original_exception
        conn = exception_context.connection
        record = {
            "sql": _render(conn, cursor, statement, exception_context.parameters) if conn is not None else statement,
            "file": where[0],
            "line": where[1],
            "durationMs": round((time.time() - started) * 1000.0, 3),
            "locks": [],
            "rewrote": [],
            "error": db_error(original),
        }
        if self.failed_statement is not None and record["error"].get("sqlstate") == "25P02":
            # "current transaction is aborted": the cause is the statement that
            # failed first (migration code that caught its error and went on).
            return
        self.failed_statement = record

    # -- helpers --------------------------------------------------------------

    def _record(self, conn, cursor, statement, parameters, duration, file_, line):
        return {
            "sql": _render(conn, cursor, statement, parameters),
            "file": file_,
            "line": line,
            "durationMs": round(duration, 3),
            "locks": [],
            "rewrote": [],
        }

    @staticmethod
    def _query(dbapi_connection, sql):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _read_database(self, dbapi_connection):
        """When the first revision starts: the highest relation oid, the
        relations that exist (names, kinds, storage), the locks the
        transaction already holds on them."""
        self.oid_ceiling = int(self._query(dbapi_connection, "SELECT max(oid)::bigint FROM pg_class")[0][0])
        self.relations = {}
        self.filenodes = {}
        self.tables_by_name = {}
        self.oids_by_name = {}
        default = PROJECT.default_schema()  # with tenant-schema: the tenant schema, named like public
        for oid, schema, name, kind, filenode in self._query(dbapi_connection, self.RELATIONS_SQL):
            self.relations[oid] = (name if schema == default else "%s.%s" % (schema, name), kind, name)
            self.oids_by_name.setdefault(name.lower(), []).append(oid)
            if kind in ("r", "m", "p"):
                self.filenodes[oid] = int(filenode)
                self.tables_by_name.setdefault(name.lower(), []).append(oid)
        self._read_locks(dbapi_connection)

    def _read_locks(self, dbapi_connection):
        acquired = []
        for oid, mode in self._query(dbapi_connection, self.LOCKS_SQL.replace("{ceiling}", str(self.oid_ceiling))):
            entry = self.relations.get(oid)
            if entry is None or entry[2] in (self.version_table, self.version_table + "_pkc"):
                continue
            if (oid, mode) not in self.held:
                self.held[(oid, mode)] = True
                acquired.append({"relation": entry[0], "mode": mode})
        # pg_locks has no order: by name, so that two runs report the same.
        return sorted(acquired, key=lambda lock: (lock["relation"], lock["mode"]))

    def transaction_ended(self, rolled_back):
        """Locks go with the transaction, SET LOCAL values too; a rollback
        also undoes rewrites (the storage is read again when needed)."""
        self.held = {}
        self.lock_timeout_stale = True
        if rolled_back:
            self.oid_ceiling = None

    def _locks(self, conn, statement):
        """The locks on existing relations this statement acquired, and the
        existing tables it rewrote. pg_locks is asked only when the statement
        can have taken a new lock: it names an existing relation the
        transaction does not yet hold ACCESS EXCLUSIVE, or it may reach tables
        it does not name (DML firing triggers, CASCADE, functions, and the
        foreign keys' other tables: dropping a constraint, a column or a table,
        or changing a column's type, locks the table a foreign key refers to)."""
        text = statement.lower()
        if _SETS_LOCK_TIMEOUT.search(text):
            self.lock_timeout_stale = True
        names = set(_IDENTIFIER.findall(text))
        indirect = _INDIRECT.search(text) is not None
        if not indirect and self.oids_by_name.keys().isdisjoint(names):
            return [], []
        dbapi_connection = dbapi_connection_of(conn)
        named = [oid for name in names for oid in self.oids_by_name.get(name, ())]
        fully_held = bool(named) and all((oid, "AccessExclusiveLock") in self.held for oid in named)
        acquired = [] if fully_held and not indirect else self._read_locks(dbapi_connection)
        return acquired, self._rewritten(dbapi_connection, text, names)

    def _rewritten(self, dbapi_connection, text, names):
        """Existing tables whose storage this statement replaced (only ALTER
        TABLE, CLUSTER, VACUUM FULL and REFRESH can; all need ACCESS EXCLUSIVE)."""
        if _REWRITES.search(text) is None:
            return []
        oids = [
            oid
            for name in names
            for oid in self.tables_by_name.get(name, ())
            if (oid, "AccessExclusiveLock") in self.held
        ]
        if not oids:
            return []
        rewrote = []
        sql = self.FILENODES_SQL.replace("{oids}", ", ".join(str(int(o)) for o in oids))
        for oid, filenode in self._query(dbapi_connection, sql):
            if self.filenodes.get(oid) != filenode:
                rewrote.append(self.relations[oid][0])
                self.filenodes[oid] = filenode
        return rewrote

    def start_step(self, revision):
        self.step = revision
        self.step_statements = []
        self.revision_lock_timeout = None
        self.failed_statement = None
        self.batch_origin = None


class _QueuedOps(list):
    """The operations a `with op.batch_alter_table(...) as batch_op:` block
    queues (BatchOperationsImpl.batch). They run when the block exits, where
    the only revision frame is the `with` line: each queued operation keeps
    the line of its batch_op.* call, and while the batch flushes its
    statements are attributed to that line."""

    def __init__(self, *args):
        list.__init__(self, *args)
        self.origins = [None] * len(self)

    def append(self, item):
        capture = CURRENT["capture"]
        origin = None
        if capture is not None:
            file_, line, from_env, _internal = capture.locate()
            if file_ is not None and not from_env:
                origin = (file_, line)
        self.origins.append(origin)
        list.append(self, item)

    def __iter__(self):
        capture = CURRENT["capture"]
        try:
            for index, item in enumerate(list.__iter__(self)):
                if capture is not None:
                    capture.batch_origin = self.origins[index] if index < len(self.origins) else None
                yield item
        finally:
            # A table "move and copy" runs after the loop: that belongs to the `with` line.
            if capture is not None:
                capture.batch_origin = None


def _queue_batch_ops_with_origins():
    from alembic.operations.batch import BatchOperationsImpl

    original = BatchOperationsImpl.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.batch = _QueuedOps(self.batch)

    BatchOperationsImpl.__init__ = __init__


_REALPATHS = {}
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_$]*")
_REWRITES = re.compile(r"^\s*(alter\s+table|cluster|vacuum|refresh)\b")
_SETS_LOCK_TIMEOUT = re.compile(r"\block_timeout\b|^\s*reset\s+all\b")
_INDIRECT = re.compile(
    r"^\s*(insert|update|delete|merge|select|with|do|call|copy|truncate|drop\s+table)\b|\bcascade\b"
    r"|\bdrop\s+(constraint|column)\b|\balter\s+(column\s+)?\S+\s+(set\s+data\s+)?type\b"
)
_SQLALCHEMY_DIR = os.sep + "sqlalchemy" + os.sep
_ALEMBIC_DIR = os.sep + "alembic" + os.sep
_MIGRATION_PY = os.path.join("alembic", "runtime", "migration.py")
CURRENT = {"capture": None}


def _dispatch(method):
    def handler(*args, **kwargs):
        capture = CURRENT["capture"]
        if capture is None:
            raise UnsafeDatabase("a statement was executed outside of any alembic-review command")
        return getattr(capture, method)(*args, **kwargs)

    return handler


def _transaction_ended(rolled_back):
    def handler(conn):
        capture = CURRENT["capture"]
        if capture is not None:
            capture.transaction_ended(rolled_back)

    return handler


_HOOKS_INSTALLED = []


def install_hooks():
    if _HOOKS_INSTALLED:
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "before_cursor_execute", _dispatch("before"))
    event.listen(Engine, "after_cursor_execute", _dispatch("after"))
    event.listen(Engine, "handle_error", _dispatch("error"))
    event.listen(Engine, "commit", _transaction_ended(False))
    event.listen(Engine, "rollback", _transaction_ended(True))
    _queue_batch_ops_with_origins()
    _HOOKS_INSTALLED.append(True)


def dbapi_connection_of(conn):
    """The driver's connection under a SQLAlchemy Connection (1.4 and 2.x)."""
    fairy = conn.connection
    return fairy.dbapi_connection if hasattr(fairy, "dbapi_connection") else fairy.connection


def _render(conn, cursor, statement, parameters):
    """The statement with its parameters inlined where the driver can do it."""
    if not parameters:
        return statement
    mogrify = getattr(cursor, "mogrify", None)
    try:
        if mogrify is not None:
            rendered = mogrify(statement, parameters)
            return rendered.decode("utf-8") if isinstance(rendered, bytes) else rendered
        try:
            import psycopg

            raw = dbapi_connection_of(conn)
            if isinstance(raw, psycopg.Connection):
                return psycopg.ClientCursor(raw).mogrify(statement, parameters)
        except ImportError:
            pass
    except Exception:
        pass
    return "%s\n-- parameters: %r" % (statement, parameters)


def db_error(exception):
    """Postgres' message and SQLSTATE from whatever the driver raised."""
    if exception is None:
        return {"message": "unknown error"}
    orig = getattr(exception, "orig", None) or exception
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate is None:
        # asyncpg wraps its own exception one level further down.
        inner = getattr(orig, "__cause__", None)
        sqlstate = getattr(inner, "sqlstate", None)
    message = str(orig).strip()
    # Drop SQLAlchemy's trailing "(Background on this error ...)" lines.
    message = message.split("\n[SQL:")[0].strip()
    result = {"message": message}
    if sqlstate:
        result["sqlstate"] = str(sqlstate)
    result.update(_diagnostics(orig))
    return result


def _diagnostics(orig):
    """The constraint, table and column Postgres named in the error (what
    tells whose failure it is), from psycopg/psycopg2's diag or asyncpg's
    exception attributes."""
    diag = getattr(orig, "diag", None)
    inner = getattr(orig, "__cause__", None)
    found = {}
    for key, attr in (("constraint", "constraint_name"), ("table", "table_name"), ("column", "column_name")):
        value = getattr(diag, attr, None) if diag is not None else None
        if value is None and inner is not None:
            value = getattr(inner, attr, None)
        if value:
            found[key] = str(value)
    return found

def describe_error(error):
    """Postgres' message and SQLSTATE for a database error, else the
    exception's type and text (a Python error in the project's code)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError):
        return db_error(error)
    return {"message": "%s: %s" % (type(error).__name__, error)}

@contextlib.contextmanager
def gated_engine(url, expect):
    """A synchronous engine of our own on a throwaway database, behind the
    same statement gate as the project's engines."""
    from sqlalchemy.pool import NullPool

    from .redirect import own_engine

    install_hooks()
    capture = Capture(expect, False)
    previous = CURRENT["capture"]
    CURRENT["capture"] = capture
    # Only this engine's connections are the tool's own: the project's code
    # that runs meanwhile (ORM events, its own sessions) stays redirected.
    own_url, own_args = own_engine_args(url)
    engine = own_engine(own_url, poolclass=NullPool, **own_args)
    try:
        yield engine
    except UnsafeDatabase as error:
        raise BridgeError("unsafe-database", capture.unsafe or str(error))
    finally:
        engine.dispose()
        CURRENT["capture"] = previous
