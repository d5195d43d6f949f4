"""Engines, sessions and migrations for the store.

``--db`` takes a path (a SQLite file) or any SQLAlchemy URL; HARNESS_DB is the default,
then ./harness.db. A URL with a password belongs in HARNESS_DB, not on a command line
(other local users can read command lines).

Hygiene, whatever the caller:

- engines hide statement parameters in their errors and logs (``hide_parameters``): no
  exception message or log line ever carries a row's values;
- a SQLite file is created 0600 before SQLite opens it (its WAL and shared-memory files
  inherit that mode), and an existing one open to others is tightened to 0600;
- a store whose schema revision this harness does not know (one migrated by a newer
  version) is refused with one line, before any command reads or writes it;
- a store that does not answer (a server down, a connection refused) raises
  :class:`harness.errors.StoreUnavailable`, which callers that can wait (the ingest, the
  proxy at start) treat as "spool and retry"; other failures raise :class:`StoreError`.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from harness.errors import StoreError, StoreUnavailable
from harness.store import jsoncol

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_DB = "harness.db"
PG_CONNECT_TIMEOUT = 10  # seconds, unless the URL says otherwise
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


def make_engine(
    db: str | None = None, *, sqlite_busy_ms: int = 10000, create: bool = True
) -> Engine:
    """An engine for the store; SQLite files are opened in WAL mode.

    ``sqlite_busy_ms``: how long a SQLite write waits for another writer's lock before it
    fails (the ingest process uses a short wait: it spools and retries instead).
    ``create``: create a missing SQLite file (0600); without it, SQLite reports it missing.
    """
    url = resolve_url(db)
    connect_args: dict[str, int] = {}
    if url.startswith("postgresql") and "connect_timeout" not in url:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT  # a cut network: fail, spool
    try:
        engine = create_engine(
            url,
            future=True,
            pool_pre_ping=not url.startswith("sqlite"),
            json_serializer=jsoncol.dumps,
            json_deserializer=jsoncol.loads,
            hide_parameters=True,
            connect_args=connect_args,
        )
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot use store URL {_redact(url)!r}: {_first_line(exc)}") from None
    if engine.dialect.name == "sqlite":
        db_path = sqlite_path(engine)
        if db_path is not None:
            if not db_path.parent.is_dir():
                raise StoreError(f"store directory does not exist: {str(db_path.parent)!r}")
            if create or db_path.exists():
                private_file(db_path)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_busy_ms))
    return engine


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite store (None for another backend or an in-memory database)."""
    if engine.dialect.name != "sqlite":
        return None
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing; tighten an existing one of ours.

    Raises :class:`StoreError` when the file cannot be created (a read-only directory).
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create store file {str(path)!r}: {exc.strerror}") from None
    try:
        st = path.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass  # not ours to change: SQLite reports what it cannot open


def _alembic_config(engine: Engine | None) -> Config:
    from alembic.config import Config  # start-up: alembic costs ~0.1 s, needed only to migrate

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest Alembic revision.

    Raises :class:`StoreUnavailable` when the store does not answer, :class:`StoreError`
    for an unknown schema revision or any other failure.
    """
    # start-up: alembic costs ~0.1 s over SQLAlchemy, needed only to migrate or check
    from alembic import command
    from alembic.util.exc import CommandError

    cfg = _alembic_config(engine)
    try:
        check_revision(engine)
        command.upgrade(cfg, "head")
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(
            f"cannot reach store {_redact(str(engine.url))!r}: {_first_line(exc)}"
        ) from None
    except (SQLAlchemyError, CommandError) as exc:
        raise StoreError(
            f"cannot migrate store {_redact(str(engine.url))!r}: {_first_line(exc)}"
        ) from None


_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


@cache
def known_revisions() -> frozenset[str]:
    """The schema revisions this harness's migrations define (read from their files: the
    commands that only read a store do not import Alembic, a third of their start-up)."""
    found = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found.update(_REVISION.findall(path.read_text(encoding="utf-8")))
    return frozenset(found)


def check_revision(engine: Engine) -> None:
    """Refuse a store whose schema revision this harness does not know (a newer one)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return
        current = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    for revision in current:
        if revision not in known_revisions():
            raise StoreError(
                f"store {_redact(str(engine.url))!r} has schema revision {revision!r}, which "
                "this harness does not know (written by a newer version?); nothing was run"
            )


_DOWN = re.compile(r"^down_revision(?:\s*:[^=]*)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


@cache
def head_revision() -> str:
    """The newest schema revision this harness knows (read from the migration files, like
    :func:`known_revisions`: the revision no other one revises)."""
    revised = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        revised.update(_DOWN.findall(path.read_text(encoding="utf-8")))
    heads = sorted(known_revisions() - revised)
    assert len(heads) == 1, heads
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision (None: an empty store). Raises :class:`StoreUnavailable`
    when the store does not answer."""
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            heads = [
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            ]
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(
            f"cannot reach store {_redact(str(engine.url))!r}: {_first_line(exc)}"
        ) from None
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot read store {_redact(str(engine.url))!r}: {_first_line(exc)}"
        ) from None
    return heads[0] if heads else None


def check_current(engine: Engine, *, unversioned_ok: bool = False) -> None:
    """Refuse (one line) a store whose schema is not this harness's newest: ``--no-migrate``
    and the reading commands never change a schema; ``harness db upgrade`` does.

    ``unversioned_ok``: a store whose tables exist but whose revision is not recorded yet
    passes (a SQLite store read while another process creates it: its tables are
    committed a moment before the revision).
    """
    check_revision(engine)
    current, head = current_revision(engine), head_revision()
    if current is None and unversioned_ok:
        return
    if current != head:
        where = _redact(str(engine.url))
        if current is None:
            raise StoreError(f"store {where!r} has no harness schema; run: harness db upgrade")
        raise StoreError(
            f"store {where!r} is at schema revision {current!r}, this harness needs "
            f"{head!r}; run: harness db upgrade"
        )


def open_store(db: str | None = None, *, create: bool = True) -> sessionmaker[Session]:
    """Engine + migrations + a session factory; the caller frames ``with factory.begin() as s``."""
    engine = make_engine(db, create=create)
    if not create and engine.dialect.name == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and not Path(path).is_file():
            engine.dispose()
            raise StoreError(f"no harness store at {path!r} (the file does not exist)")
    if create:
        try:
            migrate(engine)
        except StoreError:
            engine.dispose()
            raise
    else:
        try:
            if not inspect(engine).has_table("exchanges"):
                raise StoreError(f"no harness store at {_redact(str(engine.url))!r}")
            check_current(engine, unversioned_ok=True)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(
                f"cannot reach store {_redact(str(engine.url))!r}: {_first_line(exc)}"
            ) from None
        except StoreError:
            engine.dispose()
            raise
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def opened(db: str | None = None, *, create: bool = False) -> Iterator[sessionmaker[Session]]:
    """:func:`open_store` for one command: the engine is disposed when the block ends."""
    factory = open_store(db, create=create)
    try:
        yield factory
    finally:
        factory.kw["bind"].dispose()


def redact_url(url: str) -> str:
    """A store URL for messages and logs: the password hidden."""
    return _redact(url)


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
