"""The deploy-order probe: what one release's models do against another
release's schema. For every mapped class, the SELECT that
session.query(Model).first() emits and the INSERT of one new object filled
the way that code fills it (every attribute its model maps, strings as long
as its model allows; and one with only what the model requires, as code that
leaves nullable attributes unset), on a database of the other schema;
everything is rolled back. The bridge of the base commit's tree runs it on the migrated head (the
running release during a migrate-first deploy), the pull request's on the
base (a code-first deploy)."""

from __future__ import annotations

import os
import re

from . import redirect
from .capture import describe_error, gated_engine
from .flask_app import app_context
from .models_database import table_key
from .orm import _class_file, _class_line, _mapped_classes, _Rows
from .orm_values import NoValue, ValueMaker, implementation, needs_value
from .project import require_project
from .protocol import UnsafeDatabase

# "column posts.body does not exist" (a SELECT), 'column "body" of relation "posts" does not exist' (an INSERT).
_QUOTED_COLUMN = re.compile(r'column "((?:[^"]|"")+)" of relation')
_QUALIFIED_COLUMN = re.compile(r"column (?:[\w$]+\.)*\"?([\w$]+)\"? does not exist")


class _WidestValues(ValueMaker):
    """Values as long as the model allows: the running code may write a
    String(200) column's 200 characters, so a column narrowed to 50 fails."""

    def value(self, column):
        from sqlalchemy import types as sqltypes

        value = ValueMaker.value(self, column)
        type_ = implementation(column.type, self.dialect)
        length = getattr(type_, "length", None)
        if isinstance(value, str) and isinstance(type_, sqltypes.String) and not isinstance(type_, sqltypes.Enum):
            if length and len(value) < length:
                value = value + "x" * (length - len(value))
        return value


def _filled_instance(mapper, maker, rows):
    """A new object with every attribute its model maps set the way code
    sets it; what a default, a sequence or an identity fills is left to them."""
    instance = mapper.class_manager.new_instance()
    written = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if getattr(column, "table", None) is None:
            continue  # a column_property over an expression
        if column.primary_key and not needs_value(column):
            continue
        if column.default is not None or column.server_default is not None:
            continue
        if getattr(column, "identity", None) is not None or getattr(column, "computed", None) is not None:
            continue
        if column.foreign_keys:
            value = rows.value_for(column)
            if value is None:
                continue  # nullable and nothing to point at, or a row of its own table: leave it NULL
        else:
            value = maker.value(column)
        if value is None:
            if needs_value(column):
                raise NoValue("no synthetic value for the NOT NULL column %s (%s)" % (column.name, column.type))
            continue
        setattr(instance, prop.key, value)
        written[column.name] = value
    return instance, written


def _failure(error, kind, fallback_sql):
    db = describe_error(error)
    statement = getattr(error, "statement", None) or fallback_sql
    return {
        "statement": kind,
        "sql": str(statement).strip() if statement else None,
        "message": db["message"].splitlines()[0] if db.get("message") else "unknown error",
        "sqlstate": db.get("sqlstate"),
        "dbColumn": db.get("column"),
    }


def _type_text(type_, dialect):
    try:
        return type_.compile(dialect=dialect)
    except Exception:
        return str(type_)


def _diagnose(failure, mapper, written, inspector, dialect):
    """Which column (or the table) the failure is about, and both sides' types."""
    table = mapper.local_table
    sqlstate = failure.get("sqlstate")
    message = failure.get("message") or ""
    column = failure.pop("dbColumn", None)
    if sqlstate == "42P01":
        failure["tableMissing"] = True
        return failure
    if sqlstate == "42703" and column is None:
        found = _QUOTED_COLUMN.search(message) or _QUALIFIED_COLUMN.search(message)
        column = found.group(1).replace('""', '"') if found else None
    database_columns = {}
    try:
        database_columns = {c["name"]: c for c in inspector.get_columns(table.name, schema=table.schema)}
    except Exception:
        pass
    if sqlstate == "22001" and column is None:
        # "value too long for type character varying(20)": the written value longer than the column is now.
        for name, value in written.items():
            reflected = database_columns.get(name)
            length = getattr(reflected["type"], "length", None) if reflected else None
            if isinstance(value, str) and length is not None and len(value) > length:
                column = name
                failure["written"] = len(value)
                break
    if column is not None:
        failure["column"] = column
        model_column = table.columns.get(column)
        if model_column is not None:
            failure["modelType"] = _type_text(model_column.type, dialect)
            failure["modelNullable"] = bool(model_column.nullable)
        reflected = database_columns.get(column)
        failure["databaseType"] = _type_text(reflected["type"], dialect) if reflected else None
        if reflected is not None:
            failure["databaseNullable"] = bool(reflected.get("nullable"))
            failure["databaseDefault"] = reflected.get("default") is not None
    return failure


