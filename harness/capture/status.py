"""``harness status``: what a running capture's metrics port says, read back for a person.

:func:`read_status` fetches ``/readyz`` and ``/metrics`` (:mod:`harness.capture.metrics`) and
returns a :class:`Status` of plain values; the CLI renders it. A port where nothing
answers is one :class:`~harness.errors.ConfigError`.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from harness.errors import ConfigError

__all__ = ["Status", "read_status"]

TIMEOUT = 5.0


@dataclass
class Status:
    url: str
    ready: bool
    reasons: list[str]
    instance: str = ""
    version: str = ""
    counts: dict[str, float] = field(default_factory=dict)  # metric name -> value
    rejections: list[dict[str, Any]] = field(default_factory=list)  # endpoint, code, count
    upstream_errors: list[dict[str, Any]] = field(default_factory=list)  # endpoint, count
    added: dict[str, float | None] = field(default_factory=dict)  # count, mean, p50, p99

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ready": self.ready,
            "reasons": self.reasons,
            "instance": self.instance,
            "version": self.version,
            "counts": self.counts,
            "rejections": {
                "total": len(self.rejections),
                "limit": None,
                "items": self.rejections,
            },
            "upstream_errors": {
                "total": len(self.upstream_errors),
                "limit": None,
                "items": self.upstream_errors,
            },
            "proxy_added_seconds": self.added,
        }


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:  # noqa: S310 - loopback
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def read_status(base: str) -> Status:
    """Read ``base`` (``http://127.0.0.1:PORT``) once."""
    base = base.rstrip("/")
    try:
        _, ready_body = _get(f"{base}/readyz")
        _, metrics_body = _get(f"{base}/metrics")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConfigError(
            f"no capture metrics at {base} ({getattr(reason, 'strerror', None) or reason}); "
            "is the proxy running with --metrics-port?"
        ) from None
    try:
        ready = json.loads(ready_body)
        families = list(text_string_to_metric_families(metrics_body.decode("utf-8")))
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"{base} does not answer like a harness metrics port") from None
    status = Status(base, bool(ready.get("ready")), list(ready.get("reasons") or []))
    for family in families:
        for sample in family.samples:
            _take(status, sample.name, sample.labels, sample.value)
    status.added = _histogram(families, "harness_proxy_added_seconds")
    status.rejections.sort(key=lambda r: (-r["count"], r["endpoint"], r["code"]))
    status.upstream_errors.sort(key=lambda r: (-r["count"], r["endpoint"]))
    if not status.version:
        raise ConfigError(f"{base} does not answer like a harness metrics port")
    return status


def _take(status: Status, name: str, labels: dict[str, str], value: float) -> None:
    if not name.startswith("harness_") or name.endswith("_created"):
        return
    short = name.removeprefix("harness_")
    if short == "info":
        status.instance = labels.get("instance", "")
        status.version = labels.get("version", "")
    elif short == "rejections_total":
        status.rejections.append(
            {"endpoint": labels["endpoint"], "code": labels["code"], "count": int(value)}
        )
    elif short == "upstream_errors_total":
        status.upstream_errors.append({"endpoint": labels["endpoint"], "count": int(value)})
    elif short == "exchanges_total":
        status.counts[f"exchanges_{labels.get('outcome', '')}"] = value
    elif not labels and not short.startswith("proxy_added_seconds"):
        status.counts[short.removesuffix("_total")] = None if math.isnan(value) else value  # type: ignore[assignment]


def _histogram(families: list[Any], name: str) -> dict[str, float | None]:
    buckets: list[tuple[float, float]] = []
    count = total = 0.0
    for family in families:
        if family.name != name:
            continue
        for s in family.samples:
            if s.name.endswith("_bucket"):
                buckets.append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                count = s.value
            elif s.name.endswith("_sum"):
                total = s.value
    buckets.sort()

    def quantile(q: float) -> float | None:
        if not count:
            return None
        for bound, n in buckets:
            if n >= q * count:
                return bound
        return None

    return {
        "count": count,
        "mean": total / count if count else None,
        "p50_at_most": quantile(0.5),
        "p99_at_most": quantile(0.99),
    }
