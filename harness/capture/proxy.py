"""``harness proxy``: mitmproxy in reverse mode with the capture addon, embedded.

It runs the same :class:`harness.capture.addon.Capture` as ``mitmdump -s addons/capture.py``, so
both behave the same. Bad options (a plan that does not load, a store that cannot be
reached, a port in use, a malformed upstream, a TLS file that does not serve) raise
:class:`harness.errors.ConfigError` before any traffic is served. SIGTERM and SIGINT shut
down cleanly: the addon's ``done()`` hands everything queued to the ingest process and
waits for it to flush.

TLS to the bank (:mod:`harness.targets.tls`): an https upstream is verified against the system's
trust store by default (never silently off; ``--ssl-insecure`` is for local test gateways),
against ``--upstream-ca`` or the plan's ``tls.ca`` when given, and the proxy presents
``--client-cert``/``--client-key`` (or the plan's ``tls.client_cert``/``client_key``) when
the bank wants mutual TLS. The application talks to the proxy in plain HTTP, or over TLS
with ``--listen-cert``/``--listen-key`` (a certificate the operator supplies).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.capture.logfmt import JsonFormatter
from harness.capture.start import check_port
from harness.errors import ConfigError
from harness.plan import default_plan, load_plan
from harness.store import resolve_url
from harness.targets import tls

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
    upstream_ca: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    listen_cert: str | None = None
    listen_key: str | None = None
    key_file: str | None = None
    migrate: bool = True
    instance: str | None = None
    metrics_port: int | None = None  # None: the plan's metrics_port, else off
    metrics_host: str = "127.0.0.1"
    log_format: str = "text"
    capture_filter: str | None = None  # mitmproxy filter expression: capture only matches


def _plan(cfg: ProxyConfig) -> Any:
    return load_plan(cfg.plan) if cfg.plan else default_plan()


def resolve_upstream(cfg: ProxyConfig) -> str:
    """The upstream URL: --upstream, else the plan's ``upstream``."""
    upstream = cfg.upstream
    if not upstream and cfg.plan:
        upstream = _plan(cfg).upstream
    if not upstream:
        raise ConfigError("no upstream: pass --upstream URL or a plan with an 'upstream' key")
    if "://" not in upstream or upstream.split("://", 1)[0] not in ("http", "https"):
        raise ConfigError(f"upstream must be an http(s) URL, got {upstream!r}")
    return upstream


def tls_options(cfg: ProxyConfig, upstream: str, plan: Any) -> dict[str, Any]:
    """mitmproxy's TLS options for the upstream and the listening side, files checked."""
    wanted = (plan.tls or tls.TlsSettings()).merged(
        tls.TlsSettings(cfg.upstream_ca, cfg.client_cert, cfg.client_key)
    )
    if cfg.client_key and not cfg.client_cert:
        raise ConfigError("--client-key needs --client-cert")
    values: dict[str, Any] = {}
    if upstream.lower().startswith("https://"):
        tls.check(wanted, "upstream")
        if wanted.ca:
            values["ssl_verify_upstream_trusted_ca"] = str(wanted.ca)
        else:  # the system's trust store, not certifi's bundle mitmproxy would use
            cafile, capath = tls.system_ca()
            values["ssl_verify_upstream_trusted_ca"] = cafile
            values["ssl_verify_upstream_trusted_confdir"] = capath
        if wanted.client_cert:
            values["client_certs"] = tls.combined_pem(wanted.client_cert, wanted.client_key)
    elif wanted.client_cert or wanted.ca:
        raise ConfigError(
            f"upstream {upstream!r} is not https: a CA or a client certificate has no use"
        )
    if cfg.listen_key and not cfg.listen_cert:
        raise ConfigError("--listen-key needs --listen-cert")
    if cfg.listen_cert:
        tls.check_server(cfg.listen_cert, cfg.listen_key)
        pem = tls.combined_pem(cfg.listen_cert, cfg.listen_key, "listen")
        values["certs"] = [f"*={pem}"]
    return values


