"""The ingest process: reads raw exchanges from the proxy, writes sanitized rows to the store.

    python -m harness.ingest [--db URL] [--plan FILE] [--spool PATH] [--shadow NAME=URL ...]

Started by the capture addon (``addons/capture.py``) with its stdin as a pipe. Each frame is a
4-byte big-endian length and a ``marshal``-ed dict (see ``addons.frames.record``). A reader
thread parses frames into a queue; the main loop takes batches (up to :data:`BATCH` frames or
:data:`BATCH_WAIT` seconds), turns each into a sanitized row (:mod:`harness.record`) and
inserts the batch in one transaction. The secret key comes from HARNESS_KEY (hex) and the
store from HARNESS_DB when --db is not given: the capture addon passes both by environment,
never argv, where any local user could read a database password.

When the store is down or erroring, sanitized rows go to the spool file
(:mod:`harness.spool`); the store is retried every :data:`RETRY_SECONDS` and the spool is
back-filled when it answers, and at start. On EOF (the proxy closed the pipe or died)
everything read is processed and flushed, then the process exits 0. SIGINT is ignored (a
terminal sends it to the whole process group; the proxy decides when to stop); SIGTERM
waits briefly for the proxy's last frames, then finishes what it has read and exits.

Logs go to stderr: counts, ids and durations, never a body.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import marshal
import os
import queue
import signal
import struct
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from harness.errors import ConfigError, HarnessError
from harness.spool import Row, Spool, default_spool_path

log = logging.getLogger("harness.ingest")

BATCH = 500  # frames per transaction, at most
BATCH_WAIT = 0.05  # seconds a batch waits to fill
RETRY_SECONDS = 3.0  # between tries of a store that is down
SQLITE_BUSY_MS = 2000  # a SQLite lock held longer than this: spool, retry later
TERM_GRACE = 2.0  # after SIGTERM, seconds to wait for the proxy's last frames
STATS_EVERY = 60.0  # seconds between progress lines
# The ingest yields the CPU to the proxy: capture is background work and production traffic
# comes first (on a busy host the ingest falls behind for a while and catches up later).
NICE = 19
_HEADER = struct.Struct(">I")
_EOF = None


def read_frames(fd: int, chunk: int = 1 << 20) -> Iterator[dict[str, Any]]:
    """Frames from a file descriptor until EOF; a torn last frame is dropped with a log line.

    Reads the raw descriptor (no buffered reader: a daemon thread blocked in a buffered
    read makes the interpreter abort at exit).
    """
    buf = bytearray()
    while True:
        data = os.read(fd, chunk)
        if not data:
            break
        buf += data
        pos = 0
        end = len(buf)
        while end - pos >= 4:
            (size,) = _HEADER.unpack_from(buf, pos)
            if end - pos - 4 < size:
                break
            rec = marshal.loads(bytes(buf[pos + 4 : pos + 4 + size]))
            pos += 4 + size
            if isinstance(rec, dict):
                yield rec
            else:
                log.error("a frame is not an exchange record; skipped")
        if pos:
            del buf[:pos]
    if buf:
        log.error("torn frame at end of input (%d bytes)", len(buf))


class Store:
    """Inserts batches of rows; spools them while the store is down, back-fills after."""

    def __init__(self, db: str, spool: Spool, *, want_ids: bool = False) -> None:
        from harness.store import make_engine

        self.db = db
        self.want_ids = want_ids  # set each inserted row's "id" (live shadow needs it)
        self.spool = spool
        self.engine: Engine = make_engine(db, sqlite_busy_ms=SQLITE_BUSY_MS)
        self.stored = 0
        self.spooled = 0
        self.refused = 0  # rows the store refused one by one (written to <spool>.rejected)
        self.down_since: float | None = None
        self._next_try = 0.0
        self._migrated = False

    def _migrate(self) -> None:
        if not self._migrated:
            from harness.store import migrate

            migrate(self.engine)
            self._migrated = True

    def start(self) -> None:
        """Migrate and back-fill a spool left by an earlier run (store down: spool on)."""
        self._try_store()

    def _try_store(self) -> bool:
        try:
            self._migrate()
            if self.spool.exists():
                started = time.monotonic()
                n = self.spool.drain(self._insert)
                if n:
                    log.info(
                        "back-filled %d spooled exchanges in %.2fs", n, time.monotonic() - started
                    )
        except (SQLAlchemyError, HarnessError) as exc:
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
            log.error("store unavailable (%s); spooling to %s", _reason(exc), self.spool.path)
        self._next_try = now + RETRY_SECONDS

    def tick(self, force: bool = False) -> None:
        """Retry a store that is down (when due, or now with ``force``) and back-fill."""
        if self.down_since is None and not self.spool.exists():
            return
        if force or time.monotonic() >= self._next_try:
            self._try_store()

    def write(self, rows: list[Row]) -> None:
        """Insert rows in one transaction, or spool them; never raises for a store problem."""
        if not rows:
            return
        pending = self.down_since is not None or self.spool.exists()
        if pending and (time.monotonic() < self._next_try or not self._try_store()):
            self.spooled += self.spool.append(rows)
            return
        try:
            self._insert(rows)
        except (SQLAlchemyError, HarnessError) as exc:
            self._down(exc)
            for row in rows:
                row.pop("id", None)  # an id from a transaction that did not commit
            self.spooled += self.spool.append(rows)

    def _insert(self, rows: list[Row]) -> None:
        from harness.store.queries import insert_exchanges

        try:
            with self.engine.begin() as conn:
                insert_exchanges(conn, rows, returning_ids=self.want_ids)
            self.stored += len(rows)
        except (IntegrityError, DataError):
            # The store answers but refuses something in this batch: find the rows.
            self._insert_one_by_one(rows)

    def _insert_one_by_one(self, rows: list[Row]) -> None:
        from harness.store.queries import insert_exchanges

        refused: list[Row] = []
        for row in rows:
            try:
                with self.engine.begin() as conn:
                    insert_exchanges(conn, [row], returning_ids=self.want_ids)
                self.stored += 1
            except (IntegrityError, DataError) as exc:
                refused.append(row)
                log.error("store refused an exchange (%s): %s", row.get("endpoint"), _reason(exc))
        if refused:
            self.refused += Spool(str(self.spool.path) + ".rejected").append(refused)

    def close(self) -> None:
        self.engine.dispose()


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class Ingest:
    """The main loop: frames in, sanitized rows out."""

    def __init__(self, builder: Any, store: Store, shadow: Any = None) -> None:
        self.builder = builder
        self.store = store
        self.shadow = shadow
        self.frames: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self.received = 0
        self.processed = 0
        self.batches = 0
        self.eof = threading.Event()
        self.term_at: float | None = None

    def reader(self, fd: int) -> None:
        """Thread: parse frames into the queue; EOF (or a broken stream) ends it."""
        try:
            for rec in read_frames(fd):
                self.frames.put(rec)
        except (OSError, ValueError, EOFError) as exc:
            log.error("input broken: %s", type(exc).__name__)
        finally:
            self.eof.set()
            self.frames.put(_EOF)

    def on_sigterm(self, *_: Any) -> None:
        if self.term_at is None:
            self.term_at = time.monotonic()
            log.info("SIGTERM: finishing what was read")

    def _take(self) -> tuple[list[dict[str, Any]], bool]:
        """One batch; the flag says the input is over."""
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + BATCH_WAIT
        while len(batch) < BATCH:
            timeout = deadline - time.monotonic()
            try:
                rec = (
                    self.frames.get(timeout=max(timeout, 0.0))
                    if timeout > 0
                    else self.frames.get_nowait()
                )
            except queue.Empty:
                break
            if rec is _EOF:
                return batch, True
            batch.append(rec)
        if self.term_at is not None and time.monotonic() - self.term_at >= TERM_GRACE:
            # Take what is already queued, then stop.
            while True:
                try:
                    rec = self.frames.get_nowait()
                except queue.Empty:
                    return batch, True
                if rec is _EOF:
                    return batch, True
                batch.append(rec)
        return batch, False

    def run(self) -> None:
        last_stats = time.monotonic()
        done = False
        while not done:
            batch, done = self._take()
            if batch:
                started = time.monotonic()
                rows = [
                    self.builder.build(rec, self.processed + i + 1) for i, rec in enumerate(batch)
                ]
                self.processed += len(rows)
                self.store.write(rows)
                self.batches += 1
                if self.shadow is not None:
                    # Only rows in the store have an id; spooled ones are not mirrored.
                    self.shadow.submit([r for r in rows if "id" in r])
                log.debug("batch of %d in %.1f ms", len(rows), (time.monotonic() - started) * 1000)
            else:
                self.store.tick()  # idle: back-fill the spool once the store answers
            now = time.monotonic()
            if now - last_stats >= STATS_EVERY:
                last_stats = now
                self.log_stats()
        self.store.tick(force=True)
        self.log_stats()

    def log_stats(self) -> None:
        s = self.store
        log.info(
            "%d exchanges: %d stored, %d spooled, %d refused, %d with errors, %d batches",
            self.processed,
            s.stored,
            s.spooled,
            s.refused,
            getattr(self.builder, "errors", 0),
            self.batches,
        )


def _shadow(specs: Sequence[str], plan: Any, db: str, production: Sequence[str] = ()) -> Any:
    """The live-shadow hook: ``harness.shadow.ShadowSender`` when targets are given."""
    if not specs:
        return None
    targets: dict[str, str] = {}
    for spec in specs:
        name, _, url = spec.partition("=")
        if not name or "://" not in url:
            raise ConfigError(f"--shadow wants NAME=URL, got {spec!r}")
        targets[name] = url
    try:
        from harness.shadow import ShadowSender  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ConfigError(
            "live shadow (--shadow) needs harness.shadow, which is not available"
        ) from None
    return ShadowSender(targets, plan, db, production=production)


def _key() -> bytes:
    value = os.environ.get("HARNESS_KEY")
    if value:
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise ConfigError("HARNESS_KEY is not hex") from None
    from harness.sanitize import load_key

    return load_key()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.ingest", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--db", default=None, help="store path or SQLAlchemy URL (default: HARNESS_DB)"
    )
    parser.add_argument("--plan", default=None, help="gateway plan YAML")
    parser.add_argument("--spool", default=None, help="spool file (default: next to the db)")
    parser.add_argument("--shadow", action="append", default=[], help="live shadow target NAME=URL")
    parser.add_argument(
        "--production",
        action="append",
        default=[],
        help="the proxy's upstream: never a shadow target (the proxy passes it)",
    )
    parser.add_argument("--nice", type=int, default=NICE, help="CPU niceness increment (0: none)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s harness.ingest[%(process)d] %(levelname)s %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if args.nice:
        with contextlib.suppress(OSError):
            os.nice(args.nice)
    from harness.plan import load_plan
    from harness.record import RowBuilder
    from harness.store import resolve_url

    try:
        plan = load_plan(args.plan)
        db = resolve_url(args.db)
        spool = Spool(args.spool or default_spool_path(db))
        builder = RowBuilder(plan, _key())
        shadow = _shadow(args.shadow, plan, db, args.production)
        store = Store(db, spool, want_ids=shadow is not None)
    except HarnessError as exc:
        log.error("%s", exc)
        return 2
    ingest = Ingest(builder, store, shadow)
    signal.signal(signal.SIGTERM, ingest.on_sigterm)
    store.start()
    thread = threading.Thread(
        target=ingest.reader, args=(sys.stdin.fileno(),), name="frames", daemon=True
    )
    thread.start()
    try:
        ingest.run()
    finally:
        if shadow is not None:
            shadow.close(timeout=10.0)
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
