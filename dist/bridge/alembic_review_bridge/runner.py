"""Running env.py: upgrade, downgrade, or only to obtain target_metadata."""

from __future__ import annotations

import os
import sys
import time
import traceback

from . import redirect
from .capture import CURRENT, Capture, describe_error, install_hooks
from .causes import classify
from . import event_loop, flask_app
from .flask_app import FLASK, app_context
from .frames import innermost_frame
from .project import PROJECT, VERSION_TABLE_DEFAULT, require_project
from .protocol import BridgeError, UnsafeDatabase
from .stack import with_driver
from .url_env import prepare_url_env, set_url_env

class RollbackRequested(Exception):
    """Raised after the last step of an upgrade asked to roll back: the
    migration's transaction ends without a commit."""


class ConfigureSpy(object):
    """Wraps EnvironmentContext.configure to keep what env.py passed
    (target_metadata and its filters). The transaction layout stays env.py's
    own: by default the whole upgrade is one transaction, as in production.

    Alembic's multidb template configures and runs the migrations once per
    engine (run_migrations(engine_name=...)): a process reviews one of them
    (PROJECT.engine), so the others' runs are skipped and the configuration
    kept is the one of the engine reviewed."""

    def __init__(self):
        self.kwargs = None
        self.original = None
        self.original_run = None
        # The target_metadata global of env.py, where configure() was called from it.
        self.module_metadata = None

    def __enter__(self):
        from alembic.runtime.environment import EnvironmentContext

        self.original = EnvironmentContext.configure
        self.original_run = EnvironmentContext.run_migrations
        spy = self
        configured = {}

        def configure(ctx, *args, **kwargs):
            configured["kwargs"] = dict(kwargs)
            spy.module_metadata = _env_global("target_metadata")
            if PROJECT.engine is None:
                spy.kwargs = configured["kwargs"]
            return spy.original(ctx, *args, **kwargs)

        def run_migrations(ctx, **kw):
            engine = kw.get("engine_name")
            if PROJECT.engine is not None and engine is not None:
                if engine != PROJECT.engine:
                    return None  # another database of the multidb template: reviewed in a process of its own
                spy.kwargs = configured.get("kwargs")
            return spy.original_run(ctx, **kw)

        EnvironmentContext.configure = configure
        EnvironmentContext.run_migrations = run_migrations
        return self

    def __exit__(self, *exc):
        from alembic.runtime.environment import EnvironmentContext

        EnvironmentContext.configure = self.original
        EnvironmentContext.run_migrations = self.original_run
        return False


def _env_global(name):
    """A global of env.py, read in the frame of env.py that is calling."""
    frame = sys._getframe(2)
    while frame is not None and os.path.realpath(frame.f_code.co_filename) != PROJECT.env_py:
        frame = frame.f_back
    return None if frame is None else frame.f_globals.get(name)


def _step_revision(step):
    revision = getattr(step, "revision", None)
    if revision is not None and hasattr(revision, "revision"):
        return revision.revision
    for attr in ("up_revision_id", "down_revision_ids"):
        value = getattr(step, attr, None)
        if value:
            return value if isinstance(value, str) else value[0]
    return None


class OfflineOutput(object):
    """The output buffer of `upgrade --sql`: every chunk Alembic writes is a
    statement, attributed to the revision line that produced it."""

    def __init__(self, capture):
        self.capture = capture

    def write(self, text):
        body = text.strip()
        if not body or all(line.startswith("--") for line in body.splitlines()):
            return
        file_, line, from_env, internal = self.capture.locate()
        if internal or self.capture.version_table in body:
            return
        record = {"sql": body, "file": file_, "line": line, "durationMs": 0, "locks": [], "rewrote": []}
        if self.capture.step is not None and not from_env:
            self.capture.step_statements.append(record)
        else:
            self.capture.preamble.append(record)

    def flush(self):
        pass


