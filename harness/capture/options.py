"""The capture addon's options: declared for mitmproxy, and checked when they change.

Declared by :func:`declare` (``--set capture_db=...`` on mitmdump; ``harness proxy`` sets
them from its flags); :func:`check` refuses a bad value with one line before the proxy
listens. The checks that touch the outside (the plan, the store, the spool, the key, the
metrics port) are :mod:`harness.capture.start`'s.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from typing import Any

from mitmproxy import exceptions, flowfilter

__all__ = ["MiB", "check", "declare", "flow_filter"]

MiB = 1024 * 1024


def declare(loader: Any) -> None:
    """Add the ``capture_*`` options to mitmproxy's loader."""
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
        "Bodies larger than this many bytes (raw, and once Content-Encoding is undone) "
        "are truncated and flagged in the capture; the client still gets the whole body.",
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
        "Live shadow targets as NAME=URL, or NAME alone for a target of the plan (its "
        "headers, signer and TLS apply): each sanitized request is also sent there.",
    )
    loader.add_option(
        "capture_key_file",
        str | None,
        os.environ.get("HARNESS_KEY_FILE"),
        "The sanitization key file (default: HARNESS_KEY, else HARNESS_KEY_FILE, else "
        "~/.config/harness/key; created 0600 with a warning when missing).",
    )
    loader.add_option(
        "capture_migrate",
        bool,
        True,
        "Create or upgrade the store's schema at start; off: refuse a store whose "
        "schema is not current (for teams whose DDL runs separately).",
    )
    loader.add_option(
        "capture_instance",
        str,
        os.environ.get("HARNESS_INSTANCE") or socket.gethostname(),
        "This sidecar's name, stored with each exchange (default: HARNESS_INSTANCE, "
        "else the host name).",
    )
    loader.add_option(
        "capture_metrics_port",
        int,
        0,
        "Serve /healthz, /readyz and Prometheus /metrics on this port (0: off).",
    )
    loader.add_option(
        "capture_metrics_host",
        str,
        "127.0.0.1",
        "Address of the metrics port (loopback by default).",
    )
    loader.add_option(
        "capture_log_format",
        str,
        "text",
        "Log format of the ingest process: text or json.",
    )
    loader.add_option(
        "capture_filter",
        str | None,
        None,
        "Capture only the flows this mitmproxy filter expression matches (for example "
        "'~u /v1/ & ~m POST'); the others pass through, uncaptured. Flows mitmproxy "
        "replays itself are never captured: they are not production traffic.",
    )


def check(opts: Any, updated: set[str]) -> None:
    """Refuse an option value that cannot work (one-line ``OptionsError``)."""
    if "capture_max_body" in updated and opts.capture_max_body < 0:
        raise exceptions.OptionsError("capture_max_body must be >= 0")
    if "capture_queue" in updated and opts.capture_queue < 1:
        raise exceptions.OptionsError("capture_queue must be >= 1")
    if "capture_log_format" in updated and opts.capture_log_format not in ("text", "json"):
        raise exceptions.OptionsError("capture_log_format must be text or json")
    if "capture_instance" in updated and not 0 < len(opts.capture_instance) <= 64:
        raise exceptions.OptionsError("capture_instance must be 1 to 64 characters")


def flow_filter(expression: str | None) -> flowfilter.TFilter | None:
    """The compiled ``capture_filter`` (None: capture every flow)."""
    if not expression:
        return None
    try:
        return flowfilter.parse(expression)
    except ValueError as exc:
        raise exceptions.OptionsError(f"capture_filter: {exc}") from None
