"""The ingest process: reads raw exchanges from the proxy, writes sanitized rows to the store.

    python -m harness.capture.ingest [--db URL] [--plan FILE] [--spool PATH] [--spool-fallback PATH]
        [--max-body BYTES] [--ack-fd FD] [--stats-fd FD] [--shadow NAME=URL ...]
        [--instance NAME] [--no-migrate] [--log-format text|json]

Started by the capture addon (``addons/capture.py``) with its stdin as a pipe. Each frame is a
4-byte big-endian length and a ``marshal``-ed dict (see ``harness.capture.frames.record``). A reader
thread parses frames into a queue; the main loop takes batches (up to :data:`BATCH` frames or
:data:`BATCH_WAIT` seconds), turns each into a sanitized row (:mod:`harness.capture.record`) and
inserts the batch in one transaction. The secret key comes from HARNESS_KEY (hex) and the
store from HARNESS_DB when --db is not given: the capture addon passes both by environment,
never argv, where any local user could read a database password.

Rows go through a :class:`harness.capture.sink.Sink`: the store, else the spool file, else a
fallback spool in a private temporary directory, else a bounded memory buffer, else
counted as lost; the store is retried every few seconds and the spools are back-filled
when it answers, and at start.

Acknowledgements: with ``--ack-fd FD`` the process writes a line to that descriptor after
every batch, ``"<handled> <stored> <spooled> <lost>\\n"``, cumulative counts of the frames
it read: ``handled`` = ``stored + spooled + lost``, frames now durable or known lost (a
frame held in memory is not handled yet). The proxy counts as captured only what was
acknowledged, and as lost what a dead ingest never acknowledged. Writes to the ack pipe
never block (the counts are cumulative: a later line says everything).

With ``--stats-fd FD`` it also writes what the proxy's metrics show (counts by endpoint,
outcome and code, lag, store state; :mod:`harness.capture.ingest_stats`). A plan with
``retention`` makes it delete older exchanges once a day, one batch at a time between its
own batches (:mod:`harness.capture.retention`). Each row carries ``--instance`` (the sidecar's
name); ``--no-migrate`` checks the schema instead of upgrading it.

On EOF (the proxy closed the pipe or died) everything read is processed and flushed, then
the process exits 0. SIGINT is ignored (a terminal sends it to the whole process group;
the proxy decides when to stop); SIGTERM waits briefly (:data:`TERM_GRACE`) for the proxy's
last frames, then finishes what it has read and exits; past :data:`STOP_DEADLINE` seconds
after SIGTERM, frames not yet processed are counted lost and the process exits anyway.

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
from pathlib import Path
from typing import Any, cast

from harness.capture.ingest_stats import StatsWriter
from harness.capture.logfmt import setup_logging
from harness.capture.record import RowBuilder
from harness.capture.retention import Pruner
from harness.capture.sink import Sink
from harness.capture.spool import Spool, default_spool_path, fallback_spool_path, private_dir
from harness.errors import HarnessError, SpoolError, StoreUnavailable
from harness.plan import load_plan
from harness.rows import RawExchange
from harness.sanitize.keys import load_key
from harness.store import resolve_url

log = logging.getLogger("harness.capture.ingest")

BATCH = 500  # frames per transaction, at most
BATCH_WAIT = 0.05  # seconds a batch waits to fill
TERM_GRACE = 2.0  # after SIGTERM, seconds to wait for the proxy's last frames
STOP_DEADLINE = 30.0  # after SIGTERM, seconds before unprocessed frames are given up
STATS_EVERY = 60.0  # seconds between progress lines
# The ingest yields the CPU to the proxy: capture is background work and production traffic
# comes first (on a busy host the ingest falls behind for a while and catches up later).
NICE = 19
_HEADER = struct.Struct(">I")
_EOF = None
_BAD = object()  # a frame that was not an exchange record


def read_frames(fd: int, chunk: int = 1 << 20) -> Iterator[RawExchange | None]:
    """Frames from a file descriptor until EOF; None for a frame that is not a record.

    A torn last frame is dropped with a log line. Reads the raw descriptor (no buffered
    reader: a daemon thread blocked in a buffered read makes the interpreter abort at exit).
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
                yield cast(RawExchange, rec)  # the proxy frames only flowrecord.record's dicts
            else:
                log.error("a frame is not an exchange record; skipped")
                yield None
        if pos:
            del buf[:pos]
    if buf:
        log.error("torn frame at end of input (%d bytes)", len(buf))