def cmd_orm_probe(args, _emit):
    """For every mapped class of this process's models: its SELECT and an
    INSERT of a new object on the database at args["url"], each in a
    SAVEPOINT of one transaction that is rolled back."""
    project = require_project()
    if not project.metadatas:
        return {"hasMetadata": False, "checked": [], "failures": [], "skipped": []}
    from sqlalchemy import inspect
    from sqlalchemy.orm import Session

    maker = _WidestValues("%08x" % (os.getpid() * 7933 % 0xFFFFFFFF))
    checked = []
    failures = []
    skipped = []
    created = {}  # table key -> {column name: value} of the row inserted for its class
    with redirect.step(args["url"]), app_context(), gated_engine(
        args["url"], args.get("expect")
    ) as engine, engine.connect() as connection:
        maker.dialect = connection.dialect
        if project.schema_translate_map():  # tenant-schema: the schema-less models are the tenant's tables
            connection = connection.execution_options(schema_translate_map=project.schema_translate_map())
        transaction = connection.begin()
        session = Session(bind=connection)
        inspector = inspect(connection)
        try:
            for mapper, (found, attempt, why) in _probe_all(
                session, _mapped_classes(project.metadatas), maker, created, connection
            ):
                cls = mapper.class_
                name = "%s.%s" % (cls.__module__, cls.__name__)
                checked.append(name)
                if why is not None:
                    skipped.append({"className": name, "reason": why})
                for failure in found:
                    failure = _diagnose(failure, mapper, attempt, inspector, connection.dialect)
                    failure.update(
                        {
                            "className": name,
                            "table": table_key(mapper.local_table),
                            "file": _class_file(cls),
                            "line": _class_line_cached(cls),
                        }
                    )
                    failures.append(failure)
        finally:
            session.close()
            transaction.rollback()
    return {"hasMetadata": True, "checked": checked, "failures": failures, "skipped": skipped}


# Classes tried in one SAVEPOINT while they pass: most do, and each round trip counts.
_GROUP = 16


def _probe_all(session, mappers, maker, created, connection):
    """(mapper, (failures, values written, why not tried)) for every class.
    A group of classes runs in one SAVEPOINT; when one of them fails, the
    group is rolled back, the classes before it have passed, the failing one
    runs again on its own (see _probe) and the next group starts after it."""
    passed = ([], {}, None)
    index = 0
    while index < len(mappers):
        group = mappers[index : index + _GROUP]
        done = _try_group(session, group, maker, created)
        if done == len(group):
            for mapper in group:
                yield mapper, passed
            index += len(group)
            continue
        # The classes before it passed (what they met is unchanged); only their rows are
        # gone, and a foreign key of a later class gets a row of its own made then (_Rows).
        for mapper in group[:done]:
            yield mapper, passed
        failing = group[done]
        yield failing, _probe(session, failing, maker, created, connection)
        index += done + 1


def _try_group(session, group, maker, created):
    """Runs the classes' statements in one SAVEPOINT; how many passed before
    one failed (all: kept; fewer: everything rolled back, the rows they
    stored forgotten)."""
    before = dict(created)
    done = 0
    try:
        with session.begin_nested():
            for mapper in group:
                _attempt(session, mapper, maker, created)
                done += 1
        return done
    except UnsafeDatabase:
        raise
    except Exception:
        created.clear()
        created.update(before)
        return done
    finally:
        session.expunge_all()


def _attempt(session, mapper, maker, created):
    """The class's SELECT and INSERTs, raising at the first that fails."""
    session.query(mapper.class_).first()
    _store(session, mapper, maker, created, {})
    if _leaves_unset(mapper):
        _store_minimal(session, mapper, maker, created)


