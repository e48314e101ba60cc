"""alembic-review's Python bridge.

Started by the TypeScript side with the project's own Python, in the project
directory, with a minimal environment. It speaks JSON lines: one request per
line on stdin ({"id", "cmd", "args"}), any number of events and then exactly
one reply per request on the protocol stream ({"id", "ok", "result"|"error"}).

Alembic and SQLAlchemy run only here. Every statement any SQLAlchemy engine
executes passes through one gate: before it runs, the connection's database
must be the throwaway database the tool created for this command (checked by
name and by a random token stored as the database's comment); otherwise the
statement is refused and the command aborts.

Must stay valid Python 3.9, and work with Alembic >= 1.8 / SQLAlchemy >= 1.4.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import sys
import time
import traceback
import warnings

# The protocol owns the real stdout; anything the project prints (env.py,
# migrations, logging) goes to stderr instead, even from C extensions.
_PROTOCOL = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

TOKEN_PREFIX = "alembic-review:"
VERSION_TABLE_DEFAULT = "alembic_version"


def send(message):
    _PROTOCOL.write(json.dumps(message, default=str) + "\n")
    _PROTOCOL.flush()


class BridgeError(Exception):
    """An error with a kind the TypeScript side maps to a message."""

    def __init__(self, kind, message, **extra):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message
        self.extra = extra


class UnsafeDatabase(Exception):
    """Raised by the statement gate: never caught by migration code paths."""


# --------------------------------------------------------------------------
# Imports of the project's stack, reported clearly when missing.


def _import_stack():
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


def _version_of(module_name):
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


def cmd_hello(_args, _emit):
    _import_stack()
    import alembic
    import sqlalchemy

    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "alembic": alembic.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "drivers": {
            "psycopg": _version_of("psycopg"),
            "psycopg2": _version_of("psycopg2"),
            "asyncpg": _version_of("asyncpg"),
        },
        "cwd": os.getcwd(),
    }


# --------------------------------------------------------------------------
# Project configuration and the revision graph.


class Project(object):
    def __init__(self):
        self.config = None
        self.script = None
        self.version_dirs = []
        self.env_py = None
        self.driver = None
        self.configure = None  # the kwargs env.py last passed to context.configure()
        self.metadatas = []  # target_metadata, once the models command ran


PROJECT = Project()


def _sync_driver():
    import sqlalchemy

    major = int(sqlalchemy.__version__.split(".")[0])
    if major >= 2 and _version_of("psycopg"):
        return "psycopg"
    if _version_of("psycopg2"):
        return "psycopg2"
    if _version_of("psycopg"):
        return "psycopg"
    raise BridgeError(
        "python",
        "no PostgreSQL driver: the Python at %s has neither psycopg (3) nor psycopg2 installed" % sys.executable,
    )


def _choose_driver(configured_url, env_py_text, requested):
    """The SQLAlchemy driver env.py expects: an explicit option, the driver of
    the configured URL, asyncpg for async env.py files, else a sync one."""
    if requested:
        return requested
    if configured_url:
        match = re.match(r"^postgres(?:ql)?\+(\w+)://", configured_url)
        if match:
            return match.group(1)
    if env_py_text and re.search(r"async_engine_from_config|create_async_engine|AsyncEngine", env_py_text):
        if _version_of("asyncpg"):
            return "asyncpg"
        return "psycopg_async" if _version_of("psycopg") else "asyncpg"
    return _sync_driver()


def _with_driver(url, driver):
    rest = url.split("://", 1)[1]
    return "postgresql+%s://%s" % (driver, rest)


def _make_config(args):
    from alembic.config import Config

    config_file = args.get("configFile")
    toml_file = args.get("tomlFile")
    section = args.get("iniSection") or "alembic"
    if toml_file:
        try:
            config = Config(config_file or None, toml_file=toml_file, ini_section=section)
        except TypeError:
            raise BridgeError(
                "project",
                "pyproject.toml has [tool.alembic] but Alembic %s does not read it (needs Alembic >= 1.16)"
                % __import__("alembic").__version__,
            )
    else:
        config = Config(config_file, ini_section=section)
    # env.py checks this to decide between online and offline mode.
    config.attributes["alembic_review"] = True
    return config


def _script_option(config, name):
    getter = getattr(config, "get_alembic_option", None)
    if getter is not None:
        return getter(name)
    return config.get_main_option(name)


def _version_locations(script):
    locations = getattr(script, "_version_locations", None) or [os.path.join(script.dir, "versions")]
    return [os.path.realpath(str(p)) for p in locations]


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    return [value]


def _function_ops(tree, name):
    """(called op names, body is only pass/docstring) of a module-level function."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            ops = []
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call):
                    func = sub.func
                    if isinstance(func, ast.Attribute):
                        base = func.value
                        if isinstance(base, ast.Name) and base.id == "op":
                            ops.append({"op": func.attr, "line": sub.lineno})
                        elif isinstance(base, ast.Name) and base.id == "batch_op":
                            ops.append({"op": "batch." + func.attr, "line": sub.lineno})
            trivial = all(
                isinstance(stmt, ast.Pass)
                or (isinstance(stmt, ast.Expr) and isinstance(getattr(stmt, "value", None), ast.Constant))
                for stmt in node.body
            )
            return ops, trivial, node.lineno
    return [], True, None