def _options(cfg: ProxyConfig, upstream: str) -> dict[str, Any]:
    plan = _plan(cfg)
    metrics_port = cfg.metrics_port if cfg.metrics_port is not None else plan.metrics_port
    values: dict[str, Any] = {
        "mode": [f"reverse:{upstream}"],
        # Connect upstream per request: a gateway that is down then gives the client a 502
        # and the capture an upstream_error exchange (eager would just drop the client).
        "connection_strategy": "lazy",
        "listen_host": cfg.listen_host,
        "listen_port": cfg.listen_port,
        "ssl_insecure": cfg.ssl_insecure,
        "capture_db": resolve_url(cfg.db),
        "capture_plan": cfg.plan,
        "capture_max_body": cfg.max_body,
        "capture_spool": cfg.spool,
        "capture_queue": cfg.queue,
        "capture_shadow": list(cfg.shadow),
        "capture_key_file": cfg.key_file,
        "capture_migrate": cfg.migrate,
        "capture_metrics_port": metrics_port or 0,
        "capture_metrics_host": cfg.metrics_host,
        "capture_log_format": cfg.log_format,
        "capture_filter": cfg.capture_filter,
        **tls_options(cfg, upstream, plan),
    }
    if cfg.instance:
        values["capture_instance"] = cfg.instance
    if cfg.log_format == "text":
        values["termlog_verbosity"] = cfg.verbosity  # TermLog's option (json: our handler)
    return values


async def _serve(cfg: ProxyConfig, upstream: str) -> dict[str, int]:
    # start-up: mitmproxy (~0.15 s) loads once the options are checked, so a bad one fails fast
    from mitmproxy import exceptions, options
    from mitmproxy.addons.termlog import TermLog
    from mitmproxy.tools.dump import DumpMaster

    from harness.capture.addon import Capture

    logging.getLogger("alembic").setLevel(logging.WARNING)
    opts = options.Options()
    master = DumpMaster(opts, with_termlog=False, with_dumper=False)
    termlog: Any
    if cfg.log_format == "json":
        level = logging.WARNING if cfg.verbosity == "warn" else logging.INFO
        termlog = _JsonLog(JsonFormatter(), level)
    else:
        termlog = TermLog(out=sys.stderr)  # logs go to stderr; stdout stays free
        master.addons.add(termlog)
    # Our own lines (the ready line, capture counts) at INFO; mitmproxy's per-connection
    # chatter stays below the root logger's level.
    for name in ("addons", "harness"):
        logging.getLogger(name).setLevel(logging.INFO)
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


class _JsonLog(logging.Handler):
    """mitmproxy's log lines (and ours) as JSON lines on stderr, for log collectors."""

    def __init__(self, fmt: logging.Formatter, level: int) -> None:
        super().__init__(level)
        self.setFormatter(fmt)
        logging.getLogger().addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def uninstall(self) -> None:
        logging.getLogger().removeHandler(self)


def run_proxy(cfg: ProxyConfig) -> dict[str, int]:
    """Serve until SIGTERM/SIGINT; returns the capture counts (captured, dropped, errors)."""
    upstream = resolve_upstream(cfg)
    check_port(cfg.listen_host, cfg.listen_port)
    if cfg.metrics_port is not None and cfg.metrics_port == cfg.listen_port:
        raise ConfigError(f"--metrics-port must differ from --listen-port ({cfg.listen_port})")
    if cfg.log_format not in ("text", "json"):
        raise ConfigError(f"--log-format must be text or json, got {cfg.log_format!r}")
    if cfg.max_body < 0:
        raise ConfigError(f"--max-body must be >= 0, got {cfg.max_body!r}")
    try:
        return asyncio.run(_serve(cfg, upstream))
    except SystemExit as exc:  # mitmproxy's startup error check exits after logging
        raise ConfigError("the proxy could not start (see the log above)") from exc
