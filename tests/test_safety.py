"""Replay, shadow and the prober never reach production: every way of writing its address."""

from __future__ import annotations

import socket

import pytest

from harness.errors import SafetyError
from harness.plan import parse_plan
from harness.replay.safety import check_captured, check_targets, origin_of
from tests.support.procs import free_port

PORT = free_port()


def _own_address() -> str | None:
    """This host's outgoing interface address, if it has one besides loopback.

    A UDP socket "connected" to a documentation address sends nothing; its local address
    is the one the host would use.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("198.51.100.1", 9))
            addr = str(s.getsockname()[0])
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


@pytest.mark.parametrize(
    "target",
    [
        f"http://127.0.0.1:{PORT}",
        f"http://127.0.0.1:{PORT}/some/path?q=1",
        f"http://localhost:{PORT}",
        f"http://LOCALHOST:{PORT}",
        f"http://localhost.:{PORT}",  # trailing dot
        f"http://0.0.0.0:{PORT}",  # unspecified: connecting reaches this host
        f"http://[::]:{PORT}",
        f"http://[::1]:{PORT}",
        f"http://127.0.0.2:{PORT}",  # another loopback alias
        f"http://127.255.255.254:{PORT}",
        f"http://127.1:{PORT}",  # short numeric form
        f"http://2130706433:{PORT}",  # 127.0.0.1 as one number
        f"http://0x7f000001:{PORT}",  # ... in hex
        f"http://[::ffff:127.0.0.1]:{PORT}",  # IPv4-mapped IPv6
        f"http://{socket.gethostname()}:{PORT}",  # this host's name
    ],
)
def test_every_alias_of_a_local_production_is_refused(target):
    plan = parse_plan({"upstream": f"http://127.0.0.1:{PORT}"})
    with pytest.raises(SafetyError, match="refusing replay target 'staging'") as info:
        check_targets({"staging": target}, plan)
    assert "\n" not in str(info.value)
    # The same without a plan, when production is only known as the proxy's upstream or
    # as the origin of captured exchanges.
    with pytest.raises(SafetyError):
        check_targets({"staging": target}, None, production=[f"http://127.0.0.1:{PORT}"])
    with pytest.raises(SafetyError):
        check_targets({"staging": target}, None, captured=[f"http://127.0.0.1:{PORT}"])


def test_this_hosts_own_interface_address_is_production_too():
    own = _own_address()
    if own is None:
        pytest.skip("this host has no interface address besides loopback")
    with pytest.raises(SafetyError):
        check_targets({"t": f"http://{own}:{PORT}"}, None, production=[f"http://0.0.0.0:{PORT}"])


@pytest.mark.parametrize(
    ("production", "target"),
    [
        ("http://0.0.0.0:{p}", "http://127.0.0.1:{p}"),  # a gateway bound to every address
        ("http://[::]:{p}", "http://localhost:{p}"),
        ("http://localhost", "http://127.0.0.1:80"),  # default ports
        ("https://localhost", "https://127.0.0.1"),
        ("https://gw.bank.example", "https://GW.BANK.EXAMPLE.:443"),  # names, unresolved
        ("gw.bank.example", "https://gw.bank.example:8443"),  # a host without port: any port
    ],
)
def test_production_written_one_way_and_the_target_another(production, target):
    p = free_port()
    with pytest.raises(SafetyError):
        check_targets({"t": target.format(p=p)}, None, production=[production.format(p=p)])


@pytest.mark.parametrize(
    "target",
    [
        f"http://127.0.0.1:{PORT + 1 if PORT < 65535 else PORT - 1}",  # another port
        "http://203.0.113.10:8080",  # a documentation address: not this host
    ],
)
def test_other_places_are_allowed(target):
    plan = parse_plan({"upstream": f"http://127.0.0.1:{PORT}"})
    check_targets({"staging": target}, plan, captured=[f"http://127.0.0.1:{PORT}"])


def test_without_anything_known_nothing_is_refused():
    check_targets({"staging": f"http://127.0.0.1:{PORT}"}, None)


def test_a_row_is_never_mirrored_where_it_was_captured_from():
    row = {"scheme": "http", "host": f"127.0.0.1:{PORT}"}
    assert origin_of(row) == f"http://127.0.0.1:{PORT}"
    with pytest.raises(SafetyError):
        check_captured({"t": f"http://localhost:{PORT}"}, row)
    check_captured({"t": f"http://localhost:{free_port()}"}, row)
