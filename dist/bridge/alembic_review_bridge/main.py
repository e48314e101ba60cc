"""The request loop: one JSON request per line on stdin, events and exactly
one reply per request on the protocol stream."""

from __future__ import annotations

import json
import os
import sys
import traceback

from .models_database import cmd_models
from .orm import cmd_orm
from .project import cmd_load
from .protocol import BridgeError, flush, send
from .runner import cmd_downgrade, cmd_flask_app, cmd_stamp, cmd_upgrade
from .stack import cmd_hello

COMMANDS = {
    "hello": cmd_hello,
    "load": cmd_load,
    "flask-app": cmd_flask_app,
    "upgrade": cmd_upgrade,
    "downgrade": cmd_downgrade,
    "stamp": cmd_stamp,
    "models": cmd_models,
    "orm": cmd_orm,
}


def main():
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        try:
            request = json.loads(raw)
        except ValueError:
            send({"id": None, "ok": False, "error": {"kind": "protocol", "message": "not JSON: %r" % raw[:200]}})
            continue
        rid = request.get("id")
        command = COMMANDS.get(request.get("cmd"))

        def emit(event, rid=rid):
            event["id"] = rid
            send(event)

        if command is None:
            send({"id": rid, "ok": False, "error": {"kind": "protocol", "message": "unknown command"}})
            continue
        try:
            result = command(request.get("args") or {}, emit)
            send({"id": rid, "ok": True, "result": result})
        except BridgeError as error:
            payload = {"kind": error.kind, "message": error.message}
            payload.update(error.extra)
            send({"id": rid, "ok": False, "error": payload})
        except Exception as error:
            send(
                {
                    "id": rid,
                    "ok": False,
                    "error": {
                        "kind": "internal",
                        "message": "%s: %s" % (type(error).__name__, error),
                        "traceback": traceback.format_exc(),
                    },
                }
            )


def run():
    main()
    # Every reply is written and every engine disposed: skip the interpreter's
    # slow teardown of the project's modules.
    flush()
    os._exit(0)
