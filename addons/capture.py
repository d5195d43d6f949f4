"""Capture: hand every finished exchange to the ingest process, without slowing the traffic.

Load it into mitmproxy as a script::

    mitmdump -s addons/capture.py --mode reverse:https://gateway.bank.example \\
        --set capture_db=harness.db --set capture_plan=replays/simbank.yaml

or run ``harness proxy``, which embeds mitmproxy with this same addon. ``harness proxy`` also
sets ``connection_strategy=lazy``: with mitmproxy's default (eager) a gateway that refuses
connections makes mitmproxy drop the client before any request is read, so neither the
client's 502 nor an ``upstream_error`` exchange happens; pass ``--set
connection_strategy=lazy`` to mitmdump for the same behaviour.

Per exchange the proxy does almost nothing: it copies the raw request and response into a
dict of primitive values, marshals it, prefixes a 4-byte big-endian length and writes the
frame to the stdin pipe of ``python -m harness.ingest``. Decoding, classifying, sanitizing
and inserting all happen in that process, so raw customer data lives only in memory and the
event loop never waits for the store (a writer thread in this process costs 20-40% of the
throughput: it competes with the event loop for the GIL).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import gc
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from mitmproxy import ctx, exceptions, http

from addons.frames import frame, record

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
# Bound on the bytes waiting in memory, whatever capture_queue says (2 bodies per frame).
MAX_QUEUED_BYTES = 256 * MiB
MAX_RESTARTS = 5  # ingest process restarts before capture gives up (fail open)
RESTART_PAUSE = 1.0  # seconds between restarts
STOP_TIMEOUT = 120.0  # seconds done() waits for the ingest process to flush
DRAIN_GRACE = 5.0  # seconds done() lets the flows in flight finish
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def ingest_command(
    spool: str | None, plan: str | None, shadow: Sequence[str], production: Sequence[str] = ()
) -> list[str]:
    """The command line of the ingest process. It holds no secret: the store URL (which may
    carry a password) and the key go by environment (HARNESS_DB, HARNESS_KEY)."""
    cmd = [sys.executable, "-m", "harness.ingest"]
    if spool:
        cmd += ["--spool", spool]
    if plan:
        cmd += ["--plan", plan]
    for spec in shadow:
        cmd += ["--shadow", spec]
    for url in production:
        cmd += ["--production", url]
    return cmd


def reverse_upstreams(modes: Sequence[str]) -> list[str]:
    """The upstreams of the proxy's reverse modes: production, whatever the plan says."""
    from mitmproxy.proxy.mode_specs import ProxyMode, ReverseMode

    out = []
    for spec in modes:
        try:
            mode = ProxyMode.parse(spec)
        except ValueError:
            continue  # mitmproxy reports a bad mode itself
        if isinstance(mode, ReverseMode):
            out.append(mode.data)
    return out