def _static_facts(path):
    try:
        with io.open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), filename=path)
    except SyntaxError:
        return {}
    up_ops, up_trivial, up_line = _function_ops(tree, "upgrade")
    down_ops, down_trivial, down_line = _function_ops(tree, "downgrade")
    return {
        "upgradeOps": up_ops,
        "upgradeEmpty": up_trivial,
        "upgradeLine": up_line,
        "downgradeOps": down_ops,
        "downgradeEmpty": down_trivial,
        "downgradeLine": down_line,
    }


def _graph_problems(scripts):
    """Duplicate ids, dangling down_revisions and cycles, named by file."""
    by_id = {}
    problems = []
    for s in scripts:
        if s.revision in by_id:
            problems.append(
                "revision id %s is declared twice: %s and %s" % (s.revision, by_id[s.revision].path, s.path)
            )
        else:
            by_id[s.revision] = s
    labels = set()
    for s in scripts:
        labels.update(_as_list(s.branch_labels))

    def resolvable(ref):
        if ref in by_id or ref in labels:
            return True
        return len([r for r in by_id if r.startswith(ref)]) == 1

    for s in scripts:
        for parent in _as_list(s.down_revision):
            if parent not in by_id:
                problems.append(
                    "%s: down_revision %r does not exist (no revision file declares it)" % (s.path, parent)
                )
        for dep in _as_list(getattr(s, "dependencies", None)):
            if not resolvable(dep):
                problems.append("%s: depends_on %r does not exist" % (s.path, dep))
    # Cycle detection over down_revision edges (iterative DFS).
    state = {}
    for start in by_id:
        if state.get(start):
            continue
        stack = [(start, iter(_as_list(by_id[start].down_revision)))]
        state[start] = 1
        path = [start]
        while stack:
            node, children = stack[-1]
            advanced = False
            for child in children:
                if child not in by_id:
                    continue
                if state.get(child) == 1:
                    cycle = path[path.index(child):] + [child]
                    problems.append(
                        "the down_revision chain has a cycle: %s"
                        % " -> ".join("%s (%s)" % (r, by_id[r].path) for r in cycle)
                    )
                    continue
                if not state.get(child):
                    state[child] = 1
                    path.append(child)
                    stack.append((child, iter(_as_list(by_id[child].down_revision))))
                    advanced = True
                    break
            if not advanced:
                state[node] = 2
                path.pop()
                stack.pop()
    return problems


def cmd_load(args, _emit):
    _import_stack()
    from alembic.script import ScriptDirectory

    config = _make_config(args)
    script_location = _script_option(config, "script_location")
    if not script_location:
        raise BridgeError("project", "the Alembic configuration has no script_location")
    try:
        script = ScriptDirectory.from_config(config)
    except Exception as error:
        raise BridgeError("project", "cannot open the migration scripts: %s" % error)
    env_py = os.path.join(script.dir, "env.py")
    if not os.path.exists(env_py):
        raise BridgeError("project", "%s does not exist: the script_location has no env.py" % env_py)

    scripts = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for s in script._load_revisions():
                scripts.append(s)
    except SyntaxError as error:
        raise BridgeError(
            "graph",
            "syntax error in revision file %s, line %s: %s" % (error.filename, error.lineno, error.msg),
            file=error.filename,
            line=error.lineno,
        )
    except Exception as error:
        frame = _innermost_frame(sys.exc_info()[2], _version_locations(script))
        where = "%s, line %s: " % frame if frame else ""
        raise BridgeError(
            "graph",
            "cannot load a revision file: %s%s: %s" % (where, type(error).__name__, error),
            file=frame[0] if frame else None,
            line=frame[1] if frame else None,
        )
    problems = _graph_problems(scripts)
    if problems:
        raise BridgeError("graph", "the revision graph is broken: " + "; ".join(problems))
    # Alembic's revision map from the scripts already loaded: importing every
    # revision file twice costs seconds on a long history.
    from alembic.script.revision import RevisionMap

    script.revision_map = RevisionMap(lambda: iter(scripts))
    try:
        heads = list(script.get_heads())
    except Exception as error:
        raise BridgeError("graph", "the revision graph is broken: %s" % error)

    with io.open(env_py, encoding="utf-8", errors="replace") as handle:
        env_text = handle.read()
    configured_url = config.get_main_option("sqlalchemy.url")
    driver = _choose_driver(configured_url, env_text, args.get("driver"))

    PROJECT.config = config
    PROJECT.script = script
    PROJECT.version_dirs = _version_locations(script)
    PROJECT.env_py = os.path.realpath(env_py)
    PROJECT.driver = driver

    revisions = []
    for s in scripts:
        entry = {
            "id": s.revision,
            "path": os.path.realpath(s.path),
            "downRevisions": _as_list(s.down_revision),
            "dependsOn": _as_list(getattr(s, "dependencies", None)),
            "branchLabels": _as_list(s.branch_labels),
            "message": (s.doc or "").strip(),
        }
        entry.update(_static_facts(s.path))
        revisions.append(entry)
    return {
        "scriptLocation": os.path.realpath(script.dir),
        "versionLocations": PROJECT.version_dirs,
        "envPy": PROJECT.env_py,
        "heads": heads,
        "driver": driver,
        "revisions": revisions,
    }


