"""Nothing the project's code starts outlives the command that started it.

The bridge makes itself a child subreaper (Linux): a process that a migration
starts in a session of its own (setsid, start_new_session=True, a double fork)
is re-parented to the bridge instead of to init, so it stays a descendant. At
the end of every command and at exit each descendant is killed and reaped. In
a PID namespace (src/alembic/sandbox.ts) the bridge is the namespace's first
process, and its exit ends every other process in it as well.
"""

from __future__ import annotations

import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36
_PROC = "/proc"


def become_subreaper():
    """True when orphans of our descendants now come back to us (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except Exception:
        return False


def _process_table():
    """{parent pid: [(pid, state)]} of every process /proc shows."""
    table = {}
    try:
        names = os.listdir(_PROC)
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(_PROC, name, "stat"), "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields resume after the last ')'.
        fields = data[data.rfind(b")") + 2 :].split()
        if len(fields) < 2:
            continue
        table.setdefault(int(fields[1]), []).append((int(name), fields[0]))
    return table


def descendants():
    """Pids of every live (not zombie) descendant of this process."""
    table = _process_table()
    found = []
    stack = [os.getpid()]
    while stack:
        for pid, state in table.get(stack.pop(), ()):
            stack.append(pid)
            if state != b"Z":
                found.append(pid)
    return found


def _reap():
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        except OSError:
            return
        if pid == 0:
            return


def kill_descendants():
    """SIGKILL every descendant, again until none is left (one may fork meanwhile), and reap them."""
    if not os.path.isdir(_PROC):
        return 0
    killed = 0
    for _round in range(100):
        pids = descendants()
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        _reap()
    _reap()
    return killed


def _terminate(signum, _frame):
    kill_descendants()
    os._exit(128 + signum)


def install():
    """At start: subreaper, and a SIGTERM/SIGHUP that takes the descendants along
    (as the first process of a PID namespace, a signal without a handler is ignored)."""
    become_subreaper()
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, _terminate)


def check_readable(paths):
    """The project as this process's user sees it: a clear message when it may not read it."""
    from .protocol import BridgeError

    for path in paths or []:
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                with open(path, "rb"):
                    pass
        except OSError as error:
            raise BridgeError(
                "permission",
                "cannot read %s as uid %d: %s" % (path, os.getuid(), error.strerror or error),
            )
