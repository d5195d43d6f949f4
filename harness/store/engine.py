"""Engines, sessions and migrations for the store.

``--db`` takes a path (a SQLite file) or any SQLAlchemy URL; HARNESS_DB is the default,
then ./harness.db.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from harness.errors import StoreError
from harness.store import jsoncol

DEFAULT_DB = "harness.db"
MIGRATIONS = Path(__file__).parent / "migrations"


def resolve_url(db: str | None = None) -> str:
    """Turn a --db value (path or URL, or None for HARNESS_DB / ./harness.db) into a URL."""
    value = db or os.environ.get("HARNESS_DB") or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def _sqlite_pragmas(busy_ms: int):  # type: ignore[no-untyped-def]
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return on_connect


def make_engine(db: str | None = None, *, sqlite_busy_ms: int = 10000) -> Engine:
    """An engine for the store; SQLite files are opened in WAL mode.

    ``sqlite_busy_ms``: how long a SQLite write waits for another writer's lock before it
    fails (the ingest process uses a short wait: it spools and retries instead).
    """
    url = resolve_url(db)
    try:
        engine = create_engine(
            url,
            future=True,
            pool_pre_ping=not url.startswith("sqlite"),
            json_serializer=jsoncol.dumps,
            json_deserializer=jsoncol.loads,
        )
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot use store URL {_redact(url)!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        db_path = engine.url.database
        if db_path and db_path != ":memory:" and not Path(db_path).parent.is_dir():
            raise StoreError(f"store directory does not exist: {str(Path(db_path).parent)!r}")
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_busy_ms))
    return engine


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest Alembic revision."""
    try:
        command.upgrade(_alembic_config(engine), "head")
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot reach or migrate store {_redact(str(engine.url))!r}: {_first_line(exc)}"
        ) from None


def open_store(db: str | None = None, *, create: bool = True) -> sessionmaker[Session]:
    """Engine + migrations + a session factory; the caller frames ``with factory.begin() as s``."""
    engine = make_engine(db)
    if not create and engine.dialect.name == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and not Path(path).is_file():
            engine.dispose()
            raise StoreError(f"no harness store at {path!r} (the file does not exist)")
    if create:
        migrate(engine)
    else:
        try:
            if not inspect(engine).has_table("exchanges"):
                raise StoreError(f"no harness store at {_redact(str(engine.url))!r}")
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot reach store {_redact(str(engine.url))!r}: {_first_line(exc)}"
            ) from None
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def opened(db: str | None = None, *, create: bool = False) -> Iterator[sessionmaker[Session]]:
    """:func:`open_store` for one command: the engine is disposed when the block ends."""
    factory = open_store(db, create=create)
    try:
        yield factory
    finally:
        factory.kw["bind"].dispose()


def _redact(url: str) -> str:
    """Hide a password in a URL before it reaches a message."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
