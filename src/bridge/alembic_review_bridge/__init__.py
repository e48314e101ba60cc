"""alembic-review's Python bridge.

Started by the TypeScript side with the project's own Python, in the project
directory, with a minimal environment. It speaks JSON lines: one request per
line on stdin ({"id", "cmd", "args"}), any number of events and then exactly
one reply per request on the protocol stream ({"id", "ok", "result"|"error"}).

Alembic and SQLAlchemy run only here. Must stay valid Python 3.9 and work with
the oldest supported Alembic / SQLAlchemy pair.
"""