class Capture:
    """Feeds finished exchanges to ``python -m harness.ingest`` over a non-blocking pipe.

    Fail open, on purpose: production traffic to the bank must never wait for the harness.
    mitmproxy's own ``Save`` addon is fail-closed (it would rather stop than lose a flow);
    a capture sidecar in front of a payment gateway has the opposite duty. When the pipe
    is full and ``capture_queue`` frames already wait in memory, or the ingest process is
    gone for good, the exchange is dropped, counted and logged, and the traffic goes on.
    """

    def __init__(self) -> None:
        self.captured = 0  # frames written whole into the pipe
        self.dropped = 0  # exchanges lost (queue full, ingest process gone)
        self.errors = 0  # exchanges that could not be turned into a frame
        self.refused = 0  # answers that came after shutdown closed the capture (not delivered)
        self._in_flight: set[str] = set()  # flows between request headers and response/error
        self._closing = False  # done() started: draining the flows in flight
        self._closed = False  # the pipe is closed: nothing more can be captured
        self._queue: collections.deque[bytes] = collections.deque()
        self._queued_bytes = 0
        self._head: memoryview | None = None  # the frame being written, partly sent
        self._proc: subprocess.Popen[bytes] | None = None
        self._fd: int | None = None
        self._writer = False  # loop.add_writer registered
        self._restarts = 0
        self._last_restart = 0.0
        self._gave_up = False
        self._last_drop_log = 0.0
        self._key: bytes | None = None
        self._db_url: str | None = None
        self._running = False

    # -- mitmproxy hooks ------------------------------------------------------------------

    def load(self, loader: Any) -> None:
        loader.add_option(
            "capture_db",
            str,
            os.environ.get("HARNESS_DB") or "harness.db",
            "Store for captured exchanges: a SQLite file path or a SQLAlchemy URL "
            "(default: HARNESS_DB, else ./harness.db). It is created and migrated at start.",
        )
        loader.add_option(
            "capture_plan",
            str | None,
            None,
            "Gateway plan YAML file (see replays/): success codes, sensitive fields, labels.",
        )
        loader.add_option(
            "capture_max_body",
            int,
            MiB,
            "Bodies larger than this many bytes are truncated and flagged before they leave "
            "the proxy; the client still gets the whole body.",
        )
        loader.add_option(
            "capture_spool",
            str | None,
            None,
            "Spool file for sanitized exchanges while the store is down (default: "
            "<db stem>.spool next to a SQLite file, else ./harness.spool).",
        )
        loader.add_option(
            "capture_queue",
            int,
            10000,
            "How many exchanges may wait in memory when the ingest pipe is full; beyond it "
            "exchanges are dropped and counted (fail open).",
        )
        loader.add_option(
            "capture_shadow",
            Sequence[str],
            [],
            "Live shadow targets as NAME=URL: each sanitized request is also sent there.",
        )

    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        if "capture_max_body" in updated and opts.capture_max_body < 0:
            raise exceptions.OptionsError("capture_max_body must be >= 0")
        if "capture_queue" in updated and opts.capture_queue < 1:
            raise exceptions.OptionsError("capture_queue must be >= 1")
        if "capture_shadow" in updated:
            for spec in opts.capture_shadow:
                name, _, url = spec.partition("=")
                if not name or "://" not in url:
                    raise exceptions.OptionsError(f"capture_shadow wants NAME=URL, got {spec!r}")
        if updated & {"capture_plan", "capture_shadow", "mode"} and (
            opts.capture_plan or opts.capture_shadow
        ):
            from harness.errors import HarnessError
            from harness.plan import load_plan
            from harness.replay.safety import check_targets

            try:
                plan = load_plan(opts.capture_plan)
                # The proxy's own upstream is production, whatever the plan says.
                targets = dict(spec.partition("=")[::2] for spec in opts.capture_shadow)
                check_targets(targets, plan, reverse_upstreams(opts.mode))
            except HarnessError as exc:
                raise exceptions.OptionsError(str(exc)) from None
        if "capture_db" in updated:
            self._db_url = self._check_store(opts.capture_db)
        if self._key is None and updated & {"capture_db", "capture_plan"}:
            from harness.errors import HarnessError
            from harness.sanitize import load_key

            try:
                self._key = load_key()
            except HarnessError as exc:
                raise exceptions.OptionsError(str(exc)) from None
        restart = {"capture_db", "capture_plan", "capture_spool", "capture_shadow"}
        if self._running and updated & restart:
            logger.info("capture: options changed, restarting the ingest process")
            self._stop_ingest()
            self._start_ingest()

    def running(self) -> None:
        self._running = True
        self._start_ingest()
        # Everything loaded so far (mitmproxy, the store check's SQLAlchemy and Alembic)
        # lives as long as the process: keep it out of the cyclic GC's scans, which would
        # otherwise walk it again on every full collection while traffic flows.
        gc.freeze()

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        self._in_flight.add(flow.id)

    def response(self, flow: http.HTTPFlow) -> None:
        self._in_flight.discard(flow.id)
        if self._closed:
            self._refuse(flow)
            return
        if self._closing:
            # Shutting down: ask keep-alive clients to go, so the flows in flight drain.
            flow.response.headers["connection"] = "close"  # type: ignore[union-attr]
        self._capture(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._in_flight.discard(flow.id)
        # Upstream failures (refused, timeout, reset) arrive here with flow.response None;
        # a client that hangs up after its answer was captured arrives here too: skip it.
        if flow.metadata.get("harness_captured") or self._closed:
            return
        self._capture(flow)

    async def done(self) -> None:
        """Let the flows in flight finish (bounded), hand everything over, wait for the flush."""
        self._closing = True
        deadline = time.monotonic() + DRAIN_GRACE
        while self._in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self._in_flight:
            logger.warning(
                "capture: %d exchanges still in flight at shutdown", len(self._in_flight)
            )
        self.shutdown()

    def shutdown(self) -> None:
        """Stop capturing: flush the queue into the ingest process and wait for it to exit."""
        self._closed = True
        self._running = False
        self._stop_ingest()
        logger.info(
            "capture: %d captured, %d dropped, %d errors, %d refused at shutdown",
            self.captured,
            self.dropped,
            self.errors,
            self.refused,
        )

    def _refuse(self, flow: http.HTTPFlow) -> None:
        """An answer that arrives after the capture closed is not delivered: the process is
        exiting, and delivering it would make an answered exchange that nothing recorded."""
        self.refused += 1
        if flow.killable:
            flow.kill()

    # -- the store check ------------------------------------------------------------------

    @staticmethod
    def _check_store(db: str) -> str:
        """Reach and migrate the store once, so a bad --db stops the proxy before it serves."""
        from harness.errors import HarnessError
        from harness.store import make_engine, migrate, resolve_url

        try:
            engine = make_engine(db)
            try:
                migrate(engine)
            finally:
                engine.dispose()
        except HarnessError as exc:
            raise exceptions.OptionsError(str(exc)) from None
        return resolve_url(db)

    # -- the ingest process ---------------------------------------------------------------

    def _start_ingest(self) -> None:
        from harness.spool import default_spool_path

        opts = ctx.options
        db = self._db_url or opts.capture_db
        spool = opts.capture_spool or str(default_spool_path(db))
        cmd = ingest_command(
            spool, opts.capture_plan, opts.capture_shadow, reverse_upstreams(opts.mode)
        )
        env = dict(os.environ)
        env["HARNESS_DB"] = db
        if self._key is not None:
            env["HARNESS_KEY"] = self._key.hex()
        try:
            # exec'd (not forked from this process): it inherits no listening socket, and
            # it exits on EOF when this process goes away.
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, env=env, close_fds=True, start_new_session=False
            )
        except OSError as exc:
            logger.error("capture: cannot start the ingest process: %s", exc.strerror)
            self._proc = None
            self._fd = None
            return
        assert self._proc.stdin is not None
        self._fd = self._proc.stdin.fileno()
        with contextlib.suppress(OSError):  # a bigger pipe: fewer trips through the writer
            fcntl.fcntl(self._fd, _F_SETPIPE_SZ, MiB)
        os.set_blocking(self._fd, False)
        logger.info("capture: ingest process %d started", self._proc.pid)
        if self._head is not None or self._queue:
            self._drain()

    def _stop_ingest(self) -> None:
        """Write out everything queued (blocking is fine now), close the pipe, wait."""
        self._remove_writer()
        proc, fd = self._proc, self._fd
        if proc is None or fd is None:
            self._lose_queue()
            return
        os.set_blocking(fd, True)
        try:
            if self._head is not None:
                _write_all(fd, self._head)
                self._head = None
                self.captured += 1
            while self._queue:
                data = self._queue.popleft()
                self._queued_bytes -= len(data)
                _write_all(fd, data)
                self.captured += 1
        except OSError:
            logger.error("capture: the ingest process went away during shutdown")
            self._lose_queue()
        self._detach(proc)
        try:
            code = proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.error(
                "capture: ingest process %d still flushing after %.0fs; leaving it to finish",
                proc.pid,
                STOP_TIMEOUT,
            )
            return
        if code != 0:
            logger.error("capture: ingest process %d exited with %d", proc.pid, code)

    def _detach(self, proc: subprocess.Popen[bytes]) -> None:
        """Close this end of the pipe (the ingest process sees EOF) and forget the process."""
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        self._proc = None
        self._fd = None

    def _ingest_died(self) -> None:
        """The pipe broke: count what is lost, then restart the process a bounded number of times."""
        proc = self._proc
        self._remove_writer()
        if self._head is not None:  # half a frame went to the dead process
            self._head = None
            self._drop(1)
        if proc is not None:
            code = proc.poll()
            logger.error(
                "capture: ingest process %d died (exit %s)", proc.pid, "?" if code is None else code
            )
            self._detach(proc)
        self._proc = None
        self._fd = None
        now = time.monotonic()
        if self._restarts >= MAX_RESTARTS or now - self._last_restart < RESTART_PAUSE:
            if not self._gave_up and self._restarts >= MAX_RESTARTS:
                logger.error("capture: ingest restarted %d times; capture is off", MAX_RESTARTS)
                self._gave_up = True
            self._lose_queue()
            return
        self._restarts += 1
        self._last_restart = now
        self._start_ingest()

    # -- frames ---------------------------------------------------------------------------

    def _capture(self, flow: http.HTTPFlow) -> None:
        flow.metadata["harness_captured"] = True
        try:
            data = frame(record(flow, ctx.options.capture_max_body))
        except Exception as exc:  # never let capture break the traffic
            self.errors += 1
            logger.error("capture: cannot frame exchange %s: %s", flow.id, type(exc).__name__)
            return
        self._send(data)

    def _send(self, data: bytes) -> None:
        if self._fd is None:
            if self._proc is None and self._running and not self._gave_up:
                self._ingest_died()  # try a restart (bounded)
            if self._fd is None:
                self._drop(1)
                return
        if self._head is None and not self._queue:
            try:
                n = os.write(self._fd, data)
            except BlockingIOError:
                n = 0
            except OSError:
                self._queue_frame(data)
                self._ingest_died()
                return
            if n == len(data):
                self.captured += 1
                return
            self._head = memoryview(data)[n:]
            self._add_writer()
            return
        self._queue_frame(data)

    def _queue_frame(self, data: bytes) -> None:
        if (
            len(self._queue) >= ctx.options.capture_queue
            or self._queued_bytes + len(data) > MAX_QUEUED_BYTES
        ):
            self._drop(1)
            return
        self._queue.append(data)
        self._queued_bytes += len(data)

    def _drain(self) -> None:
        """Write what the pipe takes now; called by the event loop when the pipe is writable."""
        fd = self._fd
        if fd is None:
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
                n = os.write(fd, self._head)
                if n < len(self._head):
                    self._head = self._head[n:]
                    self._add_writer()
                    return
                self._head = None
                self.captured += 1
        except BlockingIOError:
            self._add_writer()
        except OSError:
            self._ingest_died()

    def _add_writer(self) -> None:
        if not self._writer and self._fd is not None:
            ctx.master.event_loop.add_writer(self._fd, self._drain)
            self._writer = True

    def _remove_writer(self) -> None:
        if self._writer and self._fd is not None:
            ctx.master.event_loop.remove_writer(self._fd)
        self._writer = False

    def _lose_queue(self) -> None:
        lost = len(self._queue) + (self._head is not None)
        self._queue.clear()
        self._queued_bytes = 0
        self._head = None
        if lost:
            self._drop(lost)

    def _drop(self, n: int) -> None:
        self.dropped += n
        now = time.monotonic()
        if now - self._last_drop_log >= 10.0:
            self._last_drop_log = now
            logger.warning("capture: dropped %d exchanges so far (fail open)", self.dropped)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


addons = [Capture()]
