"""A simulated bank's request handling, without HTTP: route, check, answer.

:class:`Gateway` turns (method, path, content type, signature, body bytes) into a
:class:`Reply` (status, content type, body bytes). The order is a real gateway's: route,
then an occasional "system busy" (only with an error rate), then the signature (only when
a key is set), then parsing (:mod:`harness.sim.parse`), then the role's rules in file order;
the first failing rule answers. Bodies are written as the bank's reply templates say
(:mod:`harness.sim.replies`); XML endpoints answer in simbank's GBK ``<Head>`` form.
:func:`evaluate` is the rule verdict alone, which tests use as ground truth, and
:func:`violations` lists every rule a request breaks.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

from harness.errors import ConfigError
from harness.sim import signature
from harness.sim.bank import Answer, Bank, Endpoint, Rule
from harness.sim.checks import luhn_check
from harness.sim.parse import parse_fields
from harness.sim.replies import render

BANK_TZ = timezone(timedelta(hours=8), "CST")  # simbank's wall clock (China Standard Time)
JSON_TYPE = "application/json;charset=UTF-8"
XML_TYPE = "application/xml; charset=GBK"

__all__ = ["BANK_TZ", "Gateway", "Outcome", "Reply", "evaluate", "parse_fields", "violations"]


@dataclass(frozen=True)
class Outcome:
    """The bank's decision on one request; ``rule`` is the id of the rule that rejected it."""

    answer: Answer
    rule: str | None = None
    endpoint: str | None = None
    reason: str = "rule"  # success | rule | not_found | bad_method | malformed | signature | flaky

    @property
    def accepted(self) -> bool:
        return self.reason == "success"


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    outcome: Outcome


def breaks(rule: Rule, fields: Mapping[str, str]) -> bool:
    """Whether ``fields`` break ``rule``: only ``required`` looks at an absent or empty field."""
    value = fields.get(rule.field)
    if rule.kind == "required":
        return value is None or not rule.check(value)
    return bool(value) and not rule.check(value)  # type: ignore[arg-type]


def evaluate(endpoint: Endpoint, fields: Mapping[str, str], role: str) -> Rule | None:
    """The first of the role's rules that ``fields`` break, or None when they pass."""
    for rule in endpoint.rules:
        if role in rule.roles and breaks(rule, fields):
            return rule
    return None


def violations(endpoint: Endpoint, fields: Mapping[str, str], role: str) -> list[Rule]:
    """Every one of the role's rules that ``fields`` break, in file order."""
    return [r for r in endpoint.rules if role in r.roles and breaks(r, fields)]


def flake_draw(seed: int, method: str, path: str, body: bytes) -> tuple[float, int]:
    """A uniform number in [0, 1) and a pick, both fixed by the seed and the request."""
    digest = hashlib.sha256(f"{seed}\0{method}\0{path}\0".encode() + body).digest()
    return int.from_bytes(digest[:8], "big") / 2**64, int.from_bytes(digest[8:12], "big")


