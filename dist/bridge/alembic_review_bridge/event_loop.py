"""env.py files that run only in a worker thread of a running event loop.

Some projects run their migrations from their own async code: a command
starts an event loop and calls Alembic in a worker thread, and env.py hands
its coroutine back to that loop (anyio.from_thread.run, Prefect's
run_async_from_worker_thread). Under a plain Alembic command that fails with
anyio's NoEventLoopError. Once env.py has failed so, and before anything ran,
every later run of env.py happens the way the project runs it: in a worker
thread of an anyio event loop.
"""

from __future__ import annotations

_STATE = {"worker_thread": False}


def wants_worker_thread(error):
    """Whether env.py failed because it expects to run in an event loop's worker thread."""
    if _STATE["worker_thread"]:
        return False
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        if type(error).__name__ == "NoEventLoopError" or "not running inside an anyio worker thread" in str(
            error
        ).lower():
            try:
                import anyio  # noqa: F401
                import anyio.to_thread  # noqa: F401
            except ImportError:
                return False
            _STATE["worker_thread"] = True
            return True
        error = error.__cause__ or error.__context__
    return False


def run(function):
    """function() as env.py expects to be called: directly, or in a worker thread of a running loop."""
    if not _STATE["worker_thread"]:
        return function()
    import anyio
    import anyio.to_thread

    async def in_worker_thread():
        return await anyio.to_thread.run_sync(function)

    return anyio.run(in_worker_thread)
