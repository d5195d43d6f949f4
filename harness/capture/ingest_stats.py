"""What the ingest process tells the proxy besides acknowledgements: classified counts,
lag, store state, retention; for the proxy's metrics (:mod:`harness.capture.metrics`).

The ingest writes a :class:`Snapshot` as one JSON line on a pipe (``--stats-fd``) at most
once a second and when it exits; counts are cumulative for that process. Writes never
block: a line the pipe does not take whole is finished before the next one starts, and
snapshots in between are skipped (the next says everything).

The proxy reads with :class:`StatsReader`, one pipe per ingest process it starts; when a
process ends (EOF), its last snapshot is folded into the totals, so that a restarted
ingest's counts add to the old one's instead of replacing them.

Labels are bounded: at most :data:`MAX_SERIES` (endpoint, outcome, code) keys; further
ones are counted under the endpoint ``(other)``. Codes and endpoints are sanitized values
already (the endpoint template and the business code).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any, TypedDict

from harness.rows import ExchangeRow

log = logging.getLogger("harness.capture")

MAX_SERIES = 1000
OTHER = "(other)"
EVERY = 1.0  # seconds between snapshots, at most

Key = tuple[str, str, str]  # endpoint, outcome, code ("" for none)


class Snapshot(TypedDict):
    """One ingest process's cumulative state."""

    outcomes: list[list[Any]]  # [endpoint, outcome, code, count]
    lag: float | None  # seconds from the newest batch's oldest exchange end to its commit
    store_up: bool
    pruned: int  # exchanges deleted by retention
    backfilled: int


class StatsWriter:
    """The ingest's side: counts rows and writes snapshots without blocking."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd
        self.outcomes: Counter[Key] = Counter()
        self.lag: float | None = None
        self._pending = b""
        self._last = 0.0
        if fd is not None:
            os.set_blocking(fd, False)

    def count(self, rows: Iterable[ExchangeRow]) -> None:
        for row in rows:
            outcome = str(row.get("outcome") or "")
            code = "" if outcome == "accepted" else str(row.get("code") or "")
            key = (str(row.get("endpoint") or ""), outcome, code)
            if key not in self.outcomes and len(self.outcomes) >= MAX_SERIES:
                key = (OTHER, outcome, "")
            self.outcomes[key] += 1

    def batch_done(self, ends: Iterable[float | None]) -> None:
        """The exchange end times (epoch seconds) of a batch just made durable."""
        known = [t for t in ends if t]
        if known:
            self.lag = max(0.0, time.time() - min(known))

    def send(self, store_up: bool, pruned: int, backfilled: int, force: bool = False) -> None:
        if self.fd is None:
            return
        now = time.monotonic()
        if not self._flush() or (not force and now - self._last < EVERY):
            return
        self._last = now
        snap: Snapshot = {
            "outcomes": [[e, o, c, n] for (e, o, c), n in self.outcomes.items()],
            "lag": self.lag,
            "store_up": store_up,
            "pruned": pruned,
            "backfilled": backfilled,
        }
        self._pending = json.dumps(snap, ensure_ascii=False).encode() + b"\n"
        self._flush()

    def _flush(self) -> bool:
        """Write what is pending; True when nothing is left."""
        while self._pending and self.fd is not None:
            try:
                n = os.write(self.fd, self._pending)
            except BlockingIOError:
                return False
            except OSError:
                self.fd = None  # the proxy is gone
                return False
            self._pending = self._pending[n:]
        return True


class StatsReader:
    """The proxy's side: the totals of every ingest process started so far."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.base: Counter[Key] = Counter()  # folded from ingest processes that ended
        self.base_pruned = 0
        self.base_backfilled = 0
        self.live: dict[int, Snapshot] = {}  # by read fd
        self._bufs: dict[int, bytearray] = {}
        self.lag: float | None = None
        self.store_up: bool | None = None

    def attach(self, fd: int) -> None:
        """Read a new ingest's pipe (our read end) from now on."""
        os.set_blocking(fd, False)
        self._bufs[fd] = bytearray()
        self.loop.add_reader(fd, self._read, fd)

    def _read(self, fd: int) -> None:
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._close(fd)
                return
            buf = self._bufs[fd]
            buf += data
            *lines, rest = buf.split(b"\n")
            self._bufs[fd] = bytearray(rest)
            for line in reversed(lines):
                try:
                    snap = json.loads(line)
                except ValueError:
                    continue
                self.live[fd] = snap
                self.lag = snap.get("lag", self.lag)
                self.store_up = bool(snap.get("store_up", True))
                break

    def _close(self, fd: int) -> None:
        with contextlib.suppress(ValueError, OSError):
            self.loop.remove_reader(fd)
        with contextlib.suppress(OSError):
            os.close(fd)
        self._bufs.pop(fd, None)
        snap = self.live.pop(fd, None)
        if snap is not None:
            for e, o, c, n in snap.get("outcomes", []):
                self.base[(e, o, c)] += int(n)
            self.base_pruned += int(snap.get("pruned", 0))
            self.base_backfilled += int(snap.get("backfilled", 0))

    def close(self) -> None:
        for fd in list(self._bufs):
            self._read(fd)
            if fd in self._bufs:
                self._close(fd)

    def outcomes(self) -> Counter[Key]:
        total = Counter(self.base)
        for snap in self.live.values():
            for e, o, c, n in snap.get("outcomes", []):
                total[(e, o, c)] += int(n)
        return total

    @property
    def pruned(self) -> int:
        return self.base_pruned + sum(int(s.get("pruned", 0)) for s in self.live.values())

    @property
    def backfilled(self) -> int:
        return self.base_backfilled + sum(int(s.get("backfilled", 0)) for s in self.live.values())
