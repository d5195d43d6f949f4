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
dict of primitive values (:mod:`harness.capture.frames`) and hands the frame to
:class:`harness.capture.feed.IngestFeed`, which writes it to the stdin pipe of ``python -m
harness.capture.ingest`` and reads back what the ingest acknowledged. Decoding, classifying,
sanitizing and inserting all happen in that process, so raw customer data lives only in
memory and the event loop never waits for the store.

Counts (logged at shutdown, returned by ``harness proxy``): ``captured`` = acknowledged as
stored or spooled by the ingest; ``dropped`` = lost anywhere (queue full, ingest down,
died with an ingest, lost inside it), never hidden.

Start-up checks, before the proxy listens (each a one-line ``OptionsError``): the plan
loads; shadow targets are not production, their signer's key and their header variables
are there; the spool file can be written; the store URL is usable (and, with
``capture_migrate`` off, at the newest schema); the key file is private; the metrics
port is free. A store that does not answer yet is not an error: the proxy starts, the
ingest spools, and back-fills once the store is up.

Operations (:mod:`harness.capture.metrics`): with ``capture_metrics_port`` the addon serves
``/healthz``, ``/readyz`` and Prometheus ``/metrics`` on that port (loopback by default).
Once serving, it logs one line: listen address, upstream, store (password hidden), plan,
instance. Each exchange is tagged with ``capture_instance`` (several sidecars may share
one PostgreSQL store).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from mitmproxy import ctx, exceptions, http

from harness.capture import options
from harness.capture.feed import IngestFeed
from harness.capture.frames import frame, record
from harness.capture.ingest_stats import StatsReader
from harness.capture.options import MiB
from harness.capture.spool import check_writable, default_spool_path
from harness.capture.start import (
    check_plan_and_shadow,
    check_port,
    check_store,
    readings,
    ready_line,
    reverse_upstreams,
)
from harness.errors import HarnessError

logger = logging.getLogger(__name__)

MAX_QUEUED_BYTES = 256 * MiB  # bound on the bytes waiting in memory, whatever capture_queue says
STOP_TIMEOUT = 120.0  # seconds done() waits for the ingest process to flush
DRAIN_GRACE = 5.0  # seconds done() lets the flows in flight finish


def ingest_command(
    spool: str | None,
    plan: str | None,
    shadow: Sequence[str],
    production: Sequence[str] = (),
    max_body: int = MiB,
    extra: Sequence[str] = (),
) -> list[str]:
    """The command line of the ingest process. It holds no secret: the store URL (which may
    carry a password) and the key go by environment (HARNESS_DB, HARNESS_KEY)."""
    cmd = [sys.executable, "-m", "harness.capture.ingest", "--max-body", str(max_body), *extra]
    if spool:
        cmd += ["--spool", spool]
    if plan:
        cmd += ["--plan", plan]
    for spec in shadow:
        cmd += ["--shadow", spec]
    for url in production:
        cmd += ["--production", url]
    return cmd


