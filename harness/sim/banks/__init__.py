"""Simulated banks by name: load one, generate its traffic, decide as one of its roles, serve it.

::

    from harness.sim import banks
    bank = banks.load("eurobank")            # a packaged name, or a bank file's path
    reqs = banks.generate(bank, count=3000, day="2026-11-24", seed=1, edge=False, flaw_rate=0.05)
    d = banks.decide(bank, "prod", method, path, content_type, body)
    d.outcome, d.status, d.code, d.message, d.rule   # "accepted"/"rejected", 201, None, None, None

Packaged banks (:data:`NAMES`): ``simbank`` (the default: Chinese virtual-account platform,
JSON + GBK XML, HTTP 200 with business codes), ``eurobank`` (SEPA-style JSON, 201/202,
every rejection HTTP 400 with one generic code) and ``zenginbank`` (Japanese Zengin-style
transfers, half-width katakana names, HTTP 200 with ``result`` OK/NG and Japanese messages,
one endpoint form-encoded in Shift_JIS). docs/simulator.md describes each.

A bank file says which traffic generator it uses (``traffic:``, default its name), so a
file derived from a packaged bank (a test's variant) generates that bank's traffic.

:func:`decide` is the ground truth for tests: what a role decides on any request, a
sanitized one read back from a store included, by the bank file's rules and the server's
own checker (without signatures or "system busy" answers). Nothing outside harness/sim/ and
the tests may use it to learn: it reads the rule file.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from harness.errors import ConfigError
from harness.sim.bank import DEFAULT_BANK, Bank, load_bank
from harness.sim.engine import Script, SimRequest
from harness.sim.gateway import Gateway
from harness.sim.gateway import violations as _violations
from harness.sim.parse import parse_fields

__all__ = [
    "NAMES",
    "Bank",
    "Decision",
    "SimRequest",
    "decide",
    "generate",
    "load",
    "names",
    "resolve",
    "serve",
    "violations",
]

HERE = Path(__file__).parent
NAMES: dict[str, Path] = {
    "simbank": DEFAULT_BANK,
    "eurobank": HERE / "eurobank.yaml",
    "zenginbank": HERE / "zenginbank.yaml",
}
# Traffic generators by name: a module with a module-level ``SCRIPT`` (harness.sim.engine.Script).
SCRIPTS: dict[str, str] = {
    "eurobank": "harness.sim.banks.eurobank",
    "zenginbank": "harness.sim.banks.zenginbank",
}


def names() -> tuple[str, ...]:
    """The packaged banks' names."""
    return tuple(NAMES)


def resolve(bank: str | Path | None) -> Path:
    """The bank file for a packaged name or a path (None: simbank)."""
    if bank is None:
        return DEFAULT_BANK
    text = str(bank)
    if text in NAMES:
        return NAMES[text]
    if isinstance(bank, Path) or "/" in text or text.endswith((".yaml", ".yml")):
        return Path(text)
    raise ConfigError(
        f"unknown bank {text!r} (packaged: {', '.join(NAMES)}; or give a bank file's path)"
    )


@lru_cache(maxsize=16)
def _load_packaged(name: str) -> Bank:
    return load_bank(NAMES[name])


def load(bank: str | Path | None = None) -> Bank:
    """A bank by packaged name (cached) or by file path (read each time); None: simbank."""
    if bank is None or (isinstance(bank, str) and bank in NAMES):
        return _load_packaged(bank or "simbank")
    return load_bank(resolve(bank))


@dataclass(frozen=True)
class Decision:
    """What a role of a bank decides on one request, and why."""

    outcome: Literal["accepted", "rejected"]
    status: int
    code: str | None
    message: str | None
    rule: str | None  # the id of the rule that rejected it (None when accepted or unruled)
    reason: str  # success | rule | not_found | bad_method | malformed
    endpoint: str | None = None  # the bank file's endpoint name
    field: str | None = None  # the field of the rule that rejected it

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"


def decide(
    bank: Bank, role: str, method: str, path: str, content_type: str | None, body: bytes
) -> Decision:
    """What ``role`` of ``bank`` decides on a request (the first rule it breaks answers)."""
    outcome, endpoint, _ = Gateway(bank, role).decide(method, path, content_type, None, body)
    rule = None
    if outcome.rule is not None and endpoint is not None:
        rule = next(r for r in endpoint.rules if r.id == outcome.rule)
    return Decision(
        outcome="accepted" if outcome.accepted else "rejected",
        status=outcome.answer.status,
        code=outcome.answer.code,
        message=outcome.answer.msg,
        rule=outcome.rule,
        reason=outcome.reason,
        endpoint=outcome.endpoint,
        field=rule.field if rule else None,
    )


def violations(
    bank: Bank, role: str, method: str, path: str, content_type: str | None, body: bytes
) -> list[str] | None:
    """The ids of every rule of ``role`` the request breaks, in file order; None when the
    request does not reach the rules (unknown route, wrong method, malformed body)."""
    endpoint, params, _ = bank.route(method, path)
    if endpoint is None:
        return None
    fields = parse_fields(endpoint, body, content_type, params)
    if fields is None:
        return None
    return [r.id for r in _violations(endpoint, fields, role)]


def _script(bank: Bank) -> Script:
    module_name = SCRIPTS.get(bank.traffic)
    if module_name is None:
        known = ", ".join(["simbank", *SCRIPTS])
        raise ConfigError(f"no traffic generator {bank.traffic!r} (known: {known})")
    script: Script = importlib.import_module(module_name).SCRIPT
    return script


def generate(
    bank: Bank,
    count: int,
    day: str | None = None,
    seed: int = 0,
    *,
    edge: bool = False,
    flaw_rate: float = 0.05,
    key: str | None = None,
) -> list[SimRequest]:
    """``count`` requests of a day (YYYY-MM-DD, default today) of ``bank``'s traffic.

    ``edge``: valid values come close to every true limit, and are new; ``flaw_rate``: the
    share of requests that break one production rule each (``SimRequest.flaw`` names it,
    ``SimRequest.rule`` is its rule id when the generator knows it). ``key`` signs simbank's
    requests (the other banks do not sign).
    """
    if bank.traffic == "simbank":
        from harness.sim import traffic  # simbank's own generator predates the engine

        return traffic.generate(count, day, seed, key=key, flaw_rate=flaw_rate, edge=edge)
    from harness.sim import engine

    return engine.generate(bank, _script(bank), count, day, seed, edge=edge, flaw_rate=flaw_rate)


def serve(
    bank: Bank,
    role: str = "prod",
    host: str = "127.0.0.1",
    port: int | None = None,
    *,
    ready: Callable[[str], None] | None = None,
    error_rate: float = 0.0,
    seed: int = 0,
    sign_key: str | None = None,
) -> None:
    """Serve ``role`` of ``bank`` over HTTP until SIGINT or SIGTERM (port: the bank file's)."""
    from harness.sim.server import serve as run_server

    gateway = Gateway(bank, role, sign_key=sign_key, error_rate=error_rate, seed=seed)
    run_server(gateway, host, bank.roles[role] if port is None else port, ready)