def _require_project():
    if PROJECT.script is None:
        raise BridgeError("protocol", "load must come before this command")
    return PROJECT


# --------------------------------------------------------------------------
# Statement capture and the throwaway-database gate.


def _innermost_frame(tb, directories):
    """(file, line) of the innermost traceback frame inside one of directories."""
    found = None
    while tb is not None:
        filename = os.path.realpath(tb.tb_frame.f_code.co_filename)
        if any(filename.startswith(d + os.sep) for d in directories):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


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

    # -- the gate ----------------------------------------------------------

    def verify(self, dbapi_connection, info):
        if info.get("alembic_review_verified"):
            return
        if self.expect is None:
            raise UnsafeDatabase("no database may be used by this command")
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(
                "SELECT current_database(), shobj_description(d.oid, 'pg_database') "
                "FROM pg_database d WHERE d.datname = current_database()"
            )
            row = cursor.fetchone()
        finally:
            cursor.close()
        name, comment = (row[0], row[1]) if row else (None, None)
        if name != self.expect["name"] or comment != TOKEN_PREFIX + self.expect["token"]:
            self.unsafe = (
                "env.py connected to database %r, not to the throwaway database %r that alembic-review "
                "created for this run; no statement was executed there. Make env.py take its URL from "
                "config.get_main_option('sqlalchemy.url') or from the environment variable named in the "
                "url-env option." % (name, self.expect["name"])
            )
            raise UnsafeDatabase(self.unsafe)
        info["alembic_review_verified"] = True

    # -- frames --------------------------------------------------------------

    def locate(self):
        """(file, line, from_env, internal) of the statement's origin: the
        innermost frame in a version location, else env.py; internal when
        SQLAlchemy's dialect set-up or Alembic's version bookkeeping ran it."""
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
        dbapi_connection = _dbapi(conn)
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
        if not self.capture:
            return
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
            "error": _db_error(original),
        }
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
        for oid, schema, name, kind, filenode in self._query(dbapi_connection, self.RELATIONS_SQL):
            self.relations[oid] = (name if schema == "public" else "%s.%s" % (schema, name), kind, name)
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
        return acquired

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
        it does not name (DML firing triggers, CASCADE, functions)."""
        text = statement.lower()
        if _SETS_LOCK_TIMEOUT.search(text):
            self.lock_timeout_stale = True
        names = set(_IDENTIFIER.findall(text))
        indirect = _INDIRECT.search(text) is not None
        if not indirect and self.oids_by_name.keys().isdisjoint(names):
            return [], []
        dbapi_connection = _dbapi(conn)
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


_REALPATHS = {}
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_$]*")
_REWRITES = re.compile(r"^\s*(alter\s+table|cluster|vacuum|refresh)\b")
_SETS_LOCK_TIMEOUT = re.compile(r"\block_timeout\b|^\s*reset\s+all\b")
_INDIRECT = re.compile(r"^\s*(insert|update|delete|merge|select|with|do|call|copy|truncate)\b|\bcascade\b")
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


def _install_hooks():
    if _HOOKS_INSTALLED:
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "before_cursor_execute", _dispatch("before"))
    event.listen(Engine, "after_cursor_execute", _dispatch("after"))
    event.listen(Engine, "handle_error", _dispatch("error"))
    event.listen(Engine, "commit", _transaction_ended(False))
    event.listen(Engine, "rollback", _transaction_ended(True))
    _HOOKS_INSTALLED.append(True)


def _dbapi(conn):
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

            raw = _dbapi(conn)
            if isinstance(raw, psycopg.Connection):
                return psycopg.ClientCursor(raw).mogrify(statement, parameters)
        except ImportError:
            pass
    except Exception:
        pass
    return "%s\n-- parameters: %r" % (statement, parameters)


def _db_error(exception):
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
    return result


# --------------------------------------------------------------------------
# Running env.py for upgrade / downgrade / metadata.


@contextlib.contextmanager
def _environment(env):
    saved = {}
    for key, value in (env or {}).items():
        saved[key] = os.environ.get(key)
        os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class ConfigureSpy(object):
    """Wraps EnvironmentContext.configure to keep what env.py passed
    (target_metadata and its filters). The transaction layout stays env.py's
    own: by default the whole upgrade is one transaction, as in production."""

    def __init__(self):
        self.kwargs = None
        self.original = None

    def __enter__(self):
        from alembic.runtime.environment import EnvironmentContext

        self.original = EnvironmentContext.configure
        spy = self

        def configure(ctx, *args, **kwargs):
            spy.kwargs = dict(kwargs)
            return spy.original(ctx, *args, **kwargs)

        EnvironmentContext.configure = configure
        return self

    def __exit__(self, *exc):
        from alembic.runtime.environment import EnvironmentContext

        EnvironmentContext.configure = self.original
        return False


def _step_revision(step):
    revision = getattr(step, "revision", None)
    if revision is not None and hasattr(revision, "revision"):
        return revision.revision
    for attr in ("up_revision_id", "down_revision_ids"):
        value = getattr(step, attr, None)
        if value:
            return value if isinstance(value, str) else value[0]
    return None


class OfflineOutput(object):
    """The output buffer of `upgrade --sql`: every chunk Alembic writes is a
    statement, attributed to the revision line that produced it."""

    def __init__(self, capture):
        self.capture = capture

    def write(self, text):
        body = text.strip()
        if not body or all(line.startswith("--") for line in body.splitlines()):
            return
        file_, line, from_env, internal = self.capture.locate()
        if internal or self.capture.version_table in body:
            return
        record = {"sql": body, "file": file_, "line": line, "durationMs": 0, "locks": [], "rewrote": []}
        if self.capture.step is not None and not from_env:
            self.capture.step_statements.append(record)
        else:
            self.capture.preamble.append(record)

    def flush(self):
        pass


def _plan_steps(script, direction, targets, heads):
    """The migration steps for a command: Alembic's own planner for upgrades,
    exactly one downgrade step per named revision for the round trip."""
    from alembic.runtime.migration import MigrationStep

    if direction == "up":
        if not targets:
            return []
        destination = targets[0] if len(targets) == 1 else tuple(targets)
        return list(script._upgrade_revs(destination, heads))
    if direction == "down":
        return [MigrationStep.downgrade_from_script(script.revision_map, script.get_revision(rev)) for rev in targets]
    return []


def _run_env(args, emit, direction):
    """Runs env.py once with a step plan; direction is up, down or none (env.py
    runs, nothing migrates: used to obtain target_metadata)."""
    project = _require_project()
    from alembic.runtime.environment import EnvironmentContext

    _install_hooks()
    script = project.script
    config = project.config
    offline = bool(args.get("offline"))
    url = _with_driver(args.get("url") or "postgresql://offline@localhost/offline", project.driver)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    env = dict((name, url) for name in args.get("urlEnv") or [])
    capture = Capture(args.get("expect"), args.get("capture", True))
    targets = args.get("targets") or []
    start_from = tuple(args.get("startFrom") or ())
    applied = []
    steps_seen = []
    if offline:
        config.output_buffer = OfflineOutput(capture)

    def steps(heads, context):
        capture.version_table = context.opts.get("version_table") or VERSION_TABLE_DEFAULT
        planned = _plan_steps(script, direction, targets, start_from if offline else heads)
        last = [None, None]
        for step in planned:
            if last[0] is not None:
                _finish(last)
            revision = _step_revision(step)
            capture.start_step(revision)
            steps_seen.append(revision)
            emit({"event": "step-start", "revision": revision, "direction": direction})
            last[0], last[1] = revision, time.time()
            yield step
        if last[0] is not None:
            _finish(last)

    def _finish(last):
        applied.append(last[0])
        emit(
            {
                "event": "step-end",
                "revision": last[0],
                "durationMs": round((time.time() - last[1]) * 1000.0, 3),
                "lockTimeout": capture.revision_lock_timeout,
                "statements": capture.step_statements,
            }
        )
        capture.step = None
        last[0] = None

    failure = None
    spy = ConfigureSpy()
    CURRENT["capture"] = capture
    try:
        with _environment(env), spy:
            with EnvironmentContext(
                config,
                script,
                fn=steps,
                as_sql=offline,
                starting_rev=(start_from[0] if start_from else None) if offline else None,
                destination_rev=targets[-1] if targets else None,
            ):
                script.run_env()
    except UnsafeDatabase as error:
        raise BridgeError("unsafe-database", capture.unsafe or str(error))
    except (Exception, SystemExit) as error:  # migration code may raise anything
        if capture.unsafe:
            raise BridgeError("unsafe-database", capture.unsafe)
        failure = _failure(error, capture)
        if capture.step is None and not steps_seen:
            # Nothing ran yet: env.py itself is broken.
            raise BridgeError(
                "env",
                failure["message"],
                file=failure.get("file"),
                line=failure.get("line"),
                traceback=failure.get("traceback"),
            )
    finally:
        CURRENT["capture"] = None
        config.output_buffer = None
    PROJECT.configure = spy.kwargs

    return {
        "applied": applied,
        "failed": failure,
        "preamble": capture.preamble,
        "configure": _configure_summary(spy.kwargs),
    }


def _failure(error, capture):
    tb = sys.exc_info()[2]
    frame = _innermost_frame(tb, PROJECT.version_dirs) or _innermost_frame(
        tb, [os.path.dirname(PROJECT.env_py)]
    )
    failed = capture.failed_statement
    db = _describe_error(error) if failed is None else failed["error"]
    result = {
        "revision": capture.step,
        "message": db.get("message"),
        "sqlstate": db.get("sqlstate"),
        "exception": type(error).__name__,
        "file": failed["file"] if failed and failed.get("file") else (frame[0] if frame else None),
        "line": failed["line"] if failed and failed.get("line") else (frame[1] if frame else None),
        "statement": failed,
        "statements": capture.step_statements,
        "traceback": "".join(traceback.format_exception(type(error), error, tb)),
    }
    return result


def _describe_error(error):
    """Postgres' message and SQLSTATE for a database error, else the
    exception's type and text (a Python error in the project's code)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError):
        return _db_error(error)
    return {"message": "%s: %s" % (type(error).__name__, error)}


