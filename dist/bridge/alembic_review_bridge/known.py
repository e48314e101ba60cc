"""Revision files known from the base cache, not executed when the project
loads. Alembic imports every revision file to build its graph: on a history
of 273 revisions that is a fifth of a second, for files a warm review never
runs (the base comes from the cache). A file whose bytes hash as the entry
that replayed it says, and that imports nothing but Alembic, SQLAlchemy and
the standard library (so that nothing the change edits can break its
import), gets a module that holds the graph the entry recorded and executes
the file the first time anything else of it is used (upgrade(), say)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import types

# What a revision file may import and still be known without running it:
# libraries the cache key pins (their versions) and the standard library's
# plainest modules. Anything else, the project's own modules above all, is
# imported at load as Alembic does, so that a change that breaks an old
# revision's import is still seen.
_SAFE_MODULES = re.compile(
    r"^(alembic|sqlalchemy|typing|typing_extensions|__future__|datetime|decimal|enum|json|re|uuid|textwrap)(\.|$)"
)
_IMPORT_LINE = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s+[\w\s,()*.]+|import\s+([\w.\s,]+?))\s*(?:#.*)?$")


def _imports_only_libraries(text):
    for line in text.splitlines():
        if "import" not in line:
            continue
        match = _IMPORT_LINE.match(line)
        if match is None:
            return False  # an import in another form (importlib, __import__, a docstring): not known
        if match.group(1) is not None:
            modules = [match.group(1)]
        else:
            modules = [part.split(" as ")[0].strip() for part in match.group(2).split(",")]
        if not all(_SAFE_MODULES.match(module) for module in modules):
            return False
    return True


class KnownRevision(types.ModuleType):
    """A revision file's graph as the cache entry has it; the file runs on first use of anything else."""

    def __init__(self, name, path, known, load):
        super().__init__(name, known.get("message") or None)
        self.__file__ = path
        self.revision = known["id"]
        down = list(known.get("downRevisions") or [])
        self.down_revision = None if not down else down[0] if len(down) == 1 else tuple(down)
        self.branch_labels = tuple(known.get("branchLabels") or ()) or None
        self.depends_on = tuple(known.get("dependsOn") or ()) or None
        self.__dict__["_alembic_review_load"] = load

    def __getattr__(self, name):
        # Alembic asks for some private names (a source encoding) only to see whether they are there.
        if name.startswith("_"):
            raise AttributeError(name)
        real = self.__dict__.get("_alembic_review_real")
        if real is None:
            real = self.__dict__["_alembic_review_load"]()
            self.__dict__["_alembic_review_real"] = real
        return getattr(real, name)


def knowable(path, known):
    """The entry for `path` when its bytes are the entry's and it imports only libraries; else None."""
    entry = known.get(os.path.realpath(path))
    if entry is None:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return entry if _imports_only_libraries(text) else None


@contextlib.contextmanager
def known_revisions(known, counted):
    """While Alembic loads the revision files: the known ones are not executed
    (see the module's docstring); `counted` gets the paths that were not."""
    from alembic import util

    original = util.load_python_file

    def load_python_file(dir_, filename):
        path = os.path.join(str(dir_), str(filename))
        entry = knowable(path, known) if str(filename).endswith(".py") else None
        if entry is None:
            return original(dir_, filename)
        counted.append(path)
        return KnownRevision(re.sub(r"\W", "_", str(filename)), path, entry, lambda: original(dir_, filename))

    util.load_python_file = load_python_file
    try:
        yield
    finally:
        util.load_python_file = original
