"""The new simulated banks (eurobank, zenginbank) without HTTP: their traffic, flaws, edge days,
ground truth, answers and gateway plans.

Ground truth comes from the bank files (this test may read them; the harness may not).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import random
import re
import uuid
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from harness import codecs
from harness.errors import ConfigError
from harness.outcome.classify import Classifier
from harness.plan import load_plan
from harness.sanitize import Sanitizer
from harness.sim import banks
from harness.sim.gateway import Gateway
from harness.sim.standards import SWIFT_X, ZENGIN

ROOT = Path(__file__).resolve().parent.parent
DAY = "2026-11-24"
NEW = ("eurobank", "zenginbank")


@cache
def day(name: str, edge: bool, flaw_rate: float = 0.5, count: int = 4000, seed: int = 5):
    return banks.generate(banks.load(name), count, DAY, seed, edge=edge, flaw_rate=flaw_rate)


def decide(name: str, role: str, req) -> banks.Decision:
    return banks.decide(
        banks.load(name), role, req.method, req.path, req.headers["Content-Type"], req.body
    )


def rules_of(name: str) -> dict:
    return {r.id: r for r in banks.load(name).rules}


def script(name: str):
    return importlib.import_module(banks.SCRIPTS[name]).SCRIPT


def test_packaged_banks_by_name_and_path():
    assert banks.names() == ("simbank", "eurobank", "zenginbank")
    for name in banks.names():
        bank = banks.load(name)
        assert bank.name == name and set(bank.roles) == {"prod", "staging"}
        assert banks.load(str(banks.NAMES[name])).name == name  # by path too
    assert banks.load().name == "simbank"
    with pytest.raises(ConfigError, match="unknown bank 'nobank'"):
        banks.load("nobank")
    with pytest.raises(ConfigError, match="bank file not found"):
        banks.load("missing/bank.yaml")


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("edge", [False, True])
def test_valid_requests_are_accepted_by_both_roles(name, edge):
    valid = [r for r in day(name, edge) if r.flaw is None]
    assert len(valid) > 1500
    for req in valid:
        prod, staging = decide(name, "prod", req), decide(name, "staging", req)
        assert prod.accepted and staging.accepted, (req.endpoint, prod.rule, req.fields)
        assert prod.endpoint == req.endpoint


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("edge", [False, True])
def test_each_flaw_breaks_exactly_its_rule(name, edge):
    rules = rules_of(name)
    bank = banks.load(name)
    flawed = [r for r in day(name, edge) if r.flaw is not None]
    for req in flawed:
        broken = banks.violations(
            bank, "prod", req.method, req.path, req.headers["Content-Type"], req.body
        )
        assert broken == [req.rule], (req.flaw, req.fields)
        rule = rules[req.rule]
        prod = decide(name, "prod", req)
        assert (prod.outcome, prod.rule, prod.field) == ("rejected", rule.id, rule.field)
        assert (prod.status, prod.code, prod.message) == (
            rule.answer.status,
            rule.answer.code,
            rule.answer.msg,
        )
        staging = decide(name, "staging", req)
        if "staging" in rule.roles:
            assert staging.rule == rule.id
        else:  # the lax test environment lets it through
            assert staging.accepted, (req.flaw, staging.rule)


@pytest.mark.parametrize("name", NEW)
def test_every_flaw_kind_is_drawn_and_names_its_field(name):
    drawn = Counter(r.flaw for r in day(name, False) + day(name, True) if r.flaw)
    routes = script(name).routes
    catalogue = {flaw: route.endpoint for route in routes for flaw in route.flaws}
    assert set(drawn) == set(catalogue)
    rules = rules_of(name)
    for route in routes:
        for flaw_name, flaw in route.flaws.items():
            assert flaw.rule in rules and rules[flaw.rule].roles >= {"prod"}
            assert flaw_name.startswith(rules[flaw.rule].field + ".")  # the name says the field
    # most flaws break rules the lax staging does not enforce
    lax = sum(n for f, n in drawn.items() if "staging" not in rules[_rule(routes, f)].roles)
    assert lax > 0.8 * sum(drawn.values())


def _rule(routes, flaw_name: str) -> str:
    return next(r.flaws[flaw_name].rule for r in routes if flaw_name in r.flaws)


@pytest.mark.parametrize("name", NEW)
def test_flaw_rate_and_endpoint_mix(name):
    reqs = day(name, False, flaw_rate=0.05)
    assert 0.035 < sum(r.flaw is not None for r in reqs) / len(reqs) < 0.065
    mix = Counter(r.endpoint for r in reqs)
    assert set(mix) == {e.name for e in banks.load(name).endpoints}
    assert all(n > 300 for n in mix.values())
    assert not any(r.flaw for r in banks.generate(banks.load(name), 300, DAY, 1, flaw_rate=0.0))


@pytest.mark.parametrize("name", banks.names())
def test_deterministic_under_a_seed(name):
    bank = banks.load(name)

    def key(reqs):
        return [(r.path, r.headers, r.body, r.flaw) for r in reqs]

    random.seed(99)
    expected = random.random()
    random.seed(99)
    first = banks.generate(bank, 500, DAY, 3, edge=True)
    assert random.random() == expected  # the global generator is untouched
    assert key(first) == key(banks.generate(bank, 500, DAY, 3, edge=True))
    assert key(first) != key(banks.generate(bank, 500, DAY, 4, edge=True))
    assert key(first) != key(banks.generate(bank, 500, DAY, 3, edge=False))
    times = [r.sim_time for r in first]
    assert times == sorted(times) and all(r.headers["X-Sim-Time"] for r in first)


# Length limits of the bank files: (endpoint, field, limit).
LIMITS = {
    "eurobank": [
        ("sepa_credit_transfer", "creditorName", 70),
        ("sepa_credit_transfer", "debtorName", 70),
        ("sepa_credit_transfer", "remittanceInformationUnstructured", 140),
        ("sepa_credit_transfer", "endToEndIdentification", 35),
        ("sepa_credit_transfer", "creditorAddress.townName", 35),
        ("sepa_credit_transfer", "creditorAddress.streetName", 70),
        ("cross_border_payment", "creditorName", 70),
        ("beneficiary_create", "name", 70),
        ("beneficiary_create", "nickname", 35),
    ],
    "zenginbank": [
        ("transfer", "payee.accountName", 30),
        ("transfer", "remitterName", 48),
        ("transfer", "ediInfo", 20),
        ("account_verify", "accountName", 30),
        ("payee_register", "payeeName", 30),
        ("payee_register", "payeeNameKana", 30),
        ("payee_register", "address", 80),
    ],
}


@pytest.mark.parametrize("name", NEW)
def test_edge_day_lengths_reach_the_limits_normal_days_stay_below(name):
    for endpoint, field, limit in LIMITS[name]:
        rule = rules_of(name)[f"{endpoint}.{field}.max_length"]
        assert rule.params["max"] == limit
        lengths = {}
        for edge in (False, True):
            values = [
                r.fields[field]
                for r in day(name, edge)
                if r.flaw is None and r.endpoint == endpoint and field in r.fields
            ]
            lengths[edge] = max(len(v) for v in values)
        assert limit - 3 <= lengths[True] <= limit, (field, lengths)
        assert lengths[False] <= 0.75 * limit, (field, lengths)


def _valid(name: str, edge: bool, field: str, endpoint: str | None = None) -> list[str]:
    return [
        r.fields[field]
        for r in day(name, edge)
        if r.flaw is None and field in r.fields and (endpoint is None or r.endpoint == endpoint)
    ]


def _rarer(name: str, field: str, values: set[str], endpoint: str | None = None) -> None:
    """``values`` are valid but rare: a normal day shows them seldom (a sample sees them,
    as customers do send them), an edge day often."""
    normal = _valid(name, False, field, endpoint)
    edge = _valid(name, True, field, endpoint)
    share = sum(v in values for v in normal) / len(normal)
    edge_share = sum(v in values for v in edge) / len(edge)
    assert 0 < share < 0.05 and edge_share > 5 * share, (field, share, edge_share)


def test_eurobank_edge_day_shows_new_valid_values():
    amounts = [
        Decimal(a)
        for a in _valid("eurobank", True, "instructedAmount.amount", "sepa_credit_transfer")
    ]
    assert Decimal("0.01") in amounts and Decimal("999999999.99") in amounts
    normal = [
        Decimal(a)
        for a in _valid("eurobank", False, "instructedAmount.amount", "sepa_credit_transfer")
    ]
    assert max(normal) < Decimal("99999999.99") and min(normal) >= 5
    _rarer("eurobank", "serviceLevel", {"SDVA"})
    _rarer("eurobank", "chargeBearer", {"CRED"}, "cross_border_payment")
    sepa = "sepa_credit_transfer"
    countries = [i[:2] for i in _valid("eurobank", True, "creditorAccount.iban", sepa)]
    normal_countries = [i[:2] for i in _valid("eurobank", False, "creditorAccount.iban", sepa)]
    assert {"NO", "MT"} <= set(countries)  # the shortest and longest IBANs
    rare = {"NO", "MT"}
    assert sum(c in rare for c in normal_countries) / len(normal_countries) < 0.05
    names = ("creditorName", "debtorName", "name")
    seen = {c for f in names for v in _valid("eurobank", False, f) for c in v}
    new_chars = {c for f in names for v in _valid("eurobank", True, f) for c in v} - seen
    assert set("0123456789+/?:(),") & new_chars and new_chars <= SWIFT_X


def test_zenginbank_edge_day_shows_new_valid_values():
    amounts = [int(a) for a in _valid("zenginbank", True, "amount")]
    assert 1 in amounts and 10_000_000 in amounts
    assert max(int(a) for a in _valid("zenginbank", False, "amount")) < 5_000_000
    assert set(_valid("zenginbank", True, "payee.accountType")) == {"1", "2", "4", "9"}
    _rarer("zenginbank", "payee.accountType", {"4", "9"})
    names = ("payee.accountName", "accountName", "remitterName", "payeeNameKana")
    rare = set("ｦ/2")
    shares = []
    for edge in (False, True):
        values = [v for f in names for v in _valid("zenginbank", edge, f)]
        assert {c for v in values for c in v} <= ZENGIN
        shares.append(sum(bool(rare & set(v)) for v in values) / len(values))
    assert 0 < shares[0] < 0.05 and shares[1] > 5 * shares[0], shares  # rare, not unseen
    kanji_new = {c for v in _valid("zenginbank", True, "payeeName") for c in v} - {
        c for v in _valid("zenginbank", False, "payeeName") for c in v
    }
    assert {"邊", "齋"} & kanji_new  # level-2 JIS kanji, valid and unseen on normal days


def test_zengin_kana_names_are_in_the_zengin_form():
    for req in day("zenginbank", False):
        if req.flaw is None:
            for field in ("payee.accountName", "accountName", "payeeNameKana"):
                value = req.fields.get(field)
                assert value is None or (set(value) <= ZENGIN and not re.search("[ｧ-ｯｰ]", value))
    verify = next(r for r in day("zenginbank", False) if r.endpoint == "account_verify")
    assert verify.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=Shift_JIS"
    assert b"%" in verify.body and verify.body.isascii()


def test_eurobank_answers_201_202_and_one_generic_400():
    bank = banks.load("eurobank")
    gw = Gateway(bank, "prod")
    replies = Counter()
    for req in day("eurobank", True)[:800]:
        reply = gw.handle(req.method, req.path, req.headers["Content-Type"], None, req.body)
        doc = json.loads(reply.body)
        assert reply.content_type == "application/json"
        if req.flaw is None:
            assert "code" not in json.dumps(doc)  # no business code on success
            assert uuid.UUID(doc.get("paymentId") or doc["beneficiaryId"]).version == 4
            expected = {
                "sepa_credit_transfer": (201, "RCVD"),
                "cross_border_payment": (202, "PDNG"),
            }
            status, state = expected.get(req.endpoint, (201, None))
            assert reply.status == status and doc.get("transactionStatus") == state
            if "createdAt" in doc:
                assert doc["createdAt"].endswith("+01:00")
        else:
            assert reply.status == 400
            assert doc == {"error": {"code": "FORMAT_ERROR", "message": "Invalid request"}}
        replies[reply.status] += 1
    assert set(replies) == {201, 202, 400}
    for method, path, body, status, code in (
        ("POST", "/v1/nothing", b"{}", 404, "NOT_FOUND"),
        ("GET", "/v1/beneficiaries", b"", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/v1/beneficiaries", b"{not json", 400, "FORMAT_ERROR"),
        ("POST", "/v1/beneficiaries", b"[]", 400, "FORMAT_ERROR"),
    ):
        reply = gw.handle(method, path, "application/json", None, body)
        assert reply.status == status and json.loads(reply.body)["error"]["code"] == code


def test_zenginbank_answers_200_ok_or_ng_in_japanese():
    bank = banks.load("zenginbank")
    gw = Gateway(bank, "prod")
    codes = Counter()
    for req in day("zenginbank", False)[:1500]:
        reply = gw.handle(req.method, req.path, req.headers["Content-Type"], None, req.body)
        doc = json.loads(reply.body)
        assert reply.status == 200
        if req.flaw is None:
            assert doc["result"] == "OK" and set(doc) == {"result", "data"}
            assert re.fullmatch(r"SN\d{20}", next(iter(doc["data"].values())))
        else:
            assert doc["result"] == "NG" and re.fullmatch(r"E\d{4}", doc["errorCode"])
            assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", doc["errorMessage"])
            codes[doc["errorCode"]] += 1
    assert codes["E9001"] and codes["E1203"] and len(codes) >= 6  # generic and specific codes
    generic = {r.id for r in bank.rules if r.answer.code == "E9001"}
    assert len(generic) >= 8
    missing = json.dumps({"requestId": "TR202611240000000001"}).encode()
    reply = gw.handle("POST", "/api/v1/transfers", "application/json", None, missing)
    assert json.loads(reply.body) == {
        "result": "NG",
        "errorCode": "E0001",
        "errorMessage": "振込指定日は必須項目です",
    }


@pytest.mark.parametrize("name", NEW)
def test_plans_describe_the_answers(name):
    """The gateway plan, written from the interface document, classifies the bank's answers
    as the bank means them."""
    plan = load_plan(ROOT / "replays" / f"{name}.yaml")
    assert plan.probe_targets == () and not plan.is_production(plan.targets["staging"])
    assert plan.upstream and plan.upstream.endswith(str(banks.load(name).roles["prod"]))
    classifier = Classifier(plan)
    gw = Gateway(banks.load(name), "prod")
    for req in day(name, False)[:600]:
        reply = gw.handle(req.method, req.path, req.headers["Content-Type"], None, req.body)
        body = codecs.decode(reply.body, reply.content_type)
        verdict = classifier.classify(reply.status, {"Content-Type": reply.content_type}, body)
        truth = reply.outcome
        assert verdict.outcome == ("accepted" if truth.accepted else "rejected")
        if not truth.accepted:
            assert (verdict.code, verdict.message) == (truth.answer.code, truth.answer.msg)


@pytest.mark.parametrize("name", NEW)
def test_ground_truth_for_a_sanitized_request(name):
    """decide() reads a request after the harness sanitized and re-encoded it, as a store
    gives it back: same endpoint, a real verdict (never 'malformed')."""
    plan = load_plan(ROOT / "replays" / f"{name}.yaml")
    sanitizer = Sanitizer(b"k" * 32, plan)
    for req in [r for r in day(name, False) if r.flaw is None][:300]:
        body = codecs.decode(req.body, req.headers["Content-Type"])
        tree, replaced = sanitizer.tree(body.tree)
        clean = codecs.encode(dataclasses.replace(body, tree=tree))
        assert clean != req.body or not replaced
        decision = decide(name, "prod", dataclasses.replace(req, body=clean))
        assert decision.reason in ("success", "rule") and decision.endpoint == req.endpoint
        if decision.reason == "rule":  # what the sanitizer changed, never a protocol field
            assert decision.field not in ("instructionId", "instructedAmount.amount", "amount")


def test_simbank_edge_day():
    """simbank has an edge day too: valid values at its GBK byte limits and amount bounds,
    with characters a normal day never shows; its flaws still break production rules."""
    bank = banks.load("simbank")
    reqs = {
        edge: banks.generate(bank, 3000, DAY, 5, edge=edge, flaw_rate=0.2) for edge in (False, True)
    }
    for req in reqs[True]:
        prod, staging = decide("simbank", "prod", req), decide("simbank", "staging", req)
        if req.flaw is None:
            assert prod.accepted and staging.accepted, (prod.rule, req.fields)
        else:
            assert not prod.accepted, req.flaw

    def values(edge: bool, field: str) -> list[str]:
        return [r.fields[field] for r in reqs[edge] if r.flaw is None and field in r.fields]

    for field, limit in (
        ("enterpriseName", 60),
        ("businessAddress", 100),
        ("remark", 60),
        ("Scope", 200),
    ):
        edge_max = max(len(v.encode("gbk")) for v in values(True, field))
        assert limit - 4 <= edge_max <= limit, field
        assert max(len(v.encode("gbk")) for v in values(False, field)) <= 0.75 * limit, field
    amounts = {Decimal(a) for a in values(True, "amount")}
    assert {Decimal("0.01"), Decimal("5000000.00")} <= amounts
    assert max(Decimal(a) for a in values(False, "amount")) < 4_000_000
    normal_chars = {c for v in values(False, "enterpriseName") for c in v}
    new_chars = {c for v in values(True, "enterpriseName") for c in v} - normal_chars
    assert set("0123456789") & new_chars and set("ＡＢＣＤＥＦＧＨＫＬＭＮＰＲＳＴＸ") & new_chars
    assert any(re.search("[A-Za-z]", v) for v in values(True, "remark"))  # allowed in a remark
    assert not any(re.search("[A-Za-z]", v) for v in values(False, "remark"))
    assert {v[:3] for v in values(True, "legalMobile")} - {
        v[:3] for v in values(False, "legalMobile")
    }
