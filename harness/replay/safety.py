"""Refusing production as a replay target.

A target is refused when the plan says it is production (:meth:`harness.plan.Plan.is_production`:
the upstream's host and port, or a production host), and also when its host *resolves* to
the same address as production's: ``localhost:18080`` is production when the upstream is
``http://127.0.0.1:18080``. Without a plan nothing is known about production, so nothing is
refused; replay never falls back to an exchange's recorded host, its targets are explicit.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from harness.errors import ConfigError, SafetyError
from harness.plan import Plan, default_plan


def parse_target(text: str) -> tuple[str, str]:
    """``NAME=URL`` from the command line -> (name, url)."""
    name, sep, url = text.partition("=")
    name, url = name.strip(), url.strip()
    if not sep or not name or not url:
        raise ConfigError(f"a target is NAME=URL, got {text!r}")
    check_url(name, url)
    return name, url


def check_url(name: str, url: str) -> None:
    """A target URL must be http(s) with a host (and a valid port)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(f"target {name!r} has a bad port: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"target {name!r} needs an http(s) URL, got {url!r}")


def check_targets(
    targets: Mapping[str, str], plan: Plan | None, production: Sequence[str] = ()
) -> None:
    """Raise :class:`SafetyError` for the first target that is (or resolves to) production.

    ``production`` adds URLs known to be production besides the plan's (e.g. the capture
    proxy's ``--upstream``); with them, targets are checked even without a plan.
    """
    for name, url in targets.items():
        check_url(name, url)
    if production:
        base = plan or default_plan()
        plan = replace(base, production_hosts=(*base.production_hosts, *production))
    if plan is None:
        return
    addresses = _production_addresses(plan)
    for name, url in targets.items():
        if plan.is_production(url):
            raise SafetyError(f"refusing replay target {name!r} ({url}): it is production")
        host, port = _host_port(url)
        for ip in _resolve(host, port):
            if (ip, port) in addresses or (ip, None) in addresses:
                raise SafetyError(
                    f"refusing replay target {name!r} ({url}): it resolves to production's address {ip}:{port}"
                )


def _production_addresses(plan: Plan) -> set[tuple[str, int | None]]:
    """(ip, port) for the upstream; (ip, None) for production hosts named without a port."""
    out: set[tuple[str, int | None]] = set()
    values = [(plan.upstream, True)] + [(h, _has_port(h)) for h in plan.production_hosts]
    for value, port_matters in values:
        if not value:
            continue
        host, port = _host_port(value)
        if not host:
            continue
        for ip in _resolve(host, port):
            out.add((ip, port if port_matters else None))
    return out


def _has_port(value: str) -> bool:
    netloc = value.split("://", 1)[-1].split("/", 1)[0]
    return bool(urlsplit(f"//{netloc}").port) if ":" in netloc.rsplit("]", 1)[-1] else False


def _host_port(value: str) -> tuple[str, int]:
    parts = urlsplit(value if "://" in value else f"//{value}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port or (443 if parts.scheme == "https" else 80)


def _resolve(host: str, port: int) -> set[str]:
    """Every address a host resolves to (IPv4-mapped IPv6 folded to IPv4); empty if none."""
    if not host:
        return set()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return set()
    out = set()
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        out.add(str(ip))
    return out
