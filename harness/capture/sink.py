"""Where the ingest's sanitized rows go: the store, else a spool, else memory, else a count.

:class:`Sink` never raises for a storage problem. Each row it is given ends in exactly one
of four places, and its counters say which:

1. **stored** (``stored``): inserted and committed;
2. **spooled** (``spooled``): appended and fsynced to the first spool that can be written
   (``spools[0]`` is the configured one, ``spools[1]`` the fallback in a private
   temporary directory); a spool that fails (a full disk, a read-only directory) is
   skipped until :data:`RETRY_SECONDS` have passed;
3. **held** (``held``): in a bounded memory buffer (:data:`MEMORY_LIMIT` bytes) while no
   spool can be written; moved to a spool or the store as soon as one answers (then
   counted there); lost if the process ends first;
4. **lost** (``lost``): beyond the memory buffer, or held at exit; counted and logged.

``stored + spooled + lost`` only grows, by one per row given, once the row is durable or
lost: it is what the ingest acknowledges to the proxy. Rows back-filled from a spool into
the store are counted in ``backfilled`` (they were counted once, as spooled).

Store faults survived: a store that is down at start or later (spool, retry every
:data:`RETRY_SECONDS`, back-fill); a PostgreSQL restart (the pool pings, the failed batch
is spooled); a full disk; a SQLite file deleted or replaced while open (detected before
each batch by its inode, recreated and migrated, with a warning: rows are never written
into an unlinked file). Log lines carry counts and reasons, never a row's values (the
engine hides statement parameters).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from harness.capture.spool import Spool
from harness.errors import HarnessError, SpoolError
from harness.rows import ExchangeRow
from harness.store import make_engine, migrate
from harness.store.engine import check_current, sqlite_path
from harness.store.queries import insert_exchanges

log = logging.getLogger("harness.capture.ingest")

RETRY_SECONDS = 3.0  # between tries of a store or a spool that failed
SQLITE_BUSY_MS = 2000  # a SQLite lock held longer than this: spool, retry later
MEMORY_LIMIT = 64 * 1024 * 1024  # bytes of rows held when neither store nor spool answers
_ROW_OVERHEAD = 512  # bytes counted per held row besides its bodies


def _row_bytes(row: ExchangeRow) -> int:
    return _ROW_OVERHEAD + sum(
        len(v) for v in (row.get("request_body"), row.get("response_body")) if v
    )


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class Sink:
    """Stores rows, or keeps them safe until the store answers (see the module docstring)."""

    def __init__(
        self, db: str, spools: Sequence[Spool], *, want_ids: bool = False, migrate: bool = True
    ) -> None:
        if not spools:
            raise ValueError("a sink needs at least one spool")
        self.db = db
        self.spools = list(spools)
        self.want_ids = want_ids  # set each inserted row's "id" (live shadow needs it)
        self.migrate = migrate  # False (--no-migrate): never change the schema, check it
        self.engine: Engine = make_engine(db, sqlite_busy_ms=SQLITE_BUSY_MS)
        self.file: Path | None = sqlite_path(self.engine)
        self.stored = 0
        self.spooled = 0
        self.lost = 0
        self.backfilled = 0
        self.refused = 0  # rows the store refused one by one (written to <spool>.rejected)
        self.down_since: float | None = None
        self._next_try = 0.0
        self._migrated = False
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the SQLite file
        self._spool_retry = [0.0] * len(self.spools)
        self._memory: collections.deque[ExchangeRow] = collections.deque()
        self._memory_bytes = 0
        self._last_loss_log = 0.0

    # -- counters -------------------------------------------------------------------------

    @property
    def acknowledged(self) -> int:
        """Rows durable or lost: what the ingest acknowledges."""
        return self.stored + self.spooled + self.lost

    @property
    def held(self) -> int:
        return len(self._memory)

    # -- the store ------------------------------------------------------------------------

    def start(self) -> None:
        """Migrate and back-fill spools left by an earlier run (store down: spool on)."""
        self._try_store()

    def _migrate(self) -> None:
        if not self._migrated:
            if self.migrate:
                migrate(self.engine)
            else:
                check_current(self.engine)
            self._migrated = True
            self._identity = self._file_identity()

    def _file_identity(self) -> tuple[int, int] | None:
        if self.file is None:
            return None
        try:
            st = os.stat(self.file)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _check_file(self) -> None:
        """A SQLite file deleted or replaced under us: reopen (and recreate) it."""
        if self.file is None or not self._migrated:
            return
        now = self._file_identity()
        if now is not None and now == self._identity:
            return
        what = "deleted" if now is None else "replaced"
        log.warning("store file %s was %s while open; reopening it", self.file, what)
        self.engine.dispose()  # close the old file (its WAL is checkpointed and removed)
        if now is None:
            for suffix in ("-wal", "-shm", "-journal"):  # leftovers of the deleted file
                with contextlib.suppress(OSError):
                    os.unlink(str(self.file) + suffix)
        self.engine = make_engine(self.db, sqlite_busy_ms=SQLITE_BUSY_MS)
        self._migrated = False
        self._migrate()

    def _try_store(self) -> bool:
        try:
            self._check_file()
            self._migrate()
            for spool in self.spools:
                if spool.exists():
                    started = time.monotonic()
                    n = spool.drain(self._insert_backfill)
                    if n:
                        log.info(
                            "back-filled %d spooled exchanges from %s in %.2fs",
                            n,
                            spool.path,
                            time.monotonic() - started,
                        )
            while self._memory:
                batch = [self._memory.popleft() for _ in range(min(500, len(self._memory)))]
                try:
                    self._insert(batch)
                except BaseException:
                    self._memory.extendleft(reversed(batch))
                    raise
                self._memory_bytes -= sum(_row_bytes(r) for r in batch)
                self.stored += len(batch)
        except (SQLAlchemyError, HarnessError, OSError) as exc:
            self._down(exc)
            return False
        if self.down_since is not None:
            log.info("store is back after %.1fs", time.monotonic() - self.down_since)
        self.down_since = None
        return True

    def _down(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            log.error("store unavailable (%s); spooling exchanges until it answers", _reason(exc))
        self._next_try = now + RETRY_SECONDS
        if isinstance(exc, SQLAlchemyError):
            self.engine.dispose()  # fresh connections next time (a restarted server)

    def _pending(self) -> bool:
        return (
            self.down_since is not None
            or bool(self._memory)
            or any(s.exists() for s in self.spools)
        )

    def tick(self, force: bool = False) -> None:
        """Retry a store that is down (when due, or now with ``force``) and back-fill."""
        if not self._pending():
            return
        due = force or time.monotonic() >= self._next_try
        if due and not self._try_store() and self._memory:
            self._spool_memory()

    def write(self, rows: list[ExchangeRow]) -> None:
        """Insert rows in one transaction, or keep them safe; never raises for storage."""
        if not rows:
            return
        if self._pending() and (time.monotonic() < self._next_try or not self._try_store()):
            self._keep(rows)
            return
        try:
            self._check_file()
            refused = self.refused
            self._insert(rows)
            self.spooled += self.refused - refused  # kept in <spool>.rejected
            self.stored += len(rows) - (self.refused - refused)
        except (SQLAlchemyError, HarnessError, OSError) as exc:
            self._down(exc)
            for row in rows:
                row.pop("id", None)  # an id from a transaction that did not commit
            self._keep(rows)

    def _insert(self, rows: list[ExchangeRow]) -> None:
        """Commit ``rows`` (counted by the caller); raises when the store is down."""
        try:
            with self.engine.begin() as conn:
                insert_exchanges(conn, rows, returning_ids=self.want_ids)
        except (IntegrityError, DataError):
            # The store answers but refuses something in this batch: find the rows.
            self._insert_one_by_one(rows)

    def _insert_backfill(self, rows: list[ExchangeRow]) -> None:
        self._insert(rows)
        self.backfilled += len(rows)

    def _insert_one_by_one(self, rows: list[ExchangeRow]) -> None:
        refused: list[ExchangeRow] = []
        for row in rows:
            try:
                with self.engine.begin() as conn:
                    insert_exchanges(conn, [row], returning_ids=self.want_ids)
            except (IntegrityError, DataError) as exc:
                refused.append(row)
                log.error("store refused an exchange (%s): %s", row.get("endpoint"), _reason(exc))
        if refused:
            try:
                self.refused += Spool(str(self.spools[0].path) + ".rejected").append(refused)
            except SpoolError as exc:
                log.error("cannot keep refused exchanges: %s", exc)

    # -- spools and memory ----------------------------------------------------------------

    def _keep(self, rows: list[ExchangeRow]) -> None:
        """Spool rows (first spool that works), else hold them in memory, else count them."""
        if self._spool(rows):
            self.spooled += len(rows)
            return
        for row in rows:
            size = _row_bytes(row)
            if self._memory_bytes + size <= MEMORY_LIMIT:
                self._memory.append(row)
                self._memory_bytes += size
            else:
                self.lost += 1
                self._log_loss()

    def _spool(self, rows: list[ExchangeRow]) -> bool:
        now = time.monotonic()
        for i, spool in enumerate(self.spools):
            if now < self._spool_retry[i]:
                continue
            try:
                spool.append(rows)
            except SpoolError as exc:
                if self._spool_retry[i] == 0.0 or i == len(self.spools) - 1:
                    log.error("%s; trying the next place", exc)
                self._spool_retry[i] = now + RETRY_SECONDS
                continue
            if self._spool_retry[i]:
                log.info("spool %s is writable again", spool.path)
            self._spool_retry[i] = 0.0
            return True
        return False

    def _spool_memory(self) -> None:
        """Make held rows durable once a spool can be written again."""
        rows = list(self._memory)
        if rows and self._spool(rows):
            self._memory.clear()
            self._memory_bytes = 0
            self.spooled += len(rows)

    def _log_loss(self) -> None:
        now = time.monotonic()
        if now - self._last_loss_log >= 10.0:
            self._last_loss_log = now
            log.error(
                "no store, no spool and the memory buffer is full: %d exchanges lost so far",
                self.lost,
            )

    def close(self) -> None:
        """Last try for held rows (store, then spool); what remains is counted lost."""
        if self._memory:
            self.tick(force=True)
        if self._memory:
            self._spool_memory()
        if self._memory:
            self.lost += len(self._memory)
            log.error("%d exchanges held in memory are lost at exit", len(self._memory))
            self._memory.clear()
            self._memory_bytes = 0
        self.engine.dispose()

    def stats(self) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "spooled": self.spooled,
            "held": self.held,
            "lost": self.lost,
            "backfilled": self.backfilled,
            "refused": self.refused,
        }
