"""A day of synthetic traffic for simbank, deterministic under a seed.

``generate(count, day, seed)`` builds the requests (method, path, headers, body bytes,
simulated time) without sending anything; :mod:`harness.sim.client` sends them. The same
seed gives the same bodies in the same order: every draw comes from one
``random.Random(seed)``, never from the global generator. All personal data is synthetic
(see :mod:`harness.sim.pools`).

The mix follows a platform's day: half account openings, a third transfers, the rest
enterprise updates in GBK XML, spread over the day's hours with business-hour peaks, each
stamped with header ``X-Sim-Time`` (ISO 8601, UTC). A few percent of the requests
(``flaw_rate``, 5% by default) break one production rule on purpose, most of them rules
that staging does not enforce; ``SimRequest.flaw`` names the flaw.

:func:`expected_outcome` is the ground truth for tests: what a role of the bank decides on
a request, computed from the bank file with the server's own checker.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from xml.sax.saxutils import escape

from harness.errors import ConfigError
from harness.sim import signature
from harness.sim.bank import Bank, load_bank
from harness.sim.checks import CREDIT_ALPHABET
from harness.sim.engine import HOURLY, TIME_HEADER, SimRequest, sim_times
from harness.sim.gateway import BANK_TZ, Gateway, Outcome
from harness.sim.pools import MERCHANTS, Maker
from harness.sim.simbank_edge import EdgeMaker
from harness.timeutil import parse_day

__all__ = ["FLAWS", "HOURLY", "MIX", "TIME_HEADER", "SimRequest", "expected_outcome"]
__all__ += ["expected_outcome_for", "generate", "sim_times", "update_xml"]

OPEN_PATH = "/openapi/v1/vaccount/open"
TRANSFER_PATH = "/openapi/v1/transfer"
UPDATE_PATH = "/openapi/v1/enterprise/{merchantNo}/update"
JSON_TYPE = "application/json;charset=UTF-8"
XML_TYPE = "application/xml; charset=GBK"

# Endpoint mix: (name, weight).
MIX = (("vaccount_open", 50), ("transfer", 35), ("enterprise_update", 15))


Flaw = Callable[[Maker, dict[str, str]], None]


def _set(**changes: Callable[[Maker, dict[str, str]], str]) -> Flaw:
    def apply(m: Maker, f: dict[str, str]) -> None:
        for key, make in changes.items():
            f[key] = make(m, f)

    return apply


def _halfwidth_name(m: Maker, f: dict[str, str]) -> str:
    return m.company_with_parens("()")


# Flaws by endpoint: name -> (weight, how to apply). The name says the field and the rule.
FLAWS: dict[str, dict[str, tuple[int, Flaw]]] = {
    "vaccount_open": {
        "enterpriseName.halfwidth_parens": (
            30,
            _set(enterpriseName=_halfwidth_name, accountName=lambda m, f: f["enterpriseName"]),
        ),
        "enterpriseName.ascii_letters": (
            4,
            _set(
                enterpriseName=lambda m, f: m.bad_company_letters(),
                accountName=lambda m, f: f["enterpriseName"],
            ),
        ),
        "enterpriseName.too_long": (4, _set(enterpriseName=lambda m, f: m.bad_company_too_long())),
        "businessAddress.ascii_letters": (22, _set(businessAddress=lambda m, f: m.bad_address())),
        "legalName.rare_char": (10, _set(legalName=lambda m, f: m.rare_person())),
        "creditCode.bad_check": (
            6,
            _set(creditCode=lambda m, f: m.bad_check(f["creditCode"], CREDIT_ALPHABET)),
        ),
        "legalIdNo.bad_check": (
            6,
            _set(legalIdNo=lambda m, f: m.bad_check(f["legalIdNo"], "0123456789X")),
        ),
        "bindCardNo.bad_luhn": (
            6,
            _set(bindCardNo=lambda m, f: m.bad_check(f["bindCardNo"], "0123456789")),
        ),
        "legalMobile.malformed": (8, _set(legalMobile=lambda m, f: m.bad_mobile())),
    },
    "transfer": {
        "payeeName.halfwidth_parens": (16, _set(payeeName=_halfwidth_name)),
        "amount.three_decimals": (10, _set(amount=lambda m, f: m.bad_amount_precision())),
        "amount.out_of_range": (8, _set(amount=lambda m, f: m.bad_amount_range())),
        "remark.spaces": (10, _set(remark=lambda m, f: m.bad_remark_spaces())),
        "remark.too_long": (6, _set(remark=lambda m, f: m.bad_remark_too_long())),
        "payeeAccount.bad_luhn": (
            5,
            _set(payeeAccount=lambda m, f: m.bad_check(f["payeeAccount"], "0123456789")),
        ),
        "purpose.unknown": (3, _set(purpose=lambda m, f: m.rng.choice(("投资款", "理财", "其他")))),
        "currency.unsupported": (2, _set(currency=lambda m, f: m.rng.choice(("USD", "HKD")))),
    },
    "enterprise_update": {
        "EntName.halfwidth_parens": (12, _set(EntName=_halfwidth_name)),
        "RegAddress.ascii_letters": (10, _set(RegAddress=lambda m, f: m.bad_address())),
        "ContactName.rare_char": (6, _set(ContactName=lambda m, f: m.rare_person())),
        "ContactMobile.malformed": (5, _set(ContactMobile=lambda m, f: m.bad_mobile())),
    },
}


def generate(
    count: int,
    day: str | None = None,
    seed: int = 0,
    *,
    key: str | None = None,
    flaw_rate: float = 0.05,
    mix: Sequence[tuple[str, int]] = MIX,
    edge: bool = False,
) -> list[SimRequest]:
    """``count`` requests spread over ``day`` (YYYY-MM-DD, default today), signed with ``key``.

    ``key`` defaults as the server's does (``$SIMBANK_HMAC_KEY``, else the demo key).
    ``edge``: an edge day (:mod:`harness.sim.simbank_edge`); values come close to the limits.
    """
    if count < 0:
        raise ConfigError(f"the request count must not be negative, not {count!r}")
    if not 0.0 <= flaw_rate <= 1.0:
        raise ConfigError(f"the flaw rate must be between 0 and 1, not {flaw_rate!r}")
    names = [name for name, _ in mix]
    unknown = [n for n in names if n not in FLAWS]
    if unknown:
        raise ConfigError(f"unknown endpoint in the traffic mix: {unknown[0]!r}")
    start, end = parse_day(day or "today")
    key = signature.resolve_key(key)
    rng = random.Random(seed)
    maker = EdgeMaker(rng) if edge else Maker(rng)
    weights = [w for _, w in mix]
    out = []
    for i, when in enumerate(sim_times(rng, count, start, end, BANK_TZ)):
        endpoint = rng.choices(names, weights=weights)[0]
        fields = _FIELDS[endpoint](maker, when, i)
        flaw = None
        if rng.random() < flaw_rate:
            catalogue = FLAWS[endpoint]
            flaw = rng.choices(list(catalogue), weights=[w for w, _ in catalogue.values()])[0]
            catalogue[flaw][1](maker, fields)
        out.append(_request(endpoint, fields, when, flaw, key))
    return out


def _stamp(when: datetime) -> str:
    return when.astimezone(BANK_TZ).strftime("%Y%m%d%H%M%S")


def _request_id(maker: Maker, when: datetime, index: int) -> str:
    return f"R{_stamp(when)}{index % 10000:04d}{maker.rng.randrange(10**6):06d}"


def _open_fields(m: Maker, when: datetime, index: int) -> dict[str, str]:
    name = m.company()
    return {
        "merchantNo": m.rng.choice(MERCHANTS),
        "requestId": _request_id(m, when, index),
        "timestamp": _stamp(when),
        "enterpriseName": name,
        "creditCode": m.credit_code(),
        "legalName": m.person(),
        "legalIdNo": m.id_number(),
        "legalMobile": m.mobile(),
        "businessAddress": m.address(),
        "accountName": name,
        "bindCardNo": m.card(),
    }


def _transfer_fields(m: Maker, when: datetime, index: int) -> dict[str, str]:
    purpose = m.purpose()
    payee = m.person() if purpose in ("工资", "报销款") else m.company()
    return {
        "merchantNo": m.rng.choice(MERCHANTS),
        "requestId": _request_id(m, when, index),
        "timestamp": _stamp(when),
        "payerAccount": m.card(),
        "payeeAccount": m.card(),
        "payeeName": payee,
        "amount": m.amount(),
        "currency": "CNY",
        "purpose": purpose,
        "remark": m.remark(),
    }


def _update_fields(m: Maker, when: datetime, index: int) -> dict[str, str]:
    return {
        "merchantNo": m.rng.choice(MERCHANTS),
        "ReqSeq": _request_id(m, when, index),
        "ReqTime": _stamp(when),
        "EntName": m.company(),
        "RegAddress": m.address(),
        "ContactName": m.person(),
        "ContactMobile": m.mobile(),
        "Scope": m.scope(),
    }


_FIELDS: dict[str, Callable[[Maker, datetime, int], dict[str, str]]] = {
    "vaccount_open": _open_fields,
    "transfer": _transfer_fields,
    "enterprise_update": _update_fields,
}


def _request(
    endpoint: str, fields: dict[str, str], when: datetime, flaw: str | None, key: str
) -> SimRequest:
    if endpoint == "enterprise_update":
        path = UPDATE_PATH.replace("{merchantNo}", fields["merchantNo"])
        body = update_xml(fields).encode("gbk", errors="xmlcharrefreplace")
        ctype = XML_TYPE
    else:
        path = OPEN_PATH if endpoint == "vaccount_open" else TRANSFER_PATH
        body = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        ctype = JSON_TYPE
    headers = {
        "Content-Type": ctype,
        TIME_HEADER: when.isoformat(timespec="milliseconds"),
        signature.HEADER: signature.sign(key, body),
    }
    return SimRequest("POST", path, headers, body, when, endpoint, flaw, fields)


def update_xml(fields: dict[str, str]) -> str:
    """The enterprise-update request document (declared GBK; encode it with GBK)."""
    body = "".join(
        f"<{k}>{escape(fields[k])}</{k}>"
        for k in ("EntName", "RegAddress", "ContactName", "ContactMobile", "Scope")
    )
    return (
        '<?xml version="1.0" encoding="GBK"?><Request><Head><TxCode>ENT_UPDATE</TxCode>'
        f"<ReqSeq>{escape(fields['ReqSeq'])}</ReqSeq><ReqTime>{escape(fields['ReqTime'])}</ReqTime></Head>"
        f"<Body>{body}</Body></Request>"
    )


@lru_cache(maxsize=1)
def default_bank() -> Bank:
    return load_bank()


def expected_outcome(request: SimRequest, role: str, bank: Bank | None = None) -> Outcome:
    """What ``role`` of the bank decides on ``request`` by its rules (for tests: ground truth).

    Signatures and the random "system busy" answers are left out: this is the rule verdict.
    """
    return expected_outcome_for(
        request.method, request.path, request.headers.get("Content-Type"), request.body, role, bank
    )


def expected_outcome_for(
    method: str,
    path: str,
    content_type: str | None,
    body: bytes,
    role: str,
    bank: Bank | None = None,
) -> Outcome:
    """:func:`expected_outcome` for any request, e.g. a sanitized one read back from a store."""
    gateway = Gateway(bank or default_bank(), role)
    outcome, _, _ = gateway.decide(method, path, content_type, None, body)
    return outcome