def _plan_steps(script, direction, targets, heads):
    """The migration steps for a command: Alembic's own planner for upgrades,
    exactly one downgrade step per named revision for the round trip."""
    from alembic.runtime.migration import MigrationStep

    if direction == "up":
        if not targets:
            return []
        destination = targets[0] if len(targets) == 1 else tuple(targets)
        return list(script._upgrade_revs(destination, heads))
    if direction == "down":
        return [MigrationStep.downgrade_from_script(script.revision_map, script.get_revision(rev)) for rev in targets]
    if direction == "stamp":
        # `alembic stamp`: the version table says targets, nothing runs.
        return list(script._stamp_revs(tuple(targets), heads))
    return []


def run_env(args, emit, direction):
    """Runs env.py once with a step plan; direction is up, down or none (env.py
    runs, nothing migrates: used to obtain target_metadata)."""
    project = require_project()
    from alembic.runtime.environment import EnvironmentContext

    install_hooks()
    if FLASK.uses and FLASK.app is None:
        # No database was given to create the app in (offline): it gets none.
        try:
            project.config = flask_app.create(project.config)
        except UnsafeDatabase as error:
            raise BridgeError("unsafe-database", str(error))
    script = project.script
    config = project.config
    offline = bool(args.get("offline"))
    step_url = None if offline else args.get("url")
    url = with_driver(args.get("url") or "postgresql://offline@localhost/offline", project.driver)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    prepare_url_env(args.get("urlEnv") or [], None)
    capture = Capture(args.get("expect"), args.get("capture", True))
    targets = args.get("targets") or []
    rollback = bool(args.get("rollback"))
    start_from = tuple(args.get("startFrom") or ())
    applied = []
    steps_seen = []
    if offline:
        config.output_buffer = OfflineOutput(capture)

    def steps(heads, context):
        capture.version_table = context.opts.get("version_table") or VERSION_TABLE_DEFAULT
        planned = _plan_steps(script, direction, targets, start_from if offline else heads)
        last = [None, None]
        for step in planned:
            if last[0] is not None:
                _finish(last)
            revision = _step_revision(step)
            capture.start_step(revision)
            steps_seen.append(revision)
            emit({"event": "step-start", "revision": revision, "direction": direction})
            last[0], last[1] = revision, time.time()
            yield step
        if last[0] is not None:
            _finish(last)
        if rollback and not offline:
            # Leaves the database as it was (when env.py runs the upgrade in one transaction).
            raise RollbackRequested()

    def _finish(last):
        applied.append(last[0])
        emit(
            {
                "event": "step-end",
                "revision": last[0],
                "durationMs": round((time.time() - last[1]) * 1000.0, 3),
                "lockTimeout": capture.revision_lock_timeout,
                "statements": capture.step_statements,
            }
        )
        capture.step = None
        last[0] = None

    failure = None
    spy = ConfigureSpy()
    CURRENT["capture"] = capture

    def run_script():
        with EnvironmentContext(
            config,
            script,
            fn=steps,
            as_sql=offline,
            starting_rev=(start_from[0] if start_from else None) if offline else None,
            destination_rev=targets[-1] if targets else None,
        ):
            script.run_env()

    try:
        set_url_env(step_url)
        with redirect.step(step_url), app_context(), spy:
            try:
                event_loop.run(run_script)
            except Exception as error:
                # env.py meant to run in a worker thread of a running event loop
                # (anyio.from_thread, as the project's own upgrade function runs it):
                # nothing ran yet, so it runs again there.
                if steps_seen or not event_loop.wants_worker_thread(error):
                    raise
                event_loop.run(run_script)
    except UnsafeDatabase as error:
        raise BridgeError("unsafe-database", capture.unsafe or str(error))
    except RollbackRequested:
        pass
    except (Exception, SystemExit) as error:  # migration code may raise anything
        if capture.unsafe:
            raise BridgeError("unsafe-database", capture.unsafe)
        failure = _failure(error, capture)
        if capture.step is None and not steps_seen:
            # Nothing ran yet: env.py itself is broken.
            raise BridgeError(
                "env",
                failure["message"],
                file=failure.get("file"),
                line=failure.get("line"),
                traceback=failure.get("traceback"),
                **classify(error)
            )
    finally:
        set_url_env(None)
        CURRENT["capture"] = None
        config.output_buffer = None
    PROJECT.configure = spy.kwargs
    PROJECT.module_metadata = spy.module_metadata

    return {
        "applied": applied,
        "failed": failure,
        "preamble": capture.preamble,
        "configure": _configure_summary(spy.kwargs),
    }