def _configure_summary(kwargs):
    if not kwargs:
        return None
    metadata = kwargs.get("target_metadata")
    return {
        "hasTargetMetadata": metadata is not None,
        "includeSchemas": bool(kwargs.get("include_schemas")),
        "hasIncludeObject": kwargs.get("include_object") is not None,
        "hasIncludeName": kwargs.get("include_name") is not None,
        "versionTable": kwargs.get("version_table") or VERSION_TABLE_DEFAULT,
        "versionTableSchema": kwargs.get("version_table_schema"),
    }


def cmd_upgrade(args, emit):
    return _run_env(args, emit, "up")


def cmd_downgrade(args, emit):
    return _run_env(args, emit, "down")


def _metadatas(kwargs):
    metadata = (kwargs or {}).get("target_metadata")
    if metadata is None:
        return []
    if isinstance(metadata, (list, tuple)):
        return [m for m in metadata if m is not None]
    return [metadata]


def _table_key(table):
    return "%s.%s" % (table.schema or "public", table.name)


@contextlib.contextmanager
def _gated_engine(url, expect):
    """A synchronous engine of our own on a throwaway database, behind the
    same statement gate as the project's engines."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    _install_hooks()
    capture = Capture(expect, False)
    previous = CURRENT["capture"]
    CURRENT["capture"] = capture
    engine = create_engine(_with_driver(url, _sync_driver()), poolclass=NullPool)
    try:
        yield engine
    except UnsafeDatabase as error:
        raise BridgeError("unsafe-database", capture.unsafe or str(error))
    finally:
        engine.dispose()
        CURRENT["capture"] = previous


def _exclusions(kwargs, metadatas, head_url, expect):
    """What env.py's include_object / include_name leave out, on both sides:
    the models' objects and the head database's reflected objects."""
    include_object = kwargs.get("include_object")
    include_name = kwargs.get("include_name")
    excluded = {"tables": [], "columns": [], "indexes": [], "constraints": []}
    if include_object is None and include_name is None:
        return excluded

    def keep_name(name, type_, parents):
        if include_name is None:
            return True
        try:
            return bool(include_name(name, type_, parents))
        except TypeError:
            return True

    def keep_object(obj, name, type_, reflected):
        if include_object is None:
            return True
        return bool(include_object(obj, name, type_, reflected, None))

    def visit(table, reflected):
        key = _table_key(table)
        parents = {"schema_name": table.schema}
        if not keep_name(table.name, "table", parents) or not keep_object(table, table.name, "table", reflected):
            excluded["tables"].append(key)
            return
        tparents = {"schema_name": table.schema, "table_name": table.name, "schema_qualified_table_name": key}
        for column in table.columns:
            if not keep_name(column.name, "column", tparents) or not keep_object(
                column, column.name, "column", reflected
            ):
                excluded["columns"].append("%s.%s" % (key, column.name))
        for index in table.indexes:
            if index.name and (
                not keep_name(index.name, "index", tparents) or not keep_object(index, index.name, "index", reflected)
            ):
                excluded["indexes"].append("%s.%s" % (key, index.name))
        for constraint in table.constraints:
            kind = type(constraint).__name__
            type_ = {
                "UniqueConstraint": "unique_constraint",
                "ForeignKeyConstraint": "foreign_key_constraint",
            }.get(kind)
            if type_ is None or not constraint.name:
                continue
            if not keep_name(constraint.name, type_, tparents) or not keep_object(
                constraint, constraint.name, type_, reflected
            ):
                excluded["constraints"].append("%s.%s" % (key, constraint.name))

    for metadata in metadatas:
        for table in metadata.tables.values():
            visit(table, False)
    if head_url:
        from sqlalchemy import MetaData, inspect

        with _gated_engine(head_url, expect) as engine, engine.connect() as connection:
            schemas = [s for s in inspect(connection).get_schema_names() if not s.startswith("pg_")]
            for schema in schemas:
                if schema == "information_schema":
                    continue
                reflected = MetaData()
                reflected.reflect(connection, schema=None if schema == "public" else schema)
                for table in reflected.tables.values():
                    visit(table, True)
    for key in excluded:
        excluded[key] = sorted(set(excluded[key]))
    return excluded


def cmd_models(args, emit):
    """Runs env.py (no migrations) to obtain target_metadata and its filters,
    then create_all()s the models into the given throwaway database."""
    project = _require_project()
    run = _run_env(dict(args, targets=[], capture=False), emit, "none")
    if run["failed"]:
        failure = run["failed"]
        raise BridgeError("env", failure["message"], file=failure.get("file"), line=failure.get("line"))
    kwargs = project.configure or {}
    metadatas = _metadatas(kwargs)
    project.metadatas = metadatas
    if not metadatas:
        return {"hasMetadata": False, "tables": [], "schemas": [], "excluded": None, "modelClasses": _scan_models([])}
    from sqlalchemy import text

    tables = sorted(_table_key(t) for m in metadatas for t in m.tables.values())
    schemas = sorted(set(t.schema for m in metadatas for t in m.tables.values() if t.schema))
    dangling = _dangling_foreign_keys(metadatas)
    error = None
    with _gated_engine(args["url"], args.get("expect")) as engine:
        try:
            with engine.begin() as connection, _without(dangling):
                for schema in schemas:
                    connection.execute(text('CREATE SCHEMA IF NOT EXISTS "%s"' % schema.replace('"', '""')))
                for metadata in metadatas:
                    metadata.create_all(connection)
        except UnsafeDatabase:
            raise
        except Exception as failure:  # the models themselves are broken: say so, review the rest
            error = "metadata.create_all() fails on an empty database: %s" % _db_error(failure)["message"]
    excluded = _exclusions(kwargs, metadatas, args.get("headUrl"), args.get("headExpect"))
    return {
        "hasMetadata": True,
        "error": error,
        "tables": tables,
        "schemas": schemas,
        "excluded": excluded,
        "danglingForeignKeys": [entry["report"] for entry in dangling],
        "modelClasses": _scan_models(tables),
    }


def _dangling_foreign_keys(metadatas):
    """Foreign keys of the models whose referenced table is not in
    target_metadata (typically: its model module is never imported where the
    metadata is built). create_all() cannot create them."""
    known = set()
    for metadata in metadatas:
        for table in metadata.tables.values():
            known.add(table.key)
            known.add(table.name)
    found = []
    for metadata in metadatas:
        for table in metadata.tables.values():
            for constraint in list(table.foreign_key_constraints):
                elements = list(constraint.elements)
                if not elements:
                    continue
                target = elements[0].target_fullname.rsplit(".", 1)[0]
                if target in known:
                    continue
                found.append(
                    {
                        "table": table,
                        "constraint": constraint,
                        "report": {
                            "table": _table_key(table),
                            "columns": [e.parent.name for e in elements],
                            "referredTable": target if "." in target else "public." + target,
                        },
                    }
                )
    return found


@contextlib.contextmanager
def _without(dangling):
    """Takes the dangling foreign keys off their tables while create_all()
    runs, and puts them back for the ORM smoke test."""
    removed = []
    for entry in dangling:
        table, constraint = entry["table"], entry["constraint"]
        table.constraints.discard(constraint)
        fks = list(constraint.elements)
        for fk in fks:
            fk.parent.foreign_keys.discard(fk)
            table.foreign_keys.discard(fk)
        removed.append((table, constraint, fks))
    try:
        yield
    finally:
        for table, constraint, fks in removed:
            table.constraints.add(constraint)
            for fk in fks:
                fk.parent.foreign_keys.add(fk)
                table.foreign_keys.add(fk)


_SKIP_DIRS = set(
    [".git", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", ".tox", ".nox", "build", "dist",
     ".mypy_cache", ".pytest_cache", ".ruff_cache"]
)


def _scan_models(metadata_tables):
    """Model classes declared in the project's source (found by reading the
    files, not importing them), and whether the metadata knows their table."""
    known = set(metadata_tables)
    found = []
    root = os.getcwd()
    version_dirs = PROJECT.version_dirs
    seen_files = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")]
        real_dir = os.path.realpath(dirpath)
        if any(real_dir == d or real_dir.startswith(d + os.sep) for d in version_dirs):
            dirnames[:] = []
            continue
        for filename in filenames:
            if not filename.endswith(".py"):
                continue
            seen_files += 1
            if seen_files > 5000:
                return found
            path = os.path.join(dirpath, filename)
            try:
                with io.open(path, encoding="utf-8") as handle:
                    source = handle.read()
                if "__tablename__" not in source and "table=True" not in source and "Table(" not in source:
                    continue
                tree = ast.parse(source, filename=path)
            except (SyntaxError, UnicodeDecodeError, OSError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    name = _declared_table(node)
                elif isinstance(node, ast.Call):
                    name = _core_table(node)
                else:
                    continue
                if name is None:
                    continue
                table, schema = name
                key = "%s.%s" % (schema or "public", table)
                found.append(
                    {
                        "table": key,
                        "className": node.name if isinstance(node, ast.ClassDef) else 'Table("%s")' % table,
                        "file": os.path.realpath(path),
                        "line": node.lineno,
                        "inMetadata": key in known,
                    }
                )
    return found


def _core_table(node):
    """(table, schema) of a Core `Table("name", metadata, ...)` call."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called != "Table" or len(node.args) < 2:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    schema = None
    for keyword in node.keywords:
        if keyword.arg == "schema" and isinstance(keyword.value, ast.Constant):
            schema = keyword.value.value
    return first.value, schema


