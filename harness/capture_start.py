"""What the capture addon checks and says when it starts (the package side of
``addons/capture.py``, testable without mitmproxy's event loop).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from harness.errors import ConfigError
from harness.plan import Plan

log = logging.getLogger("addons.capture")

__all__ = ["check_store", "ready_line", "shadow_targets"]


def check_store(db: str, migrate: bool = True) -> str:
    """Reach and migrate the store once (or, with ``migrate`` off, check that its schema is
    current): a bad --db stops the proxy before it serves; a store that does not answer
    yet only warns (the ingest spools until it does). Returns the store's URL."""
    from harness.errors import StoreUnavailable
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


def shadow_targets(specs: Sequence[str], plan: Plan) -> dict[str, str]:
    """``--shadow`` values, ``NAME=URL`` or a plan target's ``NAME``, as name -> URL."""
    targets: dict[str, str] = {}
    for spec in specs:
        name, sep, url = spec.partition("=")
        name = name.strip()
        if not sep and name in plan.targets:
            url = plan.targets[name]
        if not name or "://" not in url:
            raise ConfigError(
                f"capture_shadow wants NAME=URL or the name of a plan target, got {spec!r}"
            )
        targets[name] = url.strip()
    return targets


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