def _probe(session, mapper, maker, created, connection):
    """The statements of a class that failed in its group, each in a
    SAVEPOINT of its own, to tell which fail and why: its SELECT, the INSERT
    of a filled object and, when its model has attributes code may leave
    unset, of an object with only what the model requires. Returns the
    failures, the values written, and why the INSERT could not be tried
    (None when it was)."""
    minimal = _leaves_unset(mapper)
    found = []
    written = {}
    why = None
    query = session.query(mapper.class_)
    try:
        with session.begin_nested():
            query.first()
    except UnsafeDatabase:
        raise
    except Exception as error:
        if _from_database(error):
            found.append(_failure(error, "select", _compiled(query, connection)))
        else:
            why = _not_the_schema("load a row", error)
    finally:
        session.expunge_all()
    stores = [lambda: _store(session, mapper, maker, created, written)]
    if minimal:
        stores.append(lambda: _store_minimal(session, mapper, maker, created))
    for store in stores:
        try:
            with session.begin_nested():
                store()
        except UnsafeDatabase:
            raise
        except NoValue as missing:
            return found, written, str(missing)
        except Exception as error:
            if type(error).__name__ in ("NoReferencedTableError", "NoReferencedColumnError"):
                return found, written, str(error)
            if not _from_database(error):
                return found, written, why or _not_the_schema("store an object", error)
            # The first INSERT that fails says it; a second would fail the same way.
            found.append(_failure(error, "insert", None))
            return found, written, why
        finally:
            session.expunge_all()
    return found, written, why


def _from_database(error):
    """PostgreSQL refused the statement. Anything else (the model's own Python
    while it loads the synthetic rows: a polymorphic identity, JSON kept in a
    text column) fails on the old schema just the same: not the migration's doing."""
    from sqlalchemy import exc

    return isinstance(error, exc.DBAPIError)


def _not_the_schema(what, error):
    first = (str(error).splitlines() or [""])[0][:200]
    return "its code could not %s with the synthetic values, before PostgreSQL had a say (%s: %s)" % (
        what,
        type(error).__name__,
        first,
    )


def _leaves_unset(mapper):
    """The model has attributes its code may leave unset (nullable, no default)."""
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if getattr(column, "table", None) is None or column.primary_key or column.foreign_keys:
            continue
        if column.nullable and column.default is None and column.server_default is None:
            return True
    return False


def _store_minimal(session, mapper, maker, created):
    """An object with only what its model requires (what the ORM smoke test
    stores): the running code leaves nullable attributes unset and
    SQLAlchemy inserts NULL, so a column made NOT NULL under it fails."""
    from .orm import _build_instance

    instance = _build_instance(mapper, maker, _Rows(session, maker, created, {}))
    session.add(instance)
    session.flush()


def _store(session, mapper, maker, created, written):
    """Flushes one new object; its row (and the parents made for it) become
    what the foreign keys of the classes after it point at."""
    parents = {}
    instance, values = _filled_instance(mapper, maker, _Rows(session, maker, created, parents))
    written.update(values)
    session.add(instance)
    session.flush()
    row = dict(values)
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if getattr(column, "table", None) is mapper.local_table and prop.key in instance.__dict__:
            row[column.name] = instance.__dict__[prop.key]
    created.setdefault(table_key(mapper.local_table), row)
    for key, parent in parents.items():
        created.setdefault(key, parent)


_CLASS_LINES = {}  # module file -> {qualified class name: line}


def _class_line_cached(cls):
    """The line of the class statement, from one parse of its module (inspect
    parses the whole module again for every class)."""
    import ast

    path = _class_file(cls)
    if path is None:
        return _class_line(cls)
    if path not in _CLASS_LINES:
        lines = {}
        try:
            with open(path, encoding="utf-8") as source:
                tree = ast.parse(source.read())
        except (OSError, SyntaxError, ValueError):
            tree = None

        def visit(node, prefix):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    name = prefix + child.name
                    # A decorated class: its line is the decorator's, as inspect says.
                    lines.setdefault(name, min([child.lineno] + [d.lineno for d in child.decorator_list]))
                    visit(child, name + ".")
                elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    visit(child, prefix + child.name + ".<locals>.")
                else:
                    visit(child, prefix)

        if tree is not None:
            visit(tree, "")
        _CLASS_LINES[path] = lines
    line = _CLASS_LINES[path].get(cls.__qualname__)
    return line if line is not None else _class_line(cls)


def _compiled(query, connection):
    try:
        return str(query.limit(1).statement.compile(dialect=connection.dialect))
    except Exception:
        return None
