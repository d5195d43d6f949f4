"""What the capture addon checks and says when it starts (the package side of
``addons/capture.py``, testable without mitmproxy's event loop).
"""

from __future__ import annotations

import errno
import logging
import socket
from collections import Counter
from collections.abc import Sequence
from typing import Any

from harness.errors import ConfigError, StoreUnavailable

# The addon imports this module when mitmproxy loads it: the store, the plan, the shadow's
# sender and mitmproxy's mode parser load inside the checks that use them (start-up).

log = logging.getLogger("harness.capture.addon")

__all__ = [
    "check_port",
    "reverse_upstreams",
    "check_plan_and_shadow",
    "check_store",
    "readings",
    "ready_line",
]


def check_port(host: str, port: int, what: str = "") -> None:
    """Fail early, with one line, when the listening address is taken or unusable."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"not a {what}port: {port!r}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise ConfigError(f"cannot resolve {what or 'listen '}host {host!r}") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"{what}port {port!r} on {host!r} is already in use") from None
            raise ConfigError(
                f"cannot listen on {host!r} {what}port {port!r}: {exc.strerror}"
            ) from None


def check_store(db: str, migrate: bool = True) -> str:
    """Reach and migrate the store once (or, with ``migrate`` off, check that its schema is
    current): a bad --db stops the proxy before it serves; a store that does not answer
    yet only warns (the ingest spools until it does). Returns the store's URL."""
    from harness.store import make_engine, resolve_url
    from harness.store import migrate as upgrade
    from harness.store.engine import check_current

    engine = make_engine(db)
    try:
        if migrate:
            upgrade(engine)
        else:
            check_current(engine)
    except StoreUnavailable as exc:
        log.warning("capture: %s; starting anyway, spooling until it answers", exc)
    finally:
        engine.dispose()
    return resolve_url(db)


def ready_line(opts: Any, db_url: str | None) -> str:
    """The one line the proxy logs once it serves: where it listens, whom it forwards to,
    which store (password hidden) and plan, its instance name and metrics port."""
    from harness.store.engine import redact_url

    modes = ", ".join(str(m) for m in opts.mode)
    upstream = modes.split(":", 1)[1] if modes.startswith("reverse:") else modes
    tls = " (http, or TLS with the given certificate)" if opts.certs else ""
    parts = [
        f"harness proxy ready: listening on {opts.listen_host or '*'}:{opts.listen_port}{tls}",
        f"upstream {upstream}",
        f"store {redact_url(db_url or opts.capture_db)}",
        f"plan {opts.capture_plan or '(none)'}",
        f"instance {opts.capture_instance}",
    ]
    if opts.capture_metrics_port:
        parts.append(f"metrics http://{opts.capture_metrics_host}:{opts.capture_metrics_port}")
    return ", ".join(parts)


def check_plan_and_shadow(plan_path: str | None, shadow: Sequence[str], modes: Any) -> None:
    """The plan loads; shadow targets are not production (the proxy's own upstream is
    production, whatever the plan says); their signer's key, header variables and TLS
    files are there: the proxy stops now, not on every request."""
    from harness.plan import load_plan
    from harness.replay.safety import check_targets
    from harness.replay.sending import Sending
    from harness.targets.resolve import parse_target, resolve

    plan = load_plan(plan_path)
    if shadow:
        targets = dict(parse_target(spec, plan) for spec in shadow)
        check_targets(targets, plan, reverse_upstreams(modes))
        Sending.of(resolve(plan, targets), plan)


def readings(capture: Any, instance: str) -> Any:
    """The metrics of a running :class:`harness.capture.addon.Capture`, read now."""
    from harness.capture.metrics import Readings  # only with a metrics port

    feed, stats = capture.feed, capture.stats
    return Readings(
        seen=capture.seen,
        stored=feed.stored if feed else 0,
        spooled=feed.spooled if feed else 0,
        dropped=capture.dropped + capture.errors,
        lost=feed.lost if feed else 0,
        queued=feed.waiting if feed else 0,
        in_flight=feed.in_flight if feed else 0,
        restarts=feed.restarts if feed else 0,
        ingest_up=bool(feed and feed.running),
        listening=capture.listening,
        closing=capture.stopping,
        store_up=stats.store_up if stats else None,
        lag=stats.lag if stats else None,
        pruned=stats.pruned if stats else 0,
        outcomes=stats.outcomes() if stats else Counter(),
        instance=instance,
    )


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
