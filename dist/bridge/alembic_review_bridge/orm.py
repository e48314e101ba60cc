"""ORM smoke test: one object per mapped class through a Session, rolled back."""

from __future__ import annotations

import os
import sys

from . import redirect
from .capture import describe_error, gated_engine
from .flask_app import app_context
from .models_database import table_key
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
        # Float is a Numeric in SQLAlchemy 1.4, a type of its own in 2.x (Double, REAL, DOUBLE PRECISION).
        if isinstance(type_, sqltypes.Float):
            return float(n) + 0.5
        if isinstance(type_, sqltypes.Numeric):
            return _fitting_decimal(n, type_.precision, type_.scale)
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


def _fitting_decimal(n, precision, scale):
    """n as a decimal that NUMERIC(precision, scale) can hold (NUMERIC(2, 2)
    holds 0.99 at most): distinct values while the digits last."""
    import decimal

    if not precision:
        return decimal.Decimal(n)
    scale = scale or 0
    whole = precision - scale
    if whole > 0:
        return decimal.Decimal(n % (10 ** whole))
    return decimal.Decimal(n % (10 ** precision)).scaleb(-scale)


class _NoValue(Exception):
    """A required column of a type ValueMaker has no synthetic value for."""


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
    project = require_project()
    if not project.metadatas:
        return {"checked": [], "failures": [], "skipped": []}
    from sqlalchemy.orm import Session

    maker = ValueMaker("%08x" % (os.getpid() * 7919 % 0xFFFFFFFF))
    checked = []
    failures = []
    skipped = []
    created = {}  # table key -> {column name: value} of the inserted row
    with redirect.step(args["url"]), app_context(), gated_engine(
        args["url"], args.get("expect")
    ) as engine, engine.connect() as connection:
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
                    # A SAVEPOINT per class: one failure does not hide the others.
                    parents = {}  # rows inserted for this class's foreign keys, kept if it succeeds
                    with session.begin_nested():
                        instance = _build_instance(mapper, maker, _Rows(session, maker, created, parents))
                        session.add(instance)
                        session.flush()
                        session.expire(instance)
                        # Reading it back loads every mapped column from the table.
                        for prop in mapper.column_attrs:
                            for column in prop.columns:
                                value = getattr(instance, prop.key)
                                if getattr(column, "table", None) is not None:
                                    created.setdefault(table_key(column.table), {})[column.name] = value
                    for key, row in parents.items():
                        created.setdefault(key, row)
                    session.expunge_all()
                except UnsafeDatabase:
                    raise
                except _NoValue as missing:
                    session.expunge_all()
                    skipped.append({"className": name, "reason": str(missing)})
                except Exception as error:
                    session.expunge_all()
                    if type(error).__name__ in ("NoReferencedTableError", "NoReferencedColumnError"):
                        # The models are incomplete here (a module never imported), not
                        # the schema: the application, importing everything, may be fine.
                        skipped.append({"className": name, "reason": str(error)})
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

    def insert(self, table, depth):
        values = {}
        for column in table.columns:
            value = self.value_for(column, depth) if column.foreign_keys else None
            if value is None and _needs_value(column):
                value = self.maker.value(column)
                if value is None:
                    raise _NoValue(
                        "no synthetic value for the NOT NULL column %s.%s (%s) of the row its foreign keys need"
                        % (table_key(table), column.name, column.type)
                    )
            if value is not None:
                values[column.name] = value
        try:
            with self.session.begin_nested():
                result = self.session.execute(table.insert().values(values).returning(*table.columns))
                row = dict(result.mappings().one())
        except UnsafeDatabase:
            raise
        except Exception as error:  # the parent's own problem, reported for the parent
            raise _NoValue(
                "the row its foreign key needs in %s cannot be stored: %s"
                % (table_key(table), describe_error(error)["message"].splitlines()[0])
            )
        self.fresh[table_key(table)] = row
        return row


def _build_instance(mapper, maker, rows):
    """An instance with a value for every required column; NOT NULL foreign
    keys point at a row of their table (the one inserted for its class
    earlier in this transaction, else one made for them)."""
    instance = mapper.class_manager.new_instance()
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if not hasattr(column, "table") or column.table is None:
            continue
        value = rows.value_for(column) if column.foreign_keys else None
        if value is None and column.foreign_keys and not column.nullable:
            continue  # no row to point at (its own table): the insert will say why
        if value is None and not _needs_value(column):
            continue
        if value is None:
            value = maker.value(column)
            if value is None:
                raise _NoValue("no synthetic value for the NOT NULL column %s (%s)" % (column.name, column.type))
        setattr(instance, prop.key, value)
    return instance
