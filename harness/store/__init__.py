"""The store: SQLAlchemy models, engine and session factory, queries, Alembic migrations."""

from harness.store.engine import make_engine, migrate, open_store, opened, resolve_url
from harness.store.models import Base, Exchange, ReplayResult, ReplayRun, Rule

__all__ = [
    "Base",
    "Exchange",
    "ReplayResult",
    "ReplayRun",
    "Rule",
    "make_engine",
    "migrate",
    "open_store",
    "opened",
    "resolve_url",
]
