"""All models of the blog, registered on one ``Base``.

Import every model module here: Alembic's env.py does
``from app.models import Base``, and a model that is never imported is
invisible to ``alembic revision --autogenerate`` (and to ``alembic check``).
"""
from .base import Base
from .post import Post
from .user import User

__all__ = ["Base", "Post", "User"]