def _declared_table(node):
    """(table, schema) a class body declares via __tablename__ (or SQLModel's table=True)."""
    table = None
    schema = None
    for stmt in node.body:
        targets = []
        value = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if target.id == "__tablename__" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                table = value.value
            elif target.id == "__table_args__":
                schema = _schema_from_table_args(value) or schema
    if table is None:
        for keyword in node.keywords:
            if keyword.arg == "table" and isinstance(keyword.value, ast.Constant) and keyword.value.value is True:
                table = node.name.lower()
    return (table, schema) if table else None


def _schema_from_table_args(value):
    dicts = [value] if isinstance(value, ast.Dict) else []
    if isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[-1], ast.Dict):
        dicts.append(value.elts[-1])
    for d in dicts:
        for key, val in zip(d.keys, d.values):
            if isinstance(key, ast.Constant) and key.value == "schema" and isinstance(val, ast.Constant):
                return val.value
    return None


# --------------------------------------------------------------------------
# ORM smoke test: one object per mapped class through a Session.


def _mapped_classes(metadatas):
    """Mappers whose table belongs to target_metadata, parents before children."""
    from sqlalchemy.orm.mapper import _mapper_registries  # SQLAlchemy 1.4 and 2.x

    order = {}  # id(table) -> position, parents first
    for metadata in metadatas:
        try:
            ordered = metadata.sorted_tables
        except Exception:  # a foreign key to a table the metadata lacks
            ordered = list(metadata.tables.values())
        for index, table in enumerate(ordered):
            order[id(table)] = index
    mappers = []
    for registry in list(_mapper_registries):
        for mapper in list(registry.mappers):
            table = mapper.local_table
            if mapper.concrete or table is None or id(table) not in order:
                continue
            mappers.append(mapper)
    mappers.sort(key=lambda m: (order.get(id(m.local_table), 0), m.class_.__name__))
    return mappers


