"""The traffic generator: deterministic under a seed, realistic, breaking rules at the intended rate."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime

import pytest

from harness.errors import ConfigError
from harness.sim import signature
from harness.sim.traffic import FLAWS, TIME_HEADER, expected_outcome, generate
from harness.timeutil import parse_day
from tests.support.sim import DAY

MANY = generate(3000, DAY, 7)


def test_same_seed_same_requests():
    again = generate(3000, DAY, 7)
    assert [(r.path, r.headers, r.body, r.sim_time) for r in again] == [
        (r.path, r.headers, r.body, r.sim_time) for r in MANY
    ]
    other = generate(300, DAY, 8)
    assert [r.body for r in other] != [r.body for r in MANY[:300]]


def test_global_random_is_untouched():
    random.seed(99)
    expected = random.random()
    random.seed(99)
    generate(50, DAY, 1)
    assert random.random() == expected


def test_times_spread_over_the_day():
    start, end = parse_day(DAY)
    times = [r.sim_time for r in MANY]
    assert times == sorted(times)
    assert all(t.tzinfo is not None and t.utcoffset().total_seconds() == 0 for t in times)
    assert start <= times[0] and times[-1] < end
    assert all(datetime.fromisoformat(r.headers[TIME_HEADER]) == r.sim_time for r in MANY)
    hours = Counter(t.hour for t in times)
    assert len(hours) >= 20  # around the clock
    # busiest at the bank's office hours (China Standard Time, UTC+8): 01:00-09:00 UTC
    assert sum(hours[h] for h in range(1, 10)) > len(times) / 2


def test_the_day_follows_harness_tz(monkeypatch):
    monkeypatch.setenv("HARNESS_TZ", "Asia/Shanghai")
    reqs = generate(200, DAY, 3)
    start, end = parse_day(DAY)
    assert start == datetime(2026, 11, 23, 16, tzinfo=UTC)
    assert all(start <= r.sim_time < end for r in reqs)


def test_endpoint_mix():
    mix = Counter(r.endpoint for r in MANY)
    assert 0.44 < mix["vaccount_open"] / len(MANY) < 0.56
    assert 0.29 < mix["transfer"] / len(MANY) < 0.41
    assert 0.10 < mix["enterprise_update"] / len(MANY) < 0.20


def test_bodies_and_signatures():
    key = signature.resolve_key(None)
    for r in MANY[:300]:
        assert r.method == "POST"
        assert signature.verify(key, r.body, r.headers[signature.HEADER])
        if r.endpoint == "enterprise_update":
            assert r.headers["Content-Type"] == "application/xml; charset=GBK"
            text = r.body.decode("gbk")
            assert text.startswith(
                '<?xml version="1.0" encoding="GBK"?><Request><Head><TxCode>ENT_UPDATE</TxCode>'
            )
            assert r.path == f"/openapi/v1/enterprise/{r.fields['merchantNo']}/update"
        else:
            assert r.headers["Content-Type"].startswith("application/json")
            doc = json.loads(r.body.decode("utf-8"))
            assert set(doc) >= {"merchantNo", "requestId", "timestamp"}


def test_key_from_argument_or_environment(monkeypatch):
    signed = generate(5, DAY, 1, key="abc")
    assert all(signature.verify("abc", r.body, r.headers[signature.HEADER]) for r in signed)
    monkeypatch.setenv(signature.KEY_ENV, "from-env")
    assert all(
        signature.verify("from-env", r.body, r.headers[signature.HEADER])
        for r in generate(5, DAY, 1)
    )


def test_rule_breaks_at_the_intended_rate_and_mostly_production_only():
    prod = [expected_outcome(r, "prod") for r in MANY]
    staging = [expected_outcome(r, "staging") for r in MANY]
    rejected = sum(not o.accepted for o in prod)
    assert 0.03 <= rejected / len(MANY) <= 0.08
    # the generator's intent and the bank's verdict agree, request by request
    assert [r.flaw is not None for r in MANY] == [not o.accepted for o in prod]
    staging_rejected = sum(not o.accepted for o in staging)
    assert 0 < staging_rejected < rejected / 4
    assert all(p.rule == s.rule for p, s in zip(prod, staging, strict=True) if not s.accepted)
    codes = Counter(o.answer.code for o in prod if not o.accepted)
    assert codes.most_common(1)[0][0] == "ED0012"  # the story: half-width parentheses in names


def test_every_flaw_breaks_the_rule_it_names():
    reqs = generate(1500, DAY, 2, flaw_rate=1.0)
    seen = Counter(r.flaw for r in reqs)
    assert set(seen) == {f for flaws in FLAWS.values() for f in flaws}
    for r in reqs:
        outcome = expected_outcome(r, "prod")
        field = r.flaw.split(".")[0]
        assert not outcome.accepted
        assert outcome.rule.split(".")[-2] == field, (r.flaw, outcome.rule)


def test_story_values():
    names = [r.fields["enterpriseName"] for r in MANY if r.endpoint == "vaccount_open"]
    assert sum("（" in n for n in names) > len(names) / 3
    halfwidth = [r for r in MANY if r.flaw == "enterpriseName.halfwidth_parens"]
    assert halfwidth and all("(" in r.fields["enterpriseName"] for r in halfwidth)
    assert all(r.fields["accountName"] == r.fields["enterpriseName"] for r in halfwidth)
    addresses = [
        r.fields["businessAddress"] for r in MANY if r.flaw == "businessAddress.ascii_letters"
    ]
    assert addresses and all(any(c.isascii() and c.isalpha() for c in a) for a in addresses)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": -1}, "count"),
        ({"count": 5, "flaw_rate": 2.0}, "flaw rate"),
        ({"count": 5, "day": "24/11/2026"}, "not a day"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        generate(**kwargs)


def test_unknown_endpoint_in_mix():
    with pytest.raises(ConfigError, match="unknown endpoint"):
        generate(5, DAY, mix=(("refund", 1),))


def test_expected_outcome_for_any_request():
    from harness.sim.traffic import expected_outcome_for

    r = next(q for q in MANY if q.endpoint == "vaccount_open" and q.flaw is None)
    name = r.fields["enterpriseName"]
    body = r.body.replace(name.encode(), "恒泰(上海)贸易有限公司".encode())
    ctype = r.headers["Content-Type"]
    assert expected_outcome_for("POST", r.path, ctype, r.body, "prod").accepted
    assert expected_outcome_for("POST", r.path, ctype, body, "prod").answer.code == "ED0012"
    assert expected_outcome_for("POST", r.path, ctype, body, "staging").accepted
