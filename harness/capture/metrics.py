"""Health and metrics of a running capture, on a port of their own (loopback by default).

Served from the proxy's event loop by :class:`MetricsServer` (aiohttp), never on the
traffic port:

- ``GET /healthz``: 200 while the process runs (liveness);
- ``GET /readyz``: 200 once the proxy listens and an ingest process is up, else 503 with
  the reasons (readiness); a store that is down does not make it unready (capture
  spools), it shows as ``harness_store_up 0``;
- ``GET /metrics``: Prometheus text (prometheus-client).

The values are read when scraped (:class:`Readings`, filled by the capture addon from
its feed and the ingest's snapshots, :mod:`harness.capture.ingest_stats`), so the hot path pays
nothing for them except one histogram observation per exchange (the latency the proxy
adds). Metrics, all prefixed ``harness_``:

========================================  =====================================================
``exchanges_seen_total``                   exchanges the proxy handed to capture (answered)
``exchanges_stored_total``                 acknowledged as committed to the store
``exchanges_spooled_total``                acknowledged as written to a spool (store down)
``exchanges_dropped_total``                not captured: queue full, ingest down or died,
                                           lost inside the ingest (``seen = stored + spooled +
                                           dropped`` once nothing is in flight)
``exchanges_lost_total``                   the part of dropped the ingest lost (no store, no
                                           spool, memory full; frames not processed at stop)
``capture_queue_depth``                    exchanges waiting in the proxy for the ingest pipe
``capture_in_flight``                      written to the ingest, not yet acknowledged
``ingest_lag_seconds``                     from an exchange's end to its commit (latest batch)
``ingest_restarts_total``                  ingest processes restarted after one died
``ingest_up``, ``store_up``, ``ready``     1 or 0
``exchanges_total{outcome}``               classified exchanges by outcome
``rejections_total{endpoint,code}``        rejections by endpoint and business code
``upstream_errors_total{endpoint}``        exchanges the gateway failed (502-504, refused...)
``retention_deleted_total``                exchanges deleted by the plan's retention
``proxy_added_seconds``                    histogram: time the proxy held an exchange
                                           (request read -> forwarded, response read ->
                                           forwarded), capture hooks included
``info{instance,version}``                 1, with this sidecar's name
========================================  =====================================================
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from harness import __version__

__all__ = ["MetricsServer", "Readings"]

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class Readings:
    """What a scrape shows, read from the capture at that moment."""

    seen: int = 0
    stored: int = 0
    spooled: int = 0
    dropped: int = 0
    lost: int = 0
    queued: int = 0
    in_flight: int = 0
    restarts: int = 0
    ingest_up: bool = False
    listening: bool = False
    closing: bool = False
    store_up: bool | None = None
    lag: float | None = None
    pruned: int = 0
    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    instance: str = ""

    def not_ready(self) -> list[str]:
        reasons = []
        if not self.listening:
            reasons.append("not listening yet")
        if self.closing:
            reasons.append("shutting down")
        if not self.ingest_up:
            reasons.append("no ingest process")
        return reasons


class _Collector:
    def __init__(self, read: Callable[[], Readings]) -> None:
        self.read = read

    def collect(self) -> Iterator[Any]:
        r = self.read()

        def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
            return CounterMetricFamily(f"harness_{name}", doc, value=value)

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"harness_{name}", doc, value=value)

        yield counter("exchanges_seen", "Exchanges handed to capture.", r.seen)
        yield counter("exchanges_stored", "Exchanges committed to the store.", r.stored)
        yield counter("exchanges_spooled", "Exchanges spooled while the store was down.", r.spooled)
        yield counter("exchanges_dropped", "Exchanges not captured (fail open).", r.dropped)
        yield counter("exchanges_lost", "Dropped exchanges the ingest lost.", r.lost)
        yield gauge("capture_queue_depth", "Exchanges waiting for the ingest pipe.", r.queued)
        yield gauge("capture_in_flight", "Exchanges the ingest has not acknowledged.", r.in_flight)
        yield gauge(
            "ingest_lag_seconds",
            "Seconds from an exchange's end to its commit (latest batch).",
            r.lag if r.lag is not None else float("nan"),
        )
        yield counter("ingest_restarts", "Ingest processes restarted.", r.restarts)
        yield gauge("ingest_up", "1 while an ingest process runs.", int(r.ingest_up))
        yield gauge(
            "store_up",
            "1 while the store takes writes (0: spooling).",
            float("nan") if r.store_up is None else int(r.store_up),
        )
        yield gauge("ready", "1 when ready to capture.", int(not r.not_ready()))
        yield counter("retention_deleted", "Exchanges deleted by retention.", r.pruned)
        by_outcome = CounterMetricFamily(
            "harness_exchanges", "Classified exchanges by outcome.", labels=["outcome"]
        )
        rejections = CounterMetricFamily(
            "harness_rejections",
            "Rejections by endpoint and business code.",
            labels=["endpoint", "code"],
        )
        upstream = CounterMetricFamily(
            "harness_upstream_errors", "Exchanges the gateway failed.", labels=["endpoint"]
        )
        totals: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        for (endpoint, outcome, code), n in sorted(r.outcomes.items()):
            totals[outcome] += n
            if outcome == "rejected":
                rejections.add_metric([endpoint, code], n)
            elif outcome == "upstream_error":
                failed[endpoint] += n
        for outcome in ("accepted", "rejected", "upstream_error"):
            by_outcome.add_metric([outcome], totals.get(outcome, 0))
        for endpoint, n in sorted(failed.items()):
            upstream.add_metric([endpoint], n)
        yield by_outcome
        yield rejections
        yield upstream
        info = GaugeMetricFamily("harness_info", "This sidecar.", labels=["instance", "version"])
        info.add_metric([r.instance, __version__], 1)
        yield info


class MetricsServer:
    """``/healthz``, ``/readyz`` and ``/metrics`` on ``host:port``, in the running loop."""

    def __init__(self, read: Callable[[], Readings], host: str, port: int) -> None:
        self.read = read
        self.host = host
        self.port = port
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Collector(read))
        self.added = Histogram(
            "harness_proxy_added_seconds",
            "Seconds the proxy held an exchange besides the gateway's own time.",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._runner: Any = None

    def observe_added(self, seconds: float) -> None:
        self.added.observe(max(0.0, seconds))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _: Any) -> Any:
        return web.Response(text="ok\n")

    async def _readyz(self, _: Any) -> Any:
        reasons = self.read().not_ready()
        body = json.dumps({"ready": not reasons, "reasons": reasons}) + "\n"
        return web.Response(
            text=body, status=200 if not reasons else 503, content_type="application/json"
        )

    async def _metrics(self, _: Any) -> Any:
        data = generate_latest(self.registry)
        return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})