class _ColumnOfType(object):
    """A column seen as another type (a TypeDecorator's implementation, an
    array's element), for ValueMaker."""

    def __init__(self, column, type_, element=False):
        self.name = column.name
        self.type = type_
        # Elements of an array need not be unique on their own.
        self.unique = False if element else column.unique
        self.primary_key = False if element else column.primary_key


class ValueMaker(object):
    """Synthetic Python values for SQLAlchemy column types, unique per call."""

    def __init__(self, token):
        self.token = token
        self.counter = 0

    def next(self):
        self.counter += 1
        return self.counter

    def value(self, column):
        import datetime
        import decimal
        import uuid

        from sqlalchemy import types as sqltypes

        n = self.next()
        type_ = column.type
        impl = getattr(type_, "impl", None)
        if impl is not None and not isinstance(type_, sqltypes.Enum):
            # TypeDecorator: build a value for its underlying type.
            impl_type = impl if isinstance(impl, sqltypes.TypeEngine) else impl()
            return self.value(_ColumnOfType(column, impl_type))
        if isinstance(type_, sqltypes.Enum):
            if type_.enum_class is not None:
                return list(type_.enum_class)[0]
            return type_.enums[0] if type_.enums else None
        if isinstance(type_, sqltypes.Boolean):
            return True
        if isinstance(type_, (sqltypes.Integer,)):
            return 900000 + (int(self.token[:4], 16) * 10 + n) % 900000 if column.unique or column.primary_key else n
        if isinstance(type_, sqltypes.Numeric):
            return decimal.Decimal(n) if not isinstance(type_, sqltypes.Float) else float(n) + 0.5
        if isinstance(type_, sqltypes.DateTime):
            if getattr(type_, "timezone", False):
                return datetime.datetime.now(datetime.timezone.utc)
            return datetime.datetime.now()
        if isinstance(type_, sqltypes.Date):
            return datetime.date.today()
        if isinstance(type_, sqltypes.Time):
            return datetime.time(12, 0)
        if isinstance(type_, sqltypes.Interval):
            return datetime.timedelta(minutes=n)
        if isinstance(type_, sqltypes.LargeBinary):
            return b"\x00\x01"
        if isinstance(type_, sqltypes.ARRAY):
            return [self.value(_ColumnOfType(column, type_.item_type, element=True))]
        if isinstance(type_, sqltypes.JSON):
            return {"alembic_review": n}
        type_name = type(type_).__name__.upper()
        if "UUID" in type_name:
            value = uuid.uuid4()
            return value if getattr(type_, "as_uuid", True) else str(value)
        if isinstance(type_, sqltypes.String):
            length = getattr(type_, "length", None)
            text = "ar%s%d" % (self.token[:6], n)
            if "email" in column.name.lower():
                text = "ar%s%d@example.com" % (self.token[:6], n)
            return text[:length] if length else text
        try:
            python_type = type_.python_type
        except (NotImplementedError, AttributeError):
            return None
        if python_type is int:
            return n
        if python_type is str:
            return "ar%d" % n
        return None


