"""Extensions the tool created (as superuser) before the revisions ran.

The project's code connects as a role that may not create untrusted
extensions, so the tool creates the ones the revisions name beforehand. A
revision's own CREATE EXTENSION of one of them then runs as CREATE EXTENSION
IF NOT EXISTS, and its DROP EXTENSION (a downgrade) is left out: the role
could not drop what a superuser owns, and the extension stays for the next
upgrade. The rewrite happens at the driver call, so the statements are
recorded (and linted) as the revision wrote them.
"""

from __future__ import annotations

import re

_STATE = {"names": frozenset(), "installed": False}
_CREATE = re.compile(r'(\bcreate\s+extension\s+)(?!if\s+not\s+exists\b)("?)([\w-]+)\2', re.IGNORECASE)
_DROP = re.compile(
    r"\bdrop\s+extension\s+(if\s+exists\s+)?((?:\"?[\w-]+\"?\s*,\s*)*\"?[\w-]+\"?)(\s+(?:cascade|restrict)\b)?",
    re.IGNORECASE,
)


def _name(token):
    token = token.strip()
    return token[1:-1] if token.startswith('"') else token.lower()


def rewrite(statement, names):
    """The statement with CREATE/DROP EXTENSION of pre-created extensions made harmless."""

    def create(match):
        if (match.group(3) if match.group(2) else match.group(3).lower()) not in names:
            return match.group(0)
        return "%sIF NOT EXISTS %s%s%s" % (match.group(1), match.group(2), match.group(3), match.group(2))

    def drop(match):
        listed = [token.strip() for token in match.group(2).split(",")]
        kept = [token for token in listed if _name(token) not in names]
        if len(kept) == len(listed):
            return match.group(0)
        if not kept:
            return "SELECT 1 /* alembic-review: DROP EXTENSION of an extension it created, left out */"
        return "DROP EXTENSION %s%s%s" % (match.group(1) or "", ", ".join(kept), match.group(3) or "")

    if "extension" not in statement.lower():
        return statement
    return _DROP.sub(drop, _CREATE.sub(create, statement))


def _do_execute(cursor, statement, parameters, context):
    # At the driver call: the capture's hooks around it keep the statement as written.
    rewritten = rewrite(statement, _STATE["names"]) if isinstance(statement, str) else statement
    if rewritten == statement:
        return None
    cursor.execute(rewritten, parameters)
    return True


def _do_execute_no_params(cursor, statement, context):
    rewritten = rewrite(statement, _STATE["names"]) if isinstance(statement, str) else statement
    if rewritten == statement:
        return None
    cursor.execute(rewritten)
    return True


def configure(names):
    """The extensions created for this run (from the command's arguments)."""
    _STATE["names"] = frozenset(names or ())
    if _STATE["names"] and not _STATE["installed"]:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "do_execute", _do_execute)
        event.listen(Engine, "do_execute_no_params", _do_execute_no_params)
        _STATE["installed"] = True
