"""Imports from the base commit's tree instead of the pull request's.

The bridge that opens the base commit runs with the project's Python, whose
import path (prepend_sys_path, PYTHONPATH, the .pth files and finders of an
editable install) points into the pull request's tree. Every such entry is
pointed at the same place in the base commit's tree before any project code is
imported, so that the base commit's models and settings are the ones loaded.
The interpreter's own directories (a .venv inside the repository) stay.
"""

from __future__ import annotations

import importlib
import os
import sys


def _moved(path, old_root, new_root, keep):
    if not isinstance(path, str) or not path:
        return None
    real = os.path.realpath(path)
    if any(real == k or real.startswith(k + os.sep) for k in keep):
        return None
    if real == old_root or real.startswith(old_root + os.sep):
        return new_root + real[len(old_root):]
    return None


def rebase_imports(old_root, new_root):
    """Points sys.path entries and editable-install mappings under old_root at
    new_root; returns how many were moved."""
    old_root = os.path.realpath(old_root)
    new_root = os.path.realpath(new_root)
    keep = sorted(set(os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix, sys.base_prefix)))
    moved = 0
    for index, entry in enumerate(list(sys.path)):
        target = _moved(entry, old_root, new_root, keep)
        if target is not None:
            sys.path[index] = target
            moved += 1
    # setuptools' editable installs map package names to directories in a
    # finder module (__editable___<dist>_finder.MAPPING) read at import time.
    for name, module in list(sys.modules.items()):
        if not name.startswith("__editable__"):
            continue
        mapping = getattr(module, "MAPPING", None)
        if isinstance(mapping, dict):
            for key, value in list(mapping.items()):
                target = _moved(value, old_root, new_root, keep)
                if target is not None:
                    mapping[key] = target
                    moved += 1
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()
    return moved