def _needs_value(column):
    if column.primary_key and column.autoincrement in (True, "auto") and _is_integer(column):
        return False
    if column.default is not None or column.server_default is not None:
        return False
    if getattr(column, "identity", None) is not None or getattr(column, "computed", None) is not None:
        return False
    return not column.nullable or column.primary_key


def _is_integer(column):
    from sqlalchemy import types as sqltypes

    return isinstance(column.type, sqltypes.Integer)


def cmd_orm(args, _emit):
    """For every mapped class: build an instance with synthetic values, add it
    through a Session, flush, read it back; everything is rolled back."""
    project = _require_project()
    if not project.metadatas:
        return {"checked": [], "failures": [], "skipped": []}
    from sqlalchemy.orm import Session

    maker = ValueMaker("%08x" % (os.getpid() * 7919 % 0xFFFFFFFF))
    checked = []
    failures = []
    skipped = []
    created = {}  # table key -> {column name: value} of the inserted row
    with _gated_engine(args["url"], args.get("expect")) as engine, engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection)
        try:
            for mapper in _mapped_classes(project.metadatas):
                cls = mapper.class_
                name = "%s.%s" % (cls.__module__, cls.__name__)
                checked.append(name)
                try:
                    # A SAVEPOINT per class: one failure does not hide the others.
                    with session.begin_nested():
                        instance = _build_instance(mapper, maker, created)
                        session.add(instance)
                        session.flush()
                        session.expire(instance)
                        # Reading it back loads every mapped column from the table.
                        for prop in mapper.column_attrs:
                            for column in prop.columns:
                                value = getattr(instance, prop.key)
                                if getattr(column, "table", None) is not None:
                                    created.setdefault(_table_key(column.table), {})[column.name] = value
                    session.expunge_all()
                except UnsafeDatabase:
                    raise
                except Exception as error:
                    session.expunge_all()
                    if type(error).__name__ in ("NoReferencedTableError", "NoReferencedColumnError"):
                        # The models are incomplete here (a module never imported), not
                        # the schema: the application, importing everything, may be fine.
                        skipped.append({"className": name, "reason": str(error)})
                        continue
                    db = _describe_error(error)
                    failures.append(
                        {
                            "className": name,
                            "table": _table_key(mapper.local_table),
                            "message": db["message"],
                            "sqlstate": db.get("sqlstate"),
                            "file": _class_file(cls),
                            "line": _class_line(cls),
                        }
                    )
        finally:
            session.close()
            transaction.rollback()
    return {"checked": checked, "failures": failures, "skipped": skipped}


