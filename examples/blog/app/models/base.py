"""The one declarative base every model of the blog inherits from.

Alembic's env.py imports ``Base`` from ``app.models`` (not from this module),
so that every model module has been imported, and registered on
``Base.metadata``, by the time autogenerate compares it with the database.
"""
from sqlalchemy.orm import declarative_base

Base = declarative_base()
