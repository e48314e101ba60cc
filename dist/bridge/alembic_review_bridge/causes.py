"""Why the project's code failed before any migration ran, by cause, so that
the message can say what to do about it (one paragraph per cause)."""

from __future__ import annotations

import os
import re

_LOOP = re.compile(r"event loop|different loop|greenlet_spawn|asyncio\.run\(\)", re.I)
_CONNECTION = re.compile(
    r"could not translate host name|connection refused|could not connect|connection to server|"
    r"name or service not known|password authentication failed|no pg_hba\.conf entry|"
    r"temporary failure in name resolution|nodename nor servname|connect call failed",
    re.I,
)
_HOST = re.compile(r'(?:host name|host|server at) "?([A-Za-z0-9_.\-\[\]:]+?)"?(?: \(|,|:| to| port|$)', re.I)
_DATABASE = re.compile(r'database "([^"]+)"', re.I)
# "You must set the REDASH_COOKIE_SECRET environment variable", "environment variable SECRET_KEY is not set"
_NAMED_VARIABLE = re.compile(
    r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,})\b[`'\"]?\s+(?:env(?:ironment)? var(?:iable)?)|"
    r"env(?:ironment)? var(?:iable)?\s+[`'\"]?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,})\b|"
    # starlette's Config: "Config 'SECRET_KEY' is missing, and has no default."
    r"[`'\"]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)[`'\"] is (?:missing|not set|required)"
)


def _chain(error):
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def _missing_environment_variable(error):
    """The name of the variable when os.environ[name] raised the KeyError."""
    tb = error.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return None
    code = last.tb_frame.f_code
    if code.co_name == "__getitem__" and code.co_filename in (os.__file__, "<frozen os>") and error.args:
        return str(error.args[0])
    return None


def _validation_fields(error):
    """Field names of a pydantic(-settings) ValidationError that are missing or invalid."""
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return None
    try:
        entries = errors()
    except Exception:
        return None
    fields = []
    for entry in entries:
        loc = entry.get("loc") or ()
        name = ".".join(str(part) for part in loc) if loc else "?"
        fields.append({"name": name, "missing": entry.get("type") in ("missing", "value_error.missing")})
    return fields


def classify(error):
    """{"cause": ..., details} for the error payload; {} when nothing specific is known."""
    for item in _chain(error):
        name = type(item).__name__
        if isinstance(item, ImportError):
            return {"cause": "module", "module": getattr(item, "name", None)}
        if name == "ValidationError":
            fields = _validation_fields(item)
            if fields is not None:
                return {"cause": "settings", "settings": [f["name"] for f in fields]}
        if isinstance(item, KeyError):
            variable = _missing_environment_variable(item)
            if variable is not None:
                return {"cause": "settings", "settings": [variable], "environment": True}
        named = _NAMED_VARIABLE.search(str(item))
        if named and not isinstance(item, OSError):
            variable = next(group for group in named.groups() if group)
            return {"cause": "settings", "settings": [variable], "environment": True}
        if name == "NoAppException" or "outside of application context" in str(item):
            return {"cause": "flask-app"}
        if name == "MissingGreenlet" or (isinstance(item, RuntimeError) and _LOOP.search(str(item))):
            return {"cause": "event-loop"}
        text = str(item)
        if _CONNECTION.search(text):
            found = {"cause": "connection"}
            host = _HOST.search(text)
            database = _DATABASE.search(text)
            if host:
                found["host"] = host.group(1)
            if database:
                found["database"] = database.group(1)
            return found
    return {}
