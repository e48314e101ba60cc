"""ORM smoke test: one object per mapped class through a Session, rolled back."""

from __future__ import annotations

import os
import sys

from . import redirect
from .capture import describe_error, gated_engine
from .flask_app import app_context
from .models_database import table_key
from .orm_values import NoValue, ValueMaker, bindable, needs_value, refused
from .project import require_project
from .protocol import UnsafeDatabase


def _all_mappers():
    try:
        from sqlalchemy.orm.mapper import _mapper_registries  # SQLAlchemy 1.4 and 2.x
    except ImportError:  # SQLAlchemy 1.3: one registry of mappers
        from sqlalchemy.orm.mapper import _mapper_registry

        return list(_mapper_registry)
    return [mapper for registry in list(_mapper_registries) for mapper in list(registry.mappers)]


def _mapped_classes(metadatas):
    """Mappers whose table belongs to target_metadata, parents before children."""

    order = {}  # id(table) -> position, parents first
    for metadata in metadatas:
        try:
            ordered = metadata.sorted_tables
        except Exception:  # a foreign key to a table the metadata lacks
            ordered = list(metadata.tables.values())
        for index, table in enumerate(ordered):
            order[id(table)] = index
    mappers = []
    for mapper in _all_mappers():
        table = mapper.local_table
        if mapper.concrete or table is None or id(table) not in order:
            continue
        mappers.append(mapper)
    mappers.sort(key=lambda m: (order.get(id(m.local_table), 0), m.class_.__name__))
    return mappers


