"""The JSON-lines protocol: the child's real stdout belongs to it alone.

Anything the project prints (env.py, migrations, logging, C extensions) goes
to stderr instead; replies and events go to the protocol stream.
"""

from __future__ import annotations

import json
import os
import sys

_PROTOCOL = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

def send(message):
    _PROTOCOL.write(json.dumps(message, default=str) + "\n")
    _PROTOCOL.flush()


class BridgeError(Exception):
    """An error with a kind the TypeScript side maps to a message."""

    def __init__(self, kind, message, **extra):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message
        self.extra = extra


class UnsafeDatabase(Exception):
    """Raised by the statement gate: never caught by migration code paths."""


def flush():
    """Every reply written: before the process ends without the interpreter's teardown."""
    _PROTOCOL.flush()
    sys.stderr.flush()
