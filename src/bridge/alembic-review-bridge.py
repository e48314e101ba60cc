"""Starts alembic-review's Python bridge.

The file name cannot be imported, and this directory holds only the
alembic_review_bridge package: the bridge adds no module of its own to the
names the project's code can import.
"""

import os
import sys

sys.path[0] = os.path.dirname(os.path.abspath(__file__))

from alembic_review_bridge import protocol  # noqa: E402,F401  (takes over stdout before anything prints)
from alembic_review_bridge.main import run  # noqa: E402

run()