def cmd_orm(args, _emit):
    """For every mapped class: build an instance with synthetic values, add it
    through a Session, flush, read it back; everything is rolled back."""
    project = require_project()
    if not project.metadatas:
        return {"checked": [], "failures": [], "skipped": []}
    from sqlalchemy.orm import Session

    checked = []
    failures = []
    skipped = []
    created = {}  # table key -> {column name: value} of the inserted row
    with redirect.step(args["url"]), app_context(), gated_engine(
        args["url"], args.get("expect")
    ) as engine, engine.connect() as connection:
        maker = ValueMaker("%08x" % (os.getpid() * 7919 % 0xFFFFFFFF), connection.dialect)
        if project.schema_translate_map():  # tenant-schema: the schema-less models are the tenant's tables
            connection = connection.execution_options(schema_translate_map=project.schema_translate_map())
        transaction = connection.begin()
        session = Session(bind=connection)
        try:
            for mapper in _mapped_classes(project.metadatas):
                cls = mapper.class_
                name = "%s.%s" % (cls.__module__, cls.__name__)
                checked.append(name)
                try:
                    for key, row in _store_and_read_back(session, mapper, maker, created).items():
                        created.setdefault(key, {}).update(row)
                    session.expunge_all()
                except UnsafeDatabase:
                    raise
                except NoValue as missing:
                    session.expunge_all()
                    skipped.append({"className": name, "reason": str(missing)})
                except Exception as error:
                    session.expunge_all()
                    if type(error).__name__ in ("NoReferencedTableError", "NoReferencedColumnError"):
                        # The models are incomplete here (a module never imported), not
                        # the schema: the application, importing everything, may be fine.
                        skipped.append({"className": name, "reason": str(error), "modelsIncomplete": True})
                        continue
                    db = describe_error(error)
                    failures.append(
                        {
                            "className": name,
                            "table": table_key(mapper.local_table),
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


def _store_and_read_back(session, mapper, maker, created):
    """One object of the class stored and read back, in a SAVEPOINT of its own
    (one failure does not hide the others): the rows stored, by table key,
    its parents' included. Through the Session first; when the class's own
    Python code (a type, a validator) refuses a synthetic value, which says
    nothing about the schema, its row is stored with Core instead and the
    rest read back through the ORM."""
    try:
        return _store_once(session, mapper, maker, created, through_core=False)
    except (UnsafeDatabase, NoValue):
        raise
    except Exception as error:
        if _is_database_error(error) or len(mapper.tables) != 1:
            raise
        session.expunge_all()
        return _store_once(session, mapper, maker, created, through_core=True)


def _store_once(session, mapper, maker, created, through_core):
    parents = {}  # rows inserted for this class's foreign keys, kept if it succeeds
    with session.begin_nested():
        values = _required_values(mapper, maker, _Rows(session, maker, created, parents))
        if through_core:
            stored = _through_core(session, mapper, values, maker.dialect)
        elif len(mapper.tables) == 1 and any(refused(column, value, maker.dialect) for _, column, value in values):
            raise _Refused()
        else:
            stored = _through_session(session, mapper, values)
    for key, row in parents.items():
        stored.setdefault(key, row)
    return stored


class _Refused(Exception):
    """A synthetic value the column's type refuses (retried with Core)."""


def _is_database_error(error):
    from sqlalchemy.exc import DBAPIError

    return isinstance(error, DBAPIError)


def _through_session(session, mapper, values):
    instance = mapper.class_manager.new_instance()
    for prop, _, value in values:
        setattr(instance, prop.key, value)
    session.add(instance)
    session.flush()
    session.expire(instance)
    # Reading it back loads every mapped column from the table.
    return _read_columns(mapper, instance, mapper.column_attrs)


def _through_core(session, mapper, values, dialect):
    """The row with Core on the class's table (the model's columns, so a
    column the schema lacks still fails), refused values as literals of the
    type they are stored as; read back through the ORM without them."""
    from sqlalchemy.orm import load_only

    table = mapper.local_table
    row = {}
    bypassed = set()
    for prop, column, value in values:
        if getattr(column, "table", None) is table:
            row[column.name] = bindable(column, value, dialect)
            if row[column.name] is not value:
                bypassed.add(prop.key)
    discriminator = mapper.polymorphic_on
    if discriminator is not None and getattr(discriminator, "table", None) is table:
        row.setdefault(discriminator.name, mapper.polymorphic_identity)
    primary_key = list(table.primary_key.columns)
    inserted = session.execute(table.insert().values(row).returning(*primary_key)).fetchone()
    readable = [prop for prop in mapper.column_attrs if prop.key not in bypassed]
    query = session.query(mapper.class_).options(load_only(*[getattr(mapper.class_, p.key) for p in readable]))
    instance = query.filter(*[column == value for column, value in zip(primary_key, inserted)]).one()
    stored = _read_columns(mapper, instance, readable)
    for prop, column, value in values:
        if prop.key in bypassed:
            stored.setdefault(table_key(table), {})[column.name] = value
    return stored


def _read_columns(mapper, instance, props):
    stored = {}
    for prop in props:
        value = getattr(instance, prop.key)
        for column in prop.columns:
            if getattr(column, "table", None) is not None:
                stored.setdefault(table_key(column.table), {})[column.name] = value
    return stored


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


class _Rows(object):
    """Rows that foreign keys can point at: those inserted for the classes
    before (parents first), else one inserted now for the referenced table
    (with Core, so that a table without a mapped class gets one too)."""

    def __init__(self, session, maker, created, fresh):
        self.session = session
        self.maker = maker
        self.created = created
        self.fresh = fresh

    def existing(self, table):
        key = table_key(table)
        return self.fresh.get(key) or self.created.get(key)

    def value_for(self, column, depth=0):
        """The value of a foreign key column: its parent row's, made if needed."""
        for fk in column.foreign_keys:
            parent = self.existing(fk.column.table)
            if parent and fk.column.name in parent:
                return parent[fk.column.name]
        if column.nullable or not column.foreign_keys:
            return None
        fk = next(iter(column.foreign_keys))
        if fk.column.table is column.table or depth > 5:
            return None  # a row of its own table, or a long chain: nothing to point at yet
        row = self.insert(fk.column.table, depth + 1)
        return row.get(fk.column.name) if row else None

    def another_for(self, column):
        """A NOT NULL foreign key's value on a row of its own, not the one the
        other foreign keys to that table point at."""
        fk = next(iter(column.foreign_keys))
        if column.nullable or fk.column.table is column.table:
            return self.value_for(column)
        row = self.insert(fk.column.table, 1)
        return row.get(fk.column.name) if row else None

    def insert(self, table, depth, reflected=False):
        values = {}
        for column in table.columns:
            value = self.value_for(column, depth) if column.foreign_keys else None
            if value is None and needs_value(column):
                value = self.maker.value(column)
                if value is None:
                    raise NoValue(
                        "no synthetic value for the NOT NULL column %s.%s (%s) of the row its foreign keys need"
                        % (table_key(table), column.name, column.type)
                    )
            if value is not None:
                values[column.name] = bindable(column, value, self.maker.dialect)
        try:
            with self.session.begin_nested():
                result = self.session.execute(table.insert().values(values).returning(*table.columns))
                row = dict(zip(result.keys(), result.fetchone()))  # SQLAlchemy 1.3 has no .mappings()
        except UnsafeDatabase:
            raise
        except Exception as error:
            if not reflected and _is_database_error(error):
                # The parent's model differs from its table (drift, reported for the
                # parent): the row as the database has the table still serves the child.
                return self.insert(self._as_in_database(table), depth, reflected=True)
            raise NoValue(
                "the row its foreign key needs in %s cannot be stored: %s"
                % (table_key(table), describe_error(error)["message"].splitlines()[0])
            )
        self.fresh[table_key(table)] = row
        return row

    def _as_in_database(self, table):
        from sqlalchemy import MetaData, Table

        return Table(table.name, MetaData(), schema=table.schema, autoload_with=self.session.connection())


def _required_values(mapper, maker, rows):
    """(property, column, value) for every column the class must set: NOT NULL
    foreign keys point at a row of their table (the one inserted for its
    class earlier in this transaction, else one made for them)."""
    values = []
    referenced = set()  # tables a foreign key of this class points at already
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if not hasattr(column, "table") or column.table is None:
            continue
        value = None
        if column.foreign_keys:
            target = table_key(next(iter(column.foreign_keys)).column.table)
            # A second foreign key to one table gets a row of its own: a check such as
            # parent_id <> child_id is common, and one row for both would break it.
            value = rows.another_for(column) if target in referenced else rows.value_for(column)
            referenced.add(target)
        if value is None and column.foreign_keys and not column.nullable:
            continue  # no row to point at (its own table): the insert will say why
        if value is None and not needs_value(column):
            continue
        if value is None:
            value = maker.value(column)
            if value is None:
                raise NoValue("no synthetic value for the NOT NULL column %s (%s)" % (column.name, column.type))
        values.append((prop, column, value))
    return values


def _build_instance(mapper, maker, rows):
    """An instance with a value for every required column."""
    instance = mapper.class_manager.new_instance()
    for prop, _, value in _required_values(mapper, maker, rows):
        setattr(instance, prop.key, value)
    return instance
