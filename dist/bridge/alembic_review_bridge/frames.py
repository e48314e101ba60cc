"""Where in the project's code something happened."""

from __future__ import annotations

import os


def innermost_frame(tb, directories):
    """(file, line) of the innermost traceback frame inside one of directories."""
    found = None
    while tb is not None:
        filename = os.path.realpath(tb.tb_frame.f_code.co_filename)
        if any(filename.startswith(d + os.sep) for d in directories):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
