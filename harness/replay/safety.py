"""Refusing production as a target: the one check replay, live shadow and the prober share.

A target is production when a connection to it would reach production. Addresses are
compared *as the connection would go*:

- names are lower-cased and lose a trailing dot (``Gateway.Bank.Example.`` is
  ``gateway.bank.example``) and are resolved (every address they resolve to counts);
- numeric forms are read as the socket layer reads them (``127.1``, ``2130706433``,
  ``0x7f.0.0.1``), and an IPv4-mapped IPv6 address is its IPv4 address;
- every address of this host is one place: the unspecified addresses (``0.0.0.0``,
  ``::``: connecting there reaches this host), every loopback alias (``127.0.0.0/8``,
  ``::1``) and this host's own interface addresses: a gateway listening on any of them
  (or on all) is reached through each;
- ports default by scheme (80, 443).

Production is: the plan's ``upstream`` (host and port) and ``production_hosts`` (a host
named without a port matches it on any port); URLs the caller knows to be production
(``production``: the capture proxy's upstream); and the hosts the exchanges were captured
from (``captured``: :func:`captured_origins` of the store, or a row's own origin). Without
a plan the captured hosts still count: replay never reaches where the traffic came from.

:func:`check_targets` raises :class:`harness.errors.SafetyError` (one line, naming the
target) for the first target that is production.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from harness.errors import SafetyError
from harness.plan import Plan
from harness.targets.resolve import check_url

__all__ = [
    "captured_origins",
    "check_captured",
    "check_targets",
    "endpoints_of",
    "origin_of",
]

LOCAL = "this-host"  # every address a local listener can be reached on


def _split(value: str) -> tuple[str, int | None, int]:
    """(normalized host, explicit port or None, effective port) of a URL or ``host[:port]``."""
    parts = urlsplit(value if "://" in value else f"//{value}")
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower().rstrip(".")
    default = 443 if parts.scheme == "https" else 80
    return host, port, port or default


@lru_cache(maxsize=1024)
def _is_local(ip: str) -> bool:
    """True when ``ip`` is an address of this host (it can be bound to)."""
    addr = ipaddress.ip_address(ip)
    if addr.is_unspecified or addr.is_loopback:
        return True
    family = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((ip, 0))
    except OSError:
        return False
    return True


@lru_cache(maxsize=1024)
def _places(host: str, port: int) -> frozenset[str]:
    """Where a connection to ``host`` goes: addresses, with every local one as LOCAL."""
    if not host:
        return frozenset()
    out = set()
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return frozenset()
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        out.add(LOCAL if _is_local(str(ip)) else str(ip))
    return frozenset(out)


def endpoints_of(value: str, port_matters: bool = True) -> set[tuple[str, int | None]]:
    """``(name or place, port or None)`` pairs a URL or ``host[:port]`` stands for.

    The port is None (any port) for a bare host, and for a URL without an explicit port
    when ``port_matters`` is False (a plan's ``production_hosts``).
    """
    host, explicit, port = _split(value)
    if not host:
        return set()
    # A bare host (no scheme, no port) names every port of it.
    keep = port if explicit is not None or (port_matters and "://" in value) else None
    out: set[tuple[str, int | None]] = {("name:" + host, keep)}
    out.update((place, keep) for place in _places(host, port))
    return out


def _production(plan: Plan | None, production: Iterable[str], captured: Iterable[str]) -> Any:
    known: set[tuple[str, int | None]] = set()
    if plan is not None:
        if plan.upstream:
            known |= endpoints_of(plan.upstream)
        for host in plan.production_hosts:
            known |= endpoints_of(host, port_matters=False)
    for url in (*production, *captured):
        known |= endpoints_of(url)
    return known


def check_targets(
    targets: Mapping[str, str],
    plan: Plan | None,
    production: Sequence[str] = (),
    captured: Iterable[str] = (),
) -> None:
    """Raise :class:`SafetyError` for the first target that is (or reaches) production.

    ``production`` adds URLs known to be production besides the plan's (e.g. the capture
    proxy's ``--upstream``); ``captured`` the origins exchanges were captured from
    (:func:`captured_origins`, :func:`origin_of`).
    """
    for name, url in targets.items():
        check_url(name, url)
    known = _production(plan, production, captured)
    if not known:
        return
    for name, url in targets.items():
        for place, port in endpoints_of(url):
            if (place, port) in known or (place, None) in known:
                where = place.removeprefix("name:")
                raise SafetyError(
                    f"refusing replay target {name!r} ({url}): it is production "
                    f"({'this host' if where == LOCAL else where}, port {port})"
                )


def origin_of(row: Any) -> str | None:
    """``scheme://host[:port]`` an exchange row (or mapping) was captured from."""
    get = row.get if isinstance(row, Mapping) else (lambda k, d=None: getattr(row, k, d))
    host = get("host")
    if not host:
        return None
    return f"{get('scheme') or 'http'}://{host}"


def check_captured(targets: Mapping[str, str], row: Any) -> None:
    """Refuse targets that reach the origin ``row`` was captured from."""
    origin = origin_of(row)
    if origin is not None:
        check_targets(targets, None, captured=[origin])


def captured_origins(session: Any) -> list[str]:
    """Every ``scheme://host[:port]`` the store's exchanges were captured from."""
    # start-up: the store (SQLAlchemy, ~0.2 s) loads only for a replay from the store; the
    # capture's shadow check and the prober use this module without it
    from sqlalchemy import select

    from harness.store.models import Exchange

    rows = session.execute(select(Exchange.scheme, Exchange.host).distinct())
    return sorted({f"{scheme or 'http'}://{host}" for scheme, host in rows if host})
