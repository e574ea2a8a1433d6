"""Database access: the declarative base, the engine and the write transaction."""

from .base import Base, utcnow
from .engine import Database, TemporaryFailure

__all__ = ["Base", "Database", "TemporaryFailure", "utcnow"]