def _class_file(cls):
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    return os.path.realpath(path) if path else None


def _class_line(cls):
    try:
        import inspect

        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None


def _build_instance(mapper, maker, created):
    """An instance with a value for every required column; foreign keys point
    at the rows inserted for their parents earlier in this transaction."""
    instance = mapper.class_manager.new_instance()
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if not hasattr(column, "table") or column.table is None:
            continue
        value = None
        for fk in column.foreign_keys:
            parent = created.get(_table_key(fk.column.table), {})
            if fk.column.name in parent:
                value = parent[fk.column.name]
                break
        if value is None and column.foreign_keys and not column.nullable:
            continue  # no parent row: the insert will say why
        if value is None and not _needs_value(column):
            continue
        if value is None:
            value = maker.value(column)
        if value is not None:
            setattr(instance, prop.key, value)
    return instance


COMMANDS = {
    "hello": cmd_hello,
    "load": cmd_load,
    "upgrade": cmd_upgrade,
    "downgrade": cmd_downgrade,
    "models": cmd_models,
    "orm": cmd_orm,
}


def main():
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        try:
            request = json.loads(raw)
        except ValueError:
            send({"id": None, "ok": False, "error": {"kind": "protocol", "message": "not JSON: %r" % raw[:200]}})
            continue
        rid = request.get("id")
        command = COMMANDS.get(request.get("cmd"))

        def emit(event, rid=rid):
            event["id"] = rid
            send(event)

        if command is None:
            send({"id": rid, "ok": False, "error": {"kind": "protocol", "message": "unknown command"}})
            continue
        try:
            result = command(request.get("args") or {}, emit)
            send({"id": rid, "ok": True, "result": result})
        except BridgeError as error:
            payload = {"kind": error.kind, "message": error.message}
            payload.update(error.extra)
            send({"id": rid, "ok": False, "error": payload})
        except Exception as error:
            send(
                {
                    "id": rid,
                    "ok": False,
                    "error": {
                        "kind": "internal",
                        "message": "%s: %s" % (type(error).__name__, error),
                        "traceback": traceback.format_exc(),
                    },
                }
            )


if __name__ == "__main__":
    main()
    # Every reply is written and every engine disposed: skip the interpreter's
    # slow teardown of the project's modules.
    _PROTOCOL.flush()
    sys.stderr.flush()
    os._exit(0)