class Gateway:
    """One simulated deployment of a bank: its role decides which rules apply."""

    def __init__(
        self,
        bank: Bank,
        role: str,
        *,
        sign_key: str | None = None,
        error_rate: float = 0.0,
        seed: int = 0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if role not in bank.roles:
            raise ConfigError(f"unknown role {role!r} (this bank has: {', '.join(bank.roles)})")
        if not 0.0 <= error_rate <= 1.0:
            raise ConfigError(f"the error rate must be between 0 and 1, not {error_rate!r}")
        if sign_key is not None and "signature" not in bank.responses:
            raise ConfigError(f"bank {bank.name!r} does not sign requests (no 'signature' answer)")
        self.bank = bank
        self.role = role
        self.sign_key = sign_key
        self.error_rate = error_rate
        self.seed = seed
        tz = BANK_TZ if bank.utc_offset == 8 else bank.tz
        self._clock = clock or (lambda: datetime.now(tz))
        self._random = random.Random(seed)
        self._flaky_total = sum(w for _, w in bank.flaky)

    def decide(
        self, method: str, path: str, content_type: str | None, sig: str | None, body: bytes
    ) -> tuple[Outcome, Endpoint | None, dict[str, str]]:
        """The outcome, the endpoint (None when unrouted) and the parsed fields."""
        bank = self.bank
        endpoint, params, known = bank.route(method, path)
        if endpoint is None:
            reason = "bad_method" if known else "not_found"
            return Outcome(bank.responses[reason], reason=reason), None, {}
        if self.error_rate and bank.flaky:
            draw, pick = flake_draw(self.seed, method, path, body)
            if draw < self.error_rate:
                pick %= self._flaky_total
                for answer, weight in bank.flaky:
                    if pick < weight:
                        return Outcome(answer, endpoint=endpoint.name, reason="flaky"), endpoint, {}
                    pick -= weight
        if self.sign_key is not None and not signature.verify(self.sign_key, body, sig):
            return (
                Outcome(bank.responses["signature"], endpoint=endpoint.name, reason="signature"),
                endpoint,
                {},
            )
        fields = parse_fields(endpoint, body, content_type, params)
        if fields is None:
            return (
                Outcome(bank.responses["malformed"], endpoint=endpoint.name, reason="malformed"),
                endpoint,
                {},
            )
        rule = evaluate(endpoint, fields, self.role)
        if rule is not None:
            return (
                Outcome(rule.answer, rule=rule.id, endpoint=endpoint.name, reason="rule"),
                endpoint,
                fields,
            )
        return (
            Outcome(bank.success_for(endpoint), endpoint=endpoint.name, reason="success"),
            endpoint,
            fields,
        )

    def handle(
        self, method: str, path: str, content_type: str | None, sig: str | None, body: bytes
    ) -> Reply:
        outcome, endpoint, fields = self.decide(method, path, content_type, sig, body)
        answer = outcome.answer
        if endpoint is not None and endpoint.format == "xml":
            return Reply(answer.status, XML_TYPE, self._xml(endpoint, answer), outcome)
        style = self.bank.style
        template = style.rejection
        if outcome.accepted and endpoint is not None:
            template = endpoint.reply if endpoint.reply is not None else style.success

        def fill(name: str) -> Any:
            if name == "code":
                return answer.code
            if name == "msg":
                return answer.msg
            if name == "data":
                if endpoint is None or not endpoint.data:
                    return None
                return {key: self._generate(gen, body) for key, gen in endpoint.data.items()}
            return self._generate(name, body)

        doc = render(template, fill)
        payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return Reply(answer.status, style.content_type, payload, outcome)

    def _xml(self, endpoint: Endpoint, answer: Answer) -> bytes:
        root = endpoint.reply_root
        text = (
            '<?xml version="1.0" encoding="GBK"?>'
            f"<{root}><Head><RspCode>{escape(answer.code or '')}</RspCode><RspMsg>{escape(answer.msg or '')}</RspMsg>"
            f"<RspTime>{self._clock().strftime('%Y%m%d%H%M%S')}</RspTime>"
            f"<SerialNo>{self._serial()}</SerialNo></Head></{root}>"
        )
        return text.encode("gbk", errors="xmlcharrefreplace")

    def _serial(self) -> str:
        return f"SN{self._clock().strftime('%Y%m%d')}{self._random.randrange(10**12):012d}"

    def _generate(self, generator: str, body: bytes) -> str:
        if generator == "serial":
            return self._serial()
        if generator == "now":
            return self._clock().strftime("%Y-%m-%d %H:%M:%S")
        if generator == "iso_now":
            return self._clock().isoformat(timespec="seconds")
        if generator == "uuid":
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
        # account_no: stable for the same request, a valid Luhn number like a real account.
        digits = str(int.from_bytes(hashlib.sha256(body).digest()[:8], "big")).zfill(20)[:14]
        number = "6230" + digits
        return number + luhn_check(number)
