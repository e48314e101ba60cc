"""The url-env variables: the throwaway database's URL in the environment, in
the form the project's own value has.

They are set before any of the project's code is imported (settings classes
read them at import time and may cache them) to a placeholder that resolves
nowhere, and to each step's database while a command runs. The form follows
the project's own value (its current value, else alembic.ini's sqlalchemy.url):
`postgresql://` stays without a driver, `postgresql+asyncpg://` keeps it, as
settings validators may insist on either.
"""

from __future__ import annotations

import configparser
import os

PLACEHOLDER = "alembic_review@alembic-review-pending.invalid:5432/alembic_review_pending"
_SCHEMES = {}  # variable name -> URL scheme of its value


def _ini_url(config_file):
    if not config_file:
        return ""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(config_file, encoding="utf-8")
        return parser.get("alembic", "sqlalchemy.url", fallback="") or ""
    except configparser.Error:
        return ""


def _scheme(value):
    scheme = value.split("://", 1)[0] if "://" in value else ""
    return scheme if scheme.startswith("postgres") else "postgresql"


def prepare_url_env(names, config_file):
    ini_url = _ini_url(config_file)
    for name in names:
        if name not in _SCHEMES:
            _SCHEMES[name] = _scheme(os.environ.get(name) or ini_url)
    set_url_env(None)


def set_url_env(url):
    """Every url-env variable at url (None: the placeholder)."""
    rest = PLACEHOLDER if not url else url.split("://", 1)[1]
    for name, scheme in _SCHEMES.items():
        os.environ[name] = "%s://%s" % (scheme, rest)
