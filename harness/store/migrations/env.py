"""Alembic environment: runs migrations on the engine the harness hands over."""

from alembic import context
from sqlalchemy import text

from harness.store.models import Base

# Several sidecars may start at once against one PostgreSQL store: each would find the
# schema missing and create it. A transaction-scoped advisory lock makes them take turns;
# the second then finds the schema current and does nothing.
MIGRATION_LOCK = 0x6861726E  # "harn"

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