class Capture:
    """Feeds finished exchanges to ``python -m harness.capture.ingest`` through an IngestFeed.

    Fail open, on purpose: production traffic to the bank must never wait for the harness.
    mitmproxy's own ``Save`` addon is fail-closed (it would rather stop than lose a flow);
    a capture sidecar in front of a payment gateway has the opposite duty. When the ingest
    cannot keep up or is down, the exchange is dropped, counted and logged, and the traffic
    goes on.
    """

    def __init__(self) -> None:
        self.errors = 0  # exchanges that could not be turned into a frame
        self.refused = 0  # answers that came after shutdown closed the capture (not delivered)
        self.feed: Any = None  # harness.capture.feed.IngestFeed once running
        self._in_flight: set[str] = set()  # flows between request headers and response/error
        self._closing = False  # done() started: draining the flows in flight
        self._closed = False  # the feed is stopped: nothing more can be captured
        self._key: bytes | None = None
        self._db_url: str | None = None
        self.seen = 0  # exchanges handed to capture
        self.stats: Any = None  # harness.capture.ingest_stats.StatsReader once running
        self.metrics: Any = None  # harness.capture.metrics.MetricsServer when a port is set
        self._listening = False
        self._rollback = False  # the next configure() undoes a failed one: no side effects
        self._ops: asyncio.Task[None] | None = None
        self._filter: Any = None  # the compiled capture_filter: None captures every flow
        self.skipped = 0  # flows not captured: outside capture_filter, or replayed by mitmproxy

    @property
    def captured(self) -> int:
        return self.feed.captured if self.feed else 0

    @property
    def dropped(self) -> int:
        return self.feed.dropped if self.feed else 0

    @property
    def listening(self) -> bool:
        """Serving traffic (the ready line was logged)."""
        return self._listening

    @property
    def stopping(self) -> bool:
        """Shutdown began: draining the flows in flight, or closed."""
        return self._closing or self._closed

    # -- mitmproxy hooks ------------------------------------------------------------------

    def load(self, loader: Any) -> None:
        # When any option fails, mitmproxy rolls every option back and configures again
        # with the old values (the defaults, at start): that call must not touch a store.
        loader.master.options.errored.connect(self._rolled_back)
        options.declare(loader)

    def _rolled_back(self, exc: Exception) -> None:
        self._rollback = True

    def configure(self, updated: set[str]) -> None:
        if self._rollback:
            self._rollback = False
            return
        opts = ctx.options
        options.check(opts, updated)
        if "capture_filter" in updated:
            self._filter = options.flow_filter(opts.capture_filter)
        try:
            if updated & {"capture_metrics_port", "capture_metrics_host"} and (
                opts.capture_metrics_port
            ):
                check_port(opts.capture_metrics_host, opts.capture_metrics_port, "metrics ")
            if updated & {"capture_plan", "capture_shadow", "mode"} and (
                opts.capture_plan or opts.capture_shadow
            ):
                check_plan_and_shadow(opts.capture_plan, opts.capture_shadow, opts.mode)
            if updated & {"capture_db", "capture_migrate"}:
                self._db_url = check_store(opts.capture_db, opts.capture_migrate)
            if updated & {"capture_db", "capture_spool"}:
                check_writable(self._spool_path())
            if updated & {"capture_db", "capture_plan", "capture_key_file"}:
                # start-up: the plan and sanitizer (~40 ms) load when configure runs, not
                # when mitmproxy imports this module
                from harness.sanitize import load_key

                self._key = load_key(opts.capture_key_file or None)
        except HarnessError as exc:
            raise exceptions.OptionsError(str(exc)) from None
        restart = {
            "capture_db",
            "capture_plan",
            "capture_spool",
            "capture_shadow",
            "capture_key_file",
            "capture_instance",
            "capture_migrate",
        }
        if self.feed is not None and not self._closed and updated & restart:
            logger.info("capture: options changed, restarting the ingest process")
            self.feed.stop(STOP_TIMEOUT)
            self._start_feed()

    def running(self) -> None:
        self.stats = StatsReader(ctx.master.event_loop)
        self._start_feed()
        if ctx.options.capture_metrics_port:
            self._ops = ctx.master.event_loop.create_task(self._serve_metrics())
        else:
            self._ready()
        # Everything loaded so far (mitmproxy, the store check's SQLAlchemy and Alembic)
        # lives as long as the process: keep it out of the cyclic GC's scans, which would
        # otherwise walk it again on every full collection while traffic flows.
        gc.freeze()

    async def _serve_metrics(self) -> None:
        from harness.capture.metrics import MetricsServer  # only with a metrics port

        opts = ctx.options
        self.metrics = MetricsServer(
            self.readings, opts.capture_metrics_host, opts.capture_metrics_port
        )
        try:
            await self.metrics.start()
        except OSError as exc:  # taken since configure() checked it
            logger.error("capture: metrics port unavailable: %s", exc.strerror)
            self.metrics = None
        self._ready()

    def _ready(self) -> None:
        self._listening = True
        logger.info("%s", ready_line(ctx.options, self._db_url))

    def readings(self) -> Any:
        """What the metrics port shows now (read in the event loop)."""
        return readings(self, ctx.options.capture_instance)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        self._in_flight.add(flow.id)

    def request(self, flow: http.HTTPFlow) -> None:
        if self.metrics is not None and flow.request.timestamp_end:
            # How long the proxy held the request before forwarding it (this hook is the
            # last step before mitmproxy sends it upstream).
            flow.metadata["harness_held"] = time.time() - flow.request.timestamp_end

    def response(self, flow: http.HTTPFlow) -> None:
        self._in_flight.discard(flow.id)
        if self._closed:
            self._refuse(flow)
            return
        if self._closing:
            # Shutting down: ask keep-alive clients to go, so the flows in flight drain.
            flow.response.headers["connection"] = "close"  # type: ignore[union-attr]
        self._capture(flow)
        if self.metrics is not None and flow.response is not None:
            ended = flow.response.timestamp_end or time.time()
            held = flow.metadata.get("harness_held", 0.0)
            self.metrics.observe_added(held + time.time() - ended)

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
        if self.stats is not None:
            self.stats.close()
        if self._ops is not None:
            await self._ops
        if self.metrics is not None:
            await self.metrics.stop()

    def shutdown(self) -> None:
        """Stop capturing: flush into the ingest process and wait for it (bounded)."""
        self._closed = True
        if self.feed is not None:
            self.feed.stop(STOP_TIMEOUT)
        logger.info(
            "capture: %d captured, %d dropped, %d errors, %d refused, %d skipped at shutdown",
            self.captured,
            self.dropped,
            self.errors,
            self.refused,
            self.skipped,
        )

    def _refuse(self, flow: http.HTTPFlow) -> None:
        """An answer that arrives after the capture closed is not delivered: the process is
        exiting, and delivering it would make an answered exchange that nothing recorded."""
        self.refused += 1
        if flow.killable:
            flow.kill()

    # -- checks ---------------------------------------------------------------------------

    def _spool_path(self) -> str:
        return str(ctx.options.capture_spool or default_spool_path(self._db_url or "harness.db"))

    # -- the ingest process ---------------------------------------------------------------

    def _start_feed(self) -> None:
        self.feed = IngestFeed(
            self._launch,
            ctx.master.event_loop,
            queue_limit=ctx.options.capture_queue,
            max_queued_bytes=MAX_QUEUED_BYTES,
        )
        self.feed.start()

    def _launch(self, ack_fd: int) -> subprocess.Popen[bytes]:
        opts = ctx.options
        extra = ["--instance", opts.capture_instance, "--log-format", opts.capture_log_format]
        if not opts.capture_migrate:
            extra.append("--no-migrate")
        cmd = ingest_command(
            self._spool_path(),
            opts.capture_plan,
            opts.capture_shadow,
            reverse_upstreams(opts.mode),
            opts.capture_max_body,
            extra,
        )
        env = dict(os.environ)
        env["HARNESS_DB"] = self._db_url or opts.capture_db
        if self._key is not None:
            env["HARNESS_KEY"] = self._key.hex()
        stats_r, stats_w = os.pipe()
        # exec'd (not forked from this process): it inherits no listening socket, and it
        # exits on EOF when this process goes away.
        try:
            proc = subprocess.Popen(
                [*cmd, "--ack-fd", str(ack_fd), "--stats-fd", str(stats_w)],
                stdin=subprocess.PIPE,
                env=env,
                close_fds=True,
                pass_fds=(ack_fd, stats_w),
            )
        except OSError:
            os.close(stats_r)
            raise
        finally:
            os.close(stats_w)
        if self.stats is not None:
            self.stats.attach(stats_r)
        else:
            os.close(stats_r)
        return proc

    def _capture(self, flow: http.HTTPFlow) -> None:
        flow.metadata["harness_captured"] = True
        if flow.is_replay or (self._filter is not None and not self._filter(flow)):
            self.skipped += 1
            return
        self.seen += 1
        try:
            data = frame(record(flow, ctx.options.capture_max_body))
        except Exception as exc:  # never let capture break the traffic
            self.errors += 1
            logger.error("capture: cannot frame exchange %s: %s", flow.id, type(exc).__name__)
            return
        if self.feed is None:
            self.errors += 1
            return
        self.feed.send(data)
