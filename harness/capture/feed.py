"""The proxy's end of capture: frames out to the ingest process, acknowledgements back.

:class:`IngestFeed` runs inside the proxy's event loop and never blocks it (until
:meth:`IngestFeed.stop`, at shutdown, which has a deadline):

- **frames out**: each frame is written to the ingest's stdin pipe without blocking; what
  the pipe does not take waits in a bounded queue (``queue_limit`` frames,
  ``max_queued_bytes`` bytes) and is written when the pipe drains; beyond the bound the
  frame is dropped and counted (fail open: production traffic never waits).
- **acknowledgements back**: the ingest writes cumulative counts on a second pipe
  (``--ack-fd``, see :mod:`harness.capture.ingest`). ``captured`` counts frames the ingest
  acknowledged as stored or spooled; ``dropped`` counts frames dropped here, frames the
  ingest acknowledged as lost, and frames written to an ingest that died before it
  acknowledged them. At any moment every frame handed to :meth:`send` is exactly one of
  captured, dropped, queued here, or in flight (written, not yet acknowledged).
- **supervision**: an ingest that dies (its pipe breaks, its acknowledgement pipe closes)
  is reaped (killed first if it hangs) and restarted after a backoff: immediately the
  first time, then doubling from :data:`BACKOFF_BASE` up to :data:`BACKOFF_MAX` seconds
  while children keep dying young, and never more than :data:`RESTART_BUDGET` starts per
  :data:`RESTART_WINDOW` seconds. It never gives up: capture resumes as soon as an ingest
  stays up. Frames wait in the queue meanwhile. An ingest that holds frames without
  acknowledging anything for :data:`STALL_TIMEOUT` seconds is killed and restarted.
- **stop**: the queue is written out, the pipe closed, and the ingest waited for, all
  within ``timeout`` seconds; an ingest still running then gets SIGTERM (it finishes what
  it read, within its own deadline), then SIGKILL. Whatever was not acknowledged by then
  is counted as dropped.

Pure of mitmproxy: it takes an asyncio loop and a function that starts the process.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import logging
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("harness.capture")

MiB = 1024 * 1024
RESTART_BUDGET = 10  # ingest starts per window, at most
RESTART_WINDOW = 60.0  # seconds
BACKOFF_BASE = 0.5  # seconds before the second restart of children that die young
BACKOFF_MAX = 30.0
STABLE_AFTER = 30.0  # a child that lived this long resets the backoff
STALL_TIMEOUT = 120.0  # seconds without any acknowledgement while frames are in flight
WATCH_EVERY = 5.0
TERM_WAIT = 40.0  # after SIGTERM at stop, seconds before SIGKILL (the ingest's deadline + 10)
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)

Launch = Callable[[int], "subprocess.Popen[bytes]"]


@dataclass
class _Child:
    proc: subprocess.Popen[bytes]
    fd: int  # its stdin, our write end (non-blocking)
    ack_fd: int  # its acknowledgements, our read end (non-blocking)
    started: float
    sent: int = 0  # frames written whole into its pipe
    handled: int = 0  # acknowledged: stored + spooled + lost
    stored: int = 0
    spooled: int = 0
    lost: int = 0
    progress_at: float = 0.0  # last acknowledgement, or the first frame sent since
    buf: bytearray = field(default_factory=bytearray)


class IngestFeed:
    """Frames to ``python -m harness.capture.ingest`` and its acknowledgements (see module doc).

    ``launch(ack_fd)`` starts the ingest with its stdin a pipe and ``ack_fd`` inherited
    (``pass_fds``) and passed as ``--ack-fd``; it may raise OSError.
    """

    def __init__(
        self,
        launch: Launch,
        loop: asyncio.AbstractEventLoop,
        *,
        queue_limit: int = 10000,
        max_queued_bytes: int = 256 * MiB,
    ) -> None:
        self.launch = launch
        self.loop = loop
        self.queue_limit = queue_limit
        self.max_queued_bytes = max_queued_bytes
        self.captured = 0
        self.dropped = 0
        self.stored = 0  # of captured: committed to the store
        self.spooled = 0  # of captured: spooled (the store was down)
        self.lost = 0  # of dropped: acknowledged as lost by the ingest
        self.restarts = 0
        self._child: _Child | None = None
        self._queue: collections.deque[bytes] = collections.deque()
        self._queued_bytes = 0
        self._head: memoryview | None = None  # the frame being written, partly sent
        self._writer = False
        self._starts: collections.deque[float] = collections.deque()
        self._young_deaths = 0
        self._restart_at: asyncio.TimerHandle | None = None
        self._zombies: list[subprocess.Popen[bytes]] = []
        self._closed = False
        self._last_drop_log = 0.0

    # -- state ----------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Frames queued here (not yet written whole into a pipe)."""
        return len(self._queue) + (self._head is not None)

    @property
    def in_flight(self) -> int:
        """Frames written to the running ingest and not yet acknowledged."""
        child = self._child
        return child.sent - child.handled if child else 0

    @property
    def running(self) -> bool:
        return self._child is not None

    @property
    def pid(self) -> int | None:
        """The running ingest process's id (None between restarts)."""
        return self._child.proc.pid if self._child is not None else None

    # -- starting and restarting ----------------------------------------------------------

    def start(self) -> bool:
        """Start an ingest now; False (and a restart scheduled) when it cannot start."""
        if self._closed or self._child is not None:
            return self._child is not None
        now = time.monotonic()
        self._starts.append(now)
        ack_r, ack_w = os.pipe()
        try:
            proc = self.launch(ack_w)
        except OSError as exc:
            os.close(ack_r)
            os.close(ack_w)
            log.error("capture: cannot start the ingest process: %s", exc.strerror)
            self._young_deaths += 1
            self._schedule_restart()
            return False
        finally:
            with contextlib.suppress(OSError):
                os.close(ack_w)
        assert proc.stdin is not None
        fd = proc.stdin.fileno()
        with contextlib.suppress(OSError):  # a bigger pipe: fewer trips through the writer
            fcntl.fcntl(fd, _F_SETPIPE_SZ, MiB)
        os.set_blocking(fd, False)
        os.set_blocking(ack_r, False)
        self._child = _Child(proc, fd, ack_r, now, progress_at=now)
        self.loop.add_reader(ack_r, self._on_acks)
        self.loop.call_later(WATCH_EVERY, self._watch, self._child)
        log.info("capture: ingest process %d started", proc.pid)
        if self._head is not None or self._queue:
            self._drain()
        return True

    def _schedule_restart(self) -> None:
        if self._closed or self._restart_at is not None:
            return
        now = time.monotonic()
        while self._starts and now - self._starts[0] >= RESTART_WINDOW:
            self._starts.popleft()
        delay = 0.0
        if self._young_deaths > 1:
            delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (self._young_deaths - 2))
        if len(self._starts) >= RESTART_BUDGET:
            delay = max(delay, self._starts[0] + RESTART_WINDOW - now)
        if delay > 0:
            log.warning("capture: restarting the ingest process in %.1fs", delay)
        self._restart_at = self.loop.call_later(delay, self._restart)

    def _restart(self) -> None:
        self._restart_at = None
        self._reap()
        if self._closed or self._child is not None:
            return
        self.restarts += 1
        self.start()

    def _watch(self, child: _Child) -> None:
        """Kill an ingest that sits on frames without acknowledging (it hangs)."""
        if self._closed or child is not self._child:
            return
        if child.sent > child.handled and time.monotonic() - child.progress_at > STALL_TIMEOUT:
            log.error(
                "capture: ingest process %d acknowledged nothing for %.0fs; killing it",
                child.proc.pid,
                STALL_TIMEOUT,
            )
            with contextlib.suppress(OSError):
                child.proc.kill()  # its acknowledgement pipe closes: _died() follows
        self.loop.call_later(WATCH_EVERY, self._watch, child)

    def _reap(self) -> None:
        """Wait for dead children (no zombies); kill the ones that hang on."""
        alive = []
        for proc in self._zombies:
            if proc.poll() is None:
                with contextlib.suppress(OSError):
                    proc.kill()
                alive.append(proc)
        self._zombies = alive
        if alive and not self._closed:
            self.loop.call_later(1.0, self._reap)

    # -- frames out -----------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Hand one frame over; never blocks, never raises."""
        child = self._child
        if self._closed:
            self._drop(1)
            return
        if child is None or self._head is not None or self._queue:
            self._enqueue(data)
            if child is None:
                self._schedule_restart()
            return
        try:
            n = os.write(child.fd, data)
        except BlockingIOError:
            n = 0
        except OSError:
            self._enqueue(data)
            self._died("its pipe broke")
            return
        if n == len(data):
            self._sent(child)
            return
        self._head = memoryview(data)[n:]
        self._add_writer()

    @staticmethod
    def _sent(child: _Child) -> None:
        if child.sent == child.handled:
            child.progress_at = time.monotonic()  # the stall clock starts now
        child.sent += 1

    def _enqueue(self, data: bytes) -> None:
        if (
            len(self._queue) >= self.queue_limit
            or self._queued_bytes + len(data) > self.max_queued_bytes
        ):
            self._drop(1)
            return
        self._queue.append(data)
        self._queued_bytes += len(data)

    def _drain(self) -> None:
        """Write what the pipe takes now; the loop calls it when the pipe is writable."""
        child = self._child
        if child is None:
            return
        try:
            while True:
                if self._head is None:
                    if not self._queue:
                        self._remove_writer()
                        return
                    data = self._queue.popleft()
                    self._queued_bytes -= len(data)
                    self._head = memoryview(data)
                n = os.write(child.fd, self._head)
                if n < len(self._head):
                    self._head = self._head[n:]
                    self._add_writer()
                    return
                self._head = None
                self._sent(child)
        except BlockingIOError:
            self._add_writer()
        except OSError:
            self._died("its pipe broke")

    def _add_writer(self) -> None:
        if not self._writer and self._child is not None:
            self.loop.add_writer(self._child.fd, self._drain)
            self._writer = True

    def _remove_writer(self) -> None:
        if self._writer and self._child is not None:
            self.loop.remove_writer(self._child.fd)
        self._writer = False

    # -- acknowledgements back ------------------------------------------------------------

    def _on_acks(self) -> None:
        child = self._child
        if child is not None and not self._read_acks(child):
            self._died("it exited")

    def _read_acks(self, child: _Child) -> bool:
        """Read what the ack pipe holds; False at EOF (the ingest is gone)."""
        while True:
            try:
                data = os.read(child.ack_fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data:
                return False
            child.buf += data
            *lines, rest = child.buf.split(b"\n")
            child.buf = bytearray(rest)
            if lines:
                self._apply(child, bytes(lines[-1]))  # cumulative: the last line says it all

    def _apply(self, child: _Child, line: bytes) -> None:
        try:
            handled, stored, spooled, lost = (int(x) for x in line.split())
        except ValueError:
            log.error("capture: unreadable acknowledgement from the ingest process")
            return
        if handled < child.handled:
            return
        if handled > child.handled:
            child.progress_at = time.monotonic()
        self.stored += stored - child.stored
        self.spooled += spooled - child.spooled
        self.captured += (stored - child.stored) + (spooled - child.spooled)
        if lost > child.lost:
            self.lost += lost - child.lost
            self._drop(lost - child.lost)
        child.handled, child.stored, child.spooled, child.lost = handled, stored, spooled, lost

    # -- a child's end --------------------------------------------------------------------

    def _detach(self, child: _Child) -> None:
        self._remove_writer()
        with contextlib.suppress(ValueError, OSError):
            self.loop.remove_reader(child.ack_fd)
        with contextlib.suppress(OSError):
            if child.proc.stdin is not None:
                child.proc.stdin.close()
        self._read_acks(child)  # what it acknowledged before it went
        with contextlib.suppress(OSError):
            os.close(child.ack_fd)
        self._child = None

    def _settle(self, child: _Child) -> None:
        """Count what the child took and never acknowledged (and a half-written frame)."""
        unacknowledged = child.sent - child.handled
        if self._head is not None:
            self._head = None  # half a frame went to it
            unacknowledged += 1
        if unacknowledged > 0:
            log.error(
                "capture: %d exchanges died with ingest process %d", unacknowledged, child.proc.pid
            )
            self._drop(unacknowledged)

    def _died(self, why: str) -> None:
        child = self._child
        if child is None:
            return
        self._detach(child)
        self._settle(child)
        code = child.proc.poll()
        log.error(
            "capture: ingest process %d stopped (%s, exit %s)",
            child.proc.pid,
            why,
            "?" if code is None else code,
        )
        if code is None:
            self._zombies.append(child.proc)
            self._reap()
        lived = time.monotonic() - child.started
        self._young_deaths = 0 if lived >= STABLE_AFTER else self._young_deaths + 1
        self._schedule_restart()

    # -- stopping -------------------------------------------------------------------------

    def stop(self, timeout: float) -> None:
        """Hand everything over and wait for the ingest, within ``timeout`` (blocking)."""
        deadline = time.monotonic() + timeout
        if self._restart_at is not None:
            self._restart_at.cancel()
            self._restart_at = None
        if self._child is None and self.waiting:
            self.start()  # frames wait for a restart that was backing off: deliver them
            if self._restart_at is not None:
                self._restart_at.cancel()
                self._restart_at = None
        self._closed = True
        child = self._child
        if child is not None:
            self._remove_writer()
            with contextlib.suppress(ValueError, OSError):
                self.loop.remove_reader(child.ack_fd)
            self._flush(child, deadline)
            with contextlib.suppress(OSError):
                if child.proc.stdin is not None:
                    child.proc.stdin.close()
            if not self._wait(child, deadline):
                log.error(
                    "capture: ingest process %d still busy after %.0fs; stopping it",
                    child.proc.pid,
                    timeout,
                )
                with contextlib.suppress(OSError):
                    child.proc.send_signal(signal.SIGTERM)
                if not self._wait(child, time.monotonic() + TERM_WAIT):
                    with contextlib.suppress(OSError):
                        child.proc.kill()
                    self._wait(child, time.monotonic() + 5.0)
            self._read_acks(child)
            with contextlib.suppress(OSError):
                os.close(child.ack_fd)
            self._child = None
            self._settle(child)
            if child.proc.returncode not in (0, None):
                log.error(
                    "capture: ingest process %d exited with %s",
                    child.proc.pid,
                    child.proc.returncode,
                )
        lost = self.waiting
        if lost:
            self._queue.clear()
            self._queued_bytes = 0
            self._head = None
            self._drop(lost)
        for proc in self._zombies:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5.0)
        self._zombies = []

    def _flush(self, child: _Child, deadline: float) -> None:
        """Write the queue out, reading acknowledgements meanwhile (no deadlock)."""
        while self.waiting and time.monotonic() < deadline:
            if self._head is None:
                data = self._queue.popleft()
                self._queued_bytes -= len(data)
                self._head = memoryview(data)
            remaining = max(0.0, deadline - time.monotonic())
            readable, writable, _ = select.select([child.ack_fd], [child.fd], [], remaining)
            if readable and not self._read_acks(child):
                return
            if not writable:
                continue
            try:
                n = os.write(child.fd, self._head)
            except BlockingIOError:
                continue
            except OSError:
                return
            if n == len(self._head):
                self._head = None
                child.sent += 1
            else:
                self._head = self._head[n:]

    def _wait(self, child: _Child, deadline: float) -> bool:
        """Read acknowledgements until the child exits (True) or the deadline (False)."""
        while child.proc.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            readable, _, _ = select.select([child.ack_fd], [], [], min(remaining, 0.1))
            if readable:
                self._read_acks(child)
        return True

    def _drop(self, n: int) -> None:
        self.dropped += n
        now = time.monotonic()
        if now - self._last_drop_log >= 10.0:
            self._last_drop_log = now
            log.warning("capture: dropped %d exchanges so far (fail open)", self.dropped)