class Acks:
    """Cumulative counts to the proxy over a pipe, without ever blocking."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd
        self._last: bytes | None = None
        if fd is not None:
            os.set_blocking(fd, False)

    def send(self, handled: int, stored: int, spooled: int, lost: int) -> None:
        if self.fd is None:
            return
        line = f"{handled} {stored} {spooled} {lost}\n".encode("ascii")
        if line == self._last:
            return
        try:
            if os.write(self.fd, line) == len(line):  # <= PIPE_BUF: all or nothing
                self._last = line
        except BlockingIOError:
            pass  # the proxy is busy: the next line carries these counts too
        except OSError:
            self.fd = None  # the proxy is gone; EOF on stdin will follow


class Ingest:
    """The main loop: frames in, sanitized rows out."""

    def __init__(
        self,
        builder: RowBuilder,
        sink: Sink,
        shadow: Any = None,
        acks: Acks | None = None,
        stats: StatsWriter | None = None,
        pruner: Pruner | None = None,
    ):
        self.builder = builder
        self.sink = sink
        self.shadow = shadow
        self.acks = acks or Acks(None)
        self.stats = stats or StatsWriter(None)
        self.pruner = pruner
        self.frames: queue.SimpleQueue[RawExchange | None | object] = queue.SimpleQueue()
        self.bad_frames = 0  # frames that were not records: lost
        self.given_up = 0  # frames not processed by the stop deadline: lost
        self.processed = 0
        self.batches = 0
        self.eof = threading.Event()
        self.term_at: float | None = None

    def reader(self, fd: int) -> None:
        """Thread: parse frames into the queue; EOF (or a broken stream) ends it."""
        try:
            for rec in read_frames(fd):
                self.frames.put(_BAD if rec is None else rec)
        except (OSError, ValueError, EOFError, TypeError) as exc:
            log.error("input broken: %s", type(exc).__name__)
        finally:
            self.eof.set()
            self.frames.put(_EOF)

    @property
    def lost(self) -> int:
        return self.sink.lost + self.bad_frames + self.given_up

    def ack(self, force: bool = False) -> None:
        s = self.sink
        lost = self.lost
        self.acks.send(s.stored + s.spooled + lost, s.stored, s.spooled, lost)
        pruned = self.pruner.deleted if self.pruner else 0
        self.stats.send(s.down_since is None, pruned, s.backfilled, force)

    def on_sigterm(self, *_: Any) -> None:
        if self.term_at is None:
            self.term_at = time.monotonic()
            log.info("SIGTERM: finishing what was read")

    def _take(self) -> tuple[list[RawExchange], bool]:
        """One batch; the flag says the input is over."""
        batch: list[RawExchange] = []
        deadline = time.monotonic() + BATCH_WAIT
        stopping = self.term_at is not None and time.monotonic() - self.term_at >= TERM_GRACE
        while len(batch) < BATCH:
            timeout = deadline - time.monotonic()
            try:
                rec = (
                    self.frames.get(timeout=max(timeout, 0.0))
                    if timeout > 0 and not stopping
                    else self.frames.get_nowait()
                )
            except queue.Empty:
                # After SIGTERM: the input is over once what was queued is taken.
                return batch, stopping
            if rec is _EOF:
                return batch, True
            if rec is _BAD:
                self.bad_frames += 1
                continue
            batch.append(rec)  # type: ignore[arg-type]
        return batch, False

    def _past_deadline(self) -> bool:
        """After SIGTERM and STOP_DEADLINE: count what is left as lost and stop."""
        if self.term_at is None or time.monotonic() - self.term_at < STOP_DEADLINE:
            return False
        while True:
            try:
                rec = self.frames.get_nowait()
            except queue.Empty:
                break
            if rec is not _EOF:
                self.given_up += 1
        if self.given_up:
            log.error("stop deadline: %d exchanges not processed, counted lost", self.given_up)
        return True

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
                self.stats.count(rows)
                self.sink.write(rows)
                self.stats.batch_done(r.get("t_end") or r.get("ts") for r in batch)
                self.batches += 1
                if self.shadow is not None:
                    # Only rows in the store have an id; spooled ones are not mirrored.
                    self.shadow.submit([r for r in rows if "id" in r])
                log.debug("batch of %d in %.1f ms", len(rows), (time.monotonic() - started) * 1000)
            else:
                self.sink.tick()  # idle: back-fill the spool once the store answers
            if self.pruner is not None and self.sink.down_since is None:
                self.pruner.step()  # retention: one batch at most, between our own
            self.ack()
            if not done and self._past_deadline():
                break
            now = time.monotonic()
            if now - last_stats >= STATS_EVERY:
                last_stats = now
                self.log_stats()
        self.sink.tick(force=True)
        self.ack(force=True)

    def finish(self) -> None:
        """Close the sink (held rows: last try, else lost), acknowledge, log the totals."""
        self.sink.close()
        self.ack(force=True)
        self.log_stats()

    def log_stats(self) -> None:
        s = self.sink
        log.info(
            "%d exchanges: %d stored, %d spooled, %d held, %d lost, %d refused, "
            "%d with errors, %d batches",
            self.processed,
            s.stored,
            s.spooled,
            s.held,
            self.lost,
            s.refused,
            getattr(self.builder, "errors", 0),
            self.batches,
        )


def _shadow(specs: Sequence[str], plan: Any, db: str, production: Sequence[str] = ()) -> Any:
    """The live-shadow hook: ``harness.replay.shadow.ShadowSender`` when targets are given
    (``NAME=URL``, or a plan target's ``NAME``: its headers, signer and TLS apply)."""
    if not specs:
        return None
    # Imported only when shadowing: the HTTP client would slow every ingest's start-up.
    from harness.replay.shadow import ShadowSender
    from harness.targets.resolve import parse_target

    targets = dict(parse_target(spec, plan) for spec in specs)
    return ShadowSender(targets, plan, db, production=production)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.capture.ingest", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--db", default=None, help="store path or SQLAlchemy URL (default: HARNESS_DB)"
    )
    parser.add_argument("--plan", default=None, help="gateway plan YAML")
    parser.add_argument("--spool", default=None, help="spool file (default: next to the db)")
    parser.add_argument(
        "--spool-fallback",
        default=None,
        help="second spool, used when the first cannot be written (default: a private "
        "directory under the system's temporary directory)",
    )
    parser.add_argument(
        "--max-body",
        type=int,
        default=1 << 20,
        help="decoded bodies (Content-Encoding undone) are cut at this many bytes",
    )
    parser.add_argument(
        "--ack-fd", type=int, default=None, help="pipe to acknowledge durable frames on"
    )
    parser.add_argument("--shadow", action="append", default=[], help="live shadow target NAME=URL")
    parser.add_argument(
        "--production",
        action="append",
        default=[],
        help="the proxy's upstream: never a shadow target (the proxy passes it)",
    )
    parser.add_argument("--nice", type=int, default=NICE, help="CPU niceness increment (0: none)")
    parser.add_argument(
        "--stats-fd", type=int, default=None, help="pipe for the proxy's metrics (JSON lines)"
    )
    parser.add_argument("--instance", default=None, help="this sidecar's name, on every row")
    parser.add_argument(
        "--no-migrate", action="store_true", help="check the schema, never upgrade it"
    )
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    setup_logging(args.log_format, "harness.capture.ingest")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.umask(0o077)  # the store, its WAL and the spools: readable by this user only
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if args.nice:
        with contextlib.suppress(OSError):
            os.nice(args.nice)
    try:
        plan = load_plan(args.plan)
        db = resolve_url(args.db)
        primary = Path(args.spool or default_spool_path(db))
        spools = [Spool(primary)]
        fallback = _fallback(args.spool_fallback, primary)
        if fallback is not None:
            spools.append(fallback)
        builder = RowBuilder(
            plan, load_key(), max_body=max(0, args.max_body), instance=args.instance
        )
        try:
            shadow = _shadow(args.shadow, plan, db, args.production)
        except StoreUnavailable as exc:  # capture goes on; the shadow needs the store
            log.error("live shadow off: %s", exc)
            shadow = None
        sink = Sink(db, spools, want_ids=shadow is not None, migrate=not args.no_migrate)
    except HarnessError as exc:
        log.error("%s", exc)
        return 2
    pruner = Pruner(plan.retention, lambda: sink.engine) if plan.retention else None
    ingest = Ingest(builder, sink, shadow, Acks(args.ack_fd), StatsWriter(args.stats_fd), pruner)
    signal.signal(signal.SIGTERM, ingest.on_sigterm)
    sink.start()
    thread = threading.Thread(
        target=ingest.reader, args=(sys.stdin.fileno(),), name="frames", daemon=True
    )
    thread.start()
    try:
        ingest.run()
    finally:
        if shadow is not None:
            shadow.close(timeout=10.0)
        ingest.finish()
    return 0


def _fallback(given: str | None, primary: Path) -> Spool | None:
    """The second spool. The default lives in a shared temporary directory: its folder
    must be private to this user, else there is no fallback (a warning says why)."""
    if given:
        return Spool(given)
    path = fallback_spool_path(primary)
    if path.resolve() == primary.resolve():
        return None
    try:
        private_dir(path.parent)
    except SpoolError as exc:
        log.warning("no fallback spool: %s", exc)
        return None
    return Spool(path)


if __name__ == "__main__":
    sys.exit(main())
