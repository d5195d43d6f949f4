"""``harness proxy``: the capture sidecar in front of the bank gateway."""

from __future__ import annotations

from typing import Annotated

import typer

from harness.cli.common import DbOpt, KeyFileOpt, PlanOpt, err_console

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).


def proxy(
    upstream: Annotated[
        str | None,
        typer.Option("--upstream", help="Production gateway URL (default: the plan's upstream)."),
    ] = None,
    listen_host: Annotated[
        str, typer.Option("--listen-host", help="Address to listen on.")
    ] = "127.0.0.1",
    listen_port: Annotated[int, typer.Option("--listen-port", help="Port to listen on.")] = 8080,
    db: DbOpt = None,
    plan: PlanOpt = None,
    shadow: Annotated[
        list[str] | None,
        typer.Option(
            "--shadow",
            help="Live shadow target NAME=URL (repeatable): sanitized requests are mirrored there.",
        ),
    ] = None,
    max_body: Annotated[
        int,
        typer.Option(
            "--max-body",
            help="Bodies above this many bytes are truncated (and flagged) in the capture, not for the client.",
        ),
    ] = 1024 * 1024,
    spool: Annotated[
        str | None,
        typer.Option(
            "--spool",
            help="Spool file while the store is down (default: <db>.spool next to a SQLite file).",
        ),
    ] = None,
    ssl_insecure: Annotated[
        bool,
        typer.Option(
            "--ssl-insecure",
            help="Do not verify the upstream's TLS certificate (local test gateways only).",
        ),
    ] = False,
    upstream_ca: Annotated[
        str | None,
        typer.Option(
            "--upstream-ca",
            metavar="FILE",
            help="CA bundle (PEM) the upstream's certificate is checked against (default: the plan's tls.ca, else the system store).",
        ),
    ] = None,
    client_cert: Annotated[
        str | None,
        typer.Option(
            "--client-cert",
            metavar="FILE",
            help="Client certificate (PEM) presented to the upstream (mutual TLS).",
        ),
    ] = None,
    client_key: Annotated[
        str | None,
        typer.Option("--client-key", metavar="FILE", help="Private key (PEM) of --client-cert."),
    ] = None,
    listen_cert: Annotated[
        str | None,
        typer.Option(
            "--listen-cert",
            metavar="FILE",
            help="Certificate (PEM) shown to applications that connect over TLS (plain HTTP works too).",
        ),
    ] = None,
    listen_key: Annotated[
        str | None,
        typer.Option("--listen-key", metavar="FILE", help="Private key (PEM) of --listen-cert."),
    ] = None,
    key_file: KeyFileOpt = None,
    no_migrate: Annotated[
        bool,
        typer.Option(
            "--no-migrate",
            help="Never change the store's schema: refuse one that is not current (see harness db upgrade).",
        ),
    ] = False,
    instance: Annotated[
        str | None,
        typer.Option(
            "--instance",
            envvar="HARNESS_INSTANCE",
            metavar="NAME",
            help="This sidecar's name, stored with each exchange (default: the host name).",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            metavar="N",
            help="Serve /healthz, /readyz and Prometheus /metrics on 127.0.0.1:N (default: the plan's metrics_port, else off).",
        ),
    ] = None,
    metrics_host: Annotated[
        str,
        typer.Option("--metrics-host", help="Address of the metrics port."),
    ] = "127.0.0.1",
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            metavar="text|json",
            help="Log lines for people (text) or collectors (json).",
        ),
    ] = "text",
    capture_filter: Annotated[
        str | None,
        typer.Option(
            "--filter",
            metavar="EXPR",
            help="Capture only the flows this mitmproxy filter expression matches (e.g. '~u /v1/ & ~m POST'); all traffic still passes.",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Log warnings and errors only.")
    ] = False,
) -> None:
    """Reverse proxy in front of the bank gateway that captures every exchange, sanitized.

    Clients talk to the listen address (plain HTTP, or TLS with --listen-cert); the proxy
    forwards to the upstream and hands each finished exchange to an ingest process that
    decodes, classifies, sanitizes and stores it. Capture never delays or breaks traffic
    (fail open). SIGTERM or Ctrl-C flush and stop.

    An https upstream is verified against the system's trust store, --upstream-ca or the
    plan's tls section; --client-cert and --client-key answer a bank that wants mutual
    TLS. One log line says when the proxy is ready. With --metrics-port, health and
    Prometheus metrics are served on a port of their own (harness status reads them).
    See docs/deploy.md.

    Example: harness proxy --upstream https://gateway.bank.example --listen-port 8080 --plan replays/simbank.yaml --db harness.db
    """
    from harness.capture.proxy import ProxyConfig, run_proxy

    cfg = ProxyConfig(
        upstream=upstream,
        listen_host=listen_host,
        listen_port=listen_port,
        db=db,
        plan=plan,
        shadow=tuple(shadow or ()),
        max_body=max_body,
        spool=spool,
        ssl_insecure=ssl_insecure,
        verbosity="warn" if quiet else "info",
        upstream_ca=upstream_ca,
        client_cert=client_cert,
        client_key=client_key,
        listen_cert=listen_cert,
        listen_key=listen_key,
        key_file=key_file,
        migrate=not no_migrate,
        instance=instance,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        log_format=log_format,
        capture_filter=capture_filter,
    )
    counts = run_proxy(cfg)
    line = (
        f"proxy stopped: {counts['captured']} captured, {counts['dropped']} dropped, "
        f"{counts['errors']} errors"
    )
    if log_format == "json":
        from harness.capture.logfmt import json_line

        err_console.file.write(json_line("info", "harness.capture.proxy", line) + "\n")
    else:
        err_console.print(line, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("proxy")(proxy)