def _failure(error, capture):
    tb = sys.exc_info()[2]
    frame = innermost_frame(tb, PROJECT.version_dirs) or innermost_frame(
        tb, [os.path.dirname(PROJECT.env_py)]
    )
    failed = capture.failed_statement
    db = describe_error(error) if failed is None else failed["error"]
    result = {
        "revision": capture.step,
        "message": db.get("message"),
        "sqlstate": db.get("sqlstate"),
        "exception": type(error).__name__,
        "file": failed["file"] if failed and failed.get("file") else (frame[0] if frame else None),
        "line": failed["line"] if failed and failed.get("line") else (frame[1] if frame else None),
        "statement": failed,
        "statements": capture.step_statements,
        "traceback": "".join(traceback.format_exception(type(error), error, tb)),
    }
    return result

def _configure_summary(kwargs):
    if not kwargs:
        return None
    metadata = kwargs.get("target_metadata")
    version_schema = kwargs.get("version_table_schema")
    return {
        "hasTargetMetadata": metadata is not None,
        "includeSchemas": bool(kwargs.get("include_schemas")),
        "hasIncludeObject": kwargs.get("include_object") is not None,
        "hasIncludeName": kwargs.get("include_name") is not None,
        "versionTable": kwargs.get("version_table") or VERSION_TABLE_DEFAULT,
        # The tenant schema (tenant-schema) is named like public: unqualified, first on the search_path.
        "versionTableSchema": None if version_schema == PROJECT.tenant_schema else version_schema,
        "transactionPerMigration": bool(kwargs.get("transaction_per_migration")),
    }


def cmd_upgrade(args, emit):
    return run_env(args, emit, "up")


def cmd_downgrade(args, emit):
    return run_env(args, emit, "down")


def cmd_stamp(args, emit):
    return run_env(dict(args, capture=False), emit, "stamp")


def cmd_flask_app(args, _emit):
    """Creates the Flask app in a throwaway database of its own: creating it
    may create, create_all + stamp or even upgrade its database."""
    project = require_project()
    if not FLASK.uses:
        return {"created": False, "found": None}
    install_hooks()
    url = args.get("url")
    CURRENT["capture"] = Capture(args.get("expect"), False)
    try:
        set_url_env(url)
        with redirect.step(url):
            project.config = flask_app.create(project.config)
    except UnsafeDatabase as error:
        raise BridgeError("unsafe-database", CURRENT["capture"].unsafe or str(error))
    finally:
        set_url_env(None)
        CURRENT["capture"] = None
    return {"created": True, "found": FLASK.found}


def probe_version_locations(config, script, driver):
    """env.py that sets script.version_locations when it runs (a project that
    picks them by dialect): run once offline, migrating nothing, so that the
    revisions are loaded from where env.py will look for them."""
    import io

    from alembic.runtime.environment import EnvironmentContext

    config.set_main_option("sqlalchemy.url", with_driver("postgresql://offline@localhost/offline", driver))
    config.output_buffer = io.StringIO()
    try:
        with redirect.step(None), app_context():
            with EnvironmentContext(config, script, fn=lambda _heads, _context: [], as_sql=True):
                event_loop.run(script.run_env)
    except (Exception, SystemExit):
        pass  # it may not support offline mode: the configured locations stay
    finally:
        config.output_buffer = None
