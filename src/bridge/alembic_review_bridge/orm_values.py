"""Synthetic values for the ORM smoke test and the deploy-order probe: one
per column type, unique per call, and a way to store one that the column's
own Python type (a TypeDecorator, a validator) refuses."""

from __future__ import annotations


def implementation(type_, dialect=None):
    """The type a TypeDecorator stores as on this dialect (its
    load_dialect_impl: a UUID type whose impl is TypeEngine is a uuid on
    PostgreSQL), else the type itself."""
    from sqlalchemy import types as sqltypes

    impl = getattr(type_, "impl", None)
    if impl is None or isinstance(type_, sqltypes.Enum):
        return type_
    if dialect is not None:
        try:
            loaded = type_.load_dialect_impl(dialect)
        except Exception:
            loaded = None
        if isinstance(loaded, sqltypes.TypeEngine) and loaded is not type_:
            return implementation(loaded, dialect)
    return impl if isinstance(impl, sqltypes.TypeEngine) else impl()


def bindable(column, value, dialect):
    """The value as it can go into an INSERT of this column: itself when the
    column's type accepts it, else (a TypeDecorator whose Python code wants
    an object of the application's, not a synthetic one) the same value as
    a literal of the type it is stored as, which bypasses that code."""
    from sqlalchemy import literal

    try:
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processor(value)
        return value
    except Exception:
        return literal(value, type_=implementation(column.type, dialect))


def refused(column, value, dialect):
    """The column's own type refuses the synthetic value."""
    return bindable(column, value, dialect) is not value


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

    def __init__(self, token, dialect=None):
        self.token = token
        self.counter = 0
        # The connection's dialect, for the types TypeDecorators load on it.
        self.dialect = dialect

    def next(self):
        self.counter += 1
        return self.counter

    def value(self, column):
        import datetime
        import uuid

        from sqlalchemy import types as sqltypes

        n = self.next()
        type_ = column.type
        stored_as = implementation(type_, self.dialect)
        if stored_as is not type_:
            # TypeDecorator: build a value for the type it stores as.
            return self.value(_ColumnOfType(column, stored_as))
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


class NoValue(Exception):
    """A required column of a type ValueMaker has no synthetic value for."""


def needs_value(column):
    if column.primary_key and column.autoincrement in (True, "auto") and is_integer(column):
        return False
    if column.default is not None or column.server_default is not None:
        return False
    if getattr(column, "identity", None) is not None or getattr(column, "computed", None) is not None:
        return False
    return not column.nullable or column.primary_key


def is_integer(column):
    from sqlalchemy import types as sqltypes

    return isinstance(column.type, sqltypes.Integer)
