"""The request loop: one JSON request per line on stdin, events and exactly
one reply per request on the protocol stream. Whatever the project's code
started during a command is killed when the command ends."""

from __future__ import annotations

import json
import os
import sys
import traceback

from . import extensions
from .models_database import cmd_exclusions, cmd_metadata, cmd_models
from .orm import cmd_orm
from .orm_probe import cmd_orm_probe
from .project import cmd_facts, cmd_load
from .protocol import BridgeError, flush, send
from .runner import cmd_downgrade, cmd_flask_app, cmd_stamp, cmd_upgrade
from .sandbox import check_readable, install, kill_descendants
from .stack import cmd_hello, cmd_prewarm


def _hello(args, emit):
    # The project as this process's user sees it (another user's, in a sandbox).
    check_readable(args.get("readable"))
    return cmd_hello(args, emit)


COMMANDS = {
    "hello": _hello,
    "load": cmd_load,
    "facts": cmd_facts,
    "flask-app": cmd_flask_app,
    "upgrade": cmd_upgrade,
    "downgrade": cmd_downgrade,
    "stamp": cmd_stamp,
    "models": cmd_models,
    "exclusions": cmd_exclusions,
    "metadata": cmd_metadata,
    "orm": cmd_orm,
    "orm-probe": cmd_orm_probe,
    "prewarm": cmd_prewarm,
}


def main():
    install()
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
        args = request.get("args") or {}
        try:
            if "extensions" in args:
                extensions.configure(args["extensions"])
            reply = {"id": rid, "ok": True, "result": command(args, emit)}
        except BridgeError as error:
            payload = {"kind": error.kind, "message": error.message}
            payload.update(error.extra)
            reply = {"id": rid, "ok": False, "error": payload}
        except Exception as error:
            reply = {
                "id": rid,
                "ok": False,
                "error": {
                    "kind": "internal",
                    "message": "%s: %s" % (type(error).__name__, error),
                    "traceback": traceback.format_exc(),
                },
            }
        # Before the reply: once it arrives, the command has nothing left running.
        kill_descendants()
        send(reply)


def run():
    main()
    kill_descendants()
    # Every reply is written and every engine disposed: skip the interpreter's
    # slow teardown of the project's modules.
    flush()
    os._exit(0)
