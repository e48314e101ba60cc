"""`python -m alembic_review_bridge`: the protocol stream first, then the loop."""

from alembic_review_bridge import protocol  # noqa: F401  (takes over stdout before anything prints)
from alembic_review_bridge.main import run

run()
