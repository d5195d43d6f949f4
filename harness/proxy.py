"""``harness proxy``: mitmproxy in reverse mode with the capture addon, embedded.

It runs the same :class:`addons.capture.Capture` as ``mitmdump -s addons/capture.py``, so
both behave the same. Bad options (a plan that does not load, a store that cannot be
reached, a port in use, a malformed upstream) raise :class:`harness.errors.ConfigError`
before any traffic is served. SIGTERM and SIGINT shut down cleanly: the addon's ``done()``
hands everything queued to the ingest process and waits for it to flush.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.errors import ConfigError

MiB = 1024 * 1024


@dataclass
class ProxyConfig:
    """What ``harness proxy`` needs; ``upstream`` falls back to the plan's upstream."""

    upstream: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    db: str | None = None
    plan: str | None = None
    shadow: Sequence[str] = field(default_factory=tuple)
    max_body: int = MiB
    spool: str | None = None
    queue: int = 10000
    ssl_insecure: bool = False
    verbosity: str = "info"  # mitmproxy's termlog_verbosity


def resolve_upstream(cfg: ProxyConfig) -> str:
    """The upstream URL: --upstream, else the plan's ``upstream``."""
    upstream = cfg.upstream
    if not upstream and cfg.plan:
        from harness.plan import load_plan

        upstream = load_plan(cfg.plan).upstream
    if not upstream:
        raise ConfigError("no upstream: pass --upstream URL or a plan with an 'upstream' key")
    if "://" not in upstream or upstream.split("://", 1)[0] not in ("http", "https"):
        raise ConfigError(f"upstream must be an http(s) URL, got {upstream!r}")
    return upstream


def check_port(host: str, port: int) -> None:
    """Fail early, with one line, when the listening address is taken or unusable."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"not a port: {port!r}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise ConfigError(f"cannot resolve listen host {host!r}") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port!r} on {host!r} is already in use") from None
            raise ConfigError(f"cannot listen on {host!r} port {port!r}: {exc.strerror}") from None


def _options(cfg: ProxyConfig, upstream: str) -> dict[str, Any]:
    from harness.store import resolve_url

    values: dict[str, Any] = {
        "mode": [f"reverse:{upstream}"],
        # Connect upstream per request: a gateway that is down then gives the client a 502
        # and the capture an upstream_error exchange (eager would just drop the client).
        "connection_strategy": "lazy",
        "listen_host": cfg.listen_host,
        "listen_port": cfg.listen_port,
        "ssl_insecure": cfg.ssl_insecure,
        "termlog_verbosity": cfg.verbosity,
        "capture_db": resolve_url(cfg.db),
        "capture_plan": cfg.plan,
        "capture_max_body": cfg.max_body,
        "capture_spool": cfg.spool,
        "capture_queue": cfg.queue,
        "capture_shadow": list(cfg.shadow),
    }
    return values


async def _serve(cfg: ProxyConfig, upstream: str) -> dict[str, int]:
    from mitmproxy import exceptions, options
    from mitmproxy.addons.termlog import TermLog
    from mitmproxy.tools.dump import DumpMaster

    from addons.capture import Capture

    opts = options.Options()
    master = DumpMaster(opts, with_termlog=False, with_dumper=False)
    termlog = TermLog(out=sys.stderr)  # logs go to stderr; stdout stays free
    master.addons.add(termlog)
    capture = Capture()
    master.addons.add(capture)
    try:
        opts.update(**_options(cfg, upstream))
    except exceptions.OptionsError as exc:
        raise ConfigError(str(exc)) from None

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, master.shutdown)
    try:
        await master.run()
    finally:
        termlog.uninstall()
    return {"captured": capture.captured, "dropped": capture.dropped, "errors": capture.errors}


def run_proxy(cfg: ProxyConfig) -> dict[str, int]:
    """Serve until SIGTERM/SIGINT; returns the capture counts (captured, dropped, errors)."""
    upstream = resolve_upstream(cfg)
    check_port(cfg.listen_host, cfg.listen_port)
    if cfg.max_body < 0:
        raise ConfigError(f"--max-body must be >= 0, got {cfg.max_body!r}")
    try:
        return asyncio.run(_serve(cfg, upstream))
    except SystemExit as exc:  # mitmproxy's startup error check exits after logging
        raise ConfigError("the proxy could not start (see the log above)") from exc
