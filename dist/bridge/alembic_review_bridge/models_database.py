"""The declared side: target_metadata create_all()'d into a throwaway database,
env.py's include_object / include_name exclusions, and the model classes
declared in the project's source (model_scan)."""

from __future__ import annotations

import contextlib

from .capture import db_error, gated_engine
from .model_scan import model_classes
from .project import PROJECT, require_project
from .protocol import BridgeError, UnsafeDatabase
from .runner import run_env

def _metadatas(kwargs):
    metadata = (kwargs or {}).get("target_metadata")
    if metadata is None:
        return []
    if isinstance(metadata, (list, tuple)):
        return [m for m in metadata if m is not None]
    return [metadata]


def table_key(table):
    return "%s.%s" % (table.schema or "public", table.name)

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
        key = table_key(table)
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

        default = PROJECT.default_schema()
        with gated_engine(head_url, expect) as engine, engine.connect() as connection:
            schemas = [s for s in inspect(connection).get_schema_names() if not s.startswith("pg_")]
            for schema in schemas:
                # With tenant-schema, the tenant's tables are the unqualified ones (as env.py sees
                # them through its search_path), and public is not compared.
                if schema == "information_schema" or (schema == "public" and default != "public"):
                    continue
                reflected = MetaData()
                reflected.reflect(connection, schema=None if schema == default else schema)
                for table in reflected.tables.values():
                    visit(table, True)
    for key in excluded:
        excluded[key] = sorted(set(excluded[key]))
    return excluded


def _run_env_alone(args, emit, offline):
    """env.py once, migrating nothing (what it passes to configure() is then
    PROJECT.configure); a failure of env.py itself is the command's error."""
    run = run_env(dict(args, targets=[], capture=False, offline=offline), emit, "none")
    if run["failed"]:
        failure = run["failed"]
        raise BridgeError("env", failure["message"], file=failure.get("file"), line=failure.get("line"))


def cmd_models(args, emit):
    """Runs env.py (no migrations) to obtain target_metadata and its filters,
    then create_all()s the models into the given throwaway database."""
    project = require_project()
    _run_env_alone(args, emit, offline=False)
    kwargs = project.configure or {}
    metadatas = _metadatas(kwargs)
    project.metadatas = metadatas
    if not metadatas:
        return {"hasMetadata": False, "tables": [], "schemas": [], "excluded": None, "modelClasses": model_classes([])}
    from sqlalchemy import text

    tables = sorted(table_key(t) for m in metadatas for t in m.tables.values())
    schemas = sorted(set(t.schema for m in metadatas for t in m.tables.values() if t.schema))
    dangling = _dangling_foreign_keys(metadatas)
    error = None
    refused = []

    def create(connection, indexes, checkfirst=True):
        # tenant-schema: the schema-less tables into the tenant schema, as the tenant's migrations make them.
        translate = project.schema_translate_map()
        if translate:
            connection = connection.execution_options(schema_translate_map=translate)
        for schema in schemas + ([project.tenant_schema] if translate else []):
            connection.execute(text('CREATE SCHEMA IF NOT EXISTS "%s"' % schema.replace('"', '""')))
        for metadata in metadatas:
            metadata.create_all(connection, checkfirst=checkfirst)
        for index in indexes:
            try:
                with connection.begin_nested():
                    index.create(connection)
            except UnsafeDatabase:
                raise
            except Exception as failure:
                refused.append({"index": "%s.%s" % (table_key(index.table), index.name), "message": db_error(failure)["message"]})

    with gated_engine(args["url"], args.get("expect")) as engine:
        try:
            # The database is new, so nothing need be asked for first (SQLAlchemy
            # asks once per table and type: a third of the time). What that trips
            # over (an object an extension made, a type two metadatas share) is
            # rolled back and created the checked way.
            try:
                with engine.begin() as connection, _without(dangling):
                    create(connection, [], checkfirst=False)
            except UnsafeDatabase:
                raise
            except Exception:
                with engine.begin() as connection, _without(dangling):
                    create(connection, [])
        except UnsafeDatabase:
            raise
        except Exception as failure:
            first = "metadata.create_all() fails on an empty database: %s" % db_error(failure)["message"]
            # An index PostgreSQL refuses as the models declare it (a gin index
            # without its operator class, say: the migrations write it in SQL)
            # costs only that index: tables first, then each index on its own.
            try:
                with engine.begin() as connection, _without(dangling), _without_indexes(metadatas) as indexes:
                    create(connection, indexes)
            except UnsafeDatabase:
                raise
            except Exception:  # the models themselves are broken: say so, review the rest
                error = first
                refused = []
    project.models_configure = kwargs
    excluded = _exclusions(kwargs, metadatas, args.get("headUrl"), args.get("headExpect"))
    # Not compared: the migrated head has them, the models database cannot.
    excluded["indexes"] = sorted(set(excluded["indexes"]) | set(r["index"] for r in refused))
    return {
        "hasMetadata": True,
        "filters": _has_filters(kwargs),
        "error": error,
        "tables": tables,
        "schemas": schemas,
        "excluded": excluded,
        "danglingForeignKeys": [entry["report"] for entry in dangling],
        "refusedIndexes": refused,
        "modelClasses": model_classes(tables),
    }


def _has_filters(kwargs):
    return kwargs.get("include_object") is not None or kwargs.get("include_name") is not None


def cmd_exclusions(args, emit):
    """What env.py's include_object / include_name leave out of the models and
    of a migrated head: for a models database built before the head existed
    (the models command then saw only the models' side). With the filters of
    that models run; env.py runs again for them when this process is not the
    one that ran it (a restart)."""
    project = require_project()
    kwargs = project.models_configure
    if kwargs is None:
        # Migrating nothing, connected to the head (the one database this command may use).
        _run_env_alone(dict(args, url=args["headUrl"], expect=args.get("headExpect")), emit, offline=False)
        kwargs = project.configure or {}
    return {"excluded": _exclusions(kwargs, _metadatas(kwargs), args["headUrl"], args.get("headExpect"))}


def cmd_metadata(args, emit):
    """target_metadata as env.py gives it when run offline (no database, no
    create_all): what the ORM probe of the running release needs when its
    models database is not (the base commit's review was kept in the cache).
    An env.py that cannot run offline fails here, one that gives no metadata
    there (nor declares a target_metadata global) has none; the caller then
    builds the models database as usual."""
    project = require_project()
    _run_env_alone(args, emit, offline=True)
    from sqlalchemy import MetaData

    metadatas = _metadatas(project.configure or {})
    if not metadatas:
        # An offline branch that passes no target_metadata (Flask-Migrate's older
        # template): the one env.py declares for autogenerate, when it is one.
        declared = _metadatas({"target_metadata": project.module_metadata})
        metadatas = [m for m in declared if isinstance(m, MetaData)]
    project.metadatas = metadatas
    return {"hasMetadata": bool(metadatas), "tables": sum(len(m.tables) for m in metadatas)}


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
                            "table": table_key(table),
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


@contextlib.contextmanager
def _without_indexes(metadatas):
    """The named indexes of the models, taken off their tables while create_all() runs."""
    taken = []
    for metadata in metadatas:
        for table in metadata.tables.values():
            for index in list(table.indexes):
                if index.name:
                    table.indexes.discard(index)
                    taken.append(index)
    try:
        yield taken
    finally:
        for index in taken:
            index.table.indexes.add(index)
