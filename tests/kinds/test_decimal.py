"""decimal: plain decimal numbers; scale, sign, leading and trailing zeros, round limits."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of, repair
from tests.kinds.helpers import stats_of

KIND = "decimal"
LIMITS = {"scale": 2, "min": "0.01", "max": "5000000"}
EXAMPLES = [
    (LIMITS, "1234.50", True),
    (LIMITS, "1234.505", False),
    (LIMITS, "0.00", False),
    (LIMITS, "5000000.01", False),
    ({"scale": 2}, "1e3", False),
    ({"scale": 2}, "１２", False),
    ({"scale": 2, "min_scale": 2}, "12.5", False),
    ({"scale": 2, "min_scale": 2}, "12.50", True),
    ({"plus": False}, "+12", False),
    ({"leading_zeros": False}, "012.5", False),
    ({"leading_zeros": False}, "0.5", True),
    ({"trailing_zeros": False}, "12.50", False),
]
AMOUNTS = ["12.50", "1300.00", "99.99", "4500.10", "7.25", "250000.00", "18.40", "3.05"]


def kind():
    return kind_of(RuleSpec("e", "f", KIND))


def test_candidates():
    stats = stats_of(AMOUNTS)
    assert stats.numbers is not None
    found = dict(kind().candidates(stats, "12.505"))
    assert ("decimal", "scale") in found
    assert ("decimal", "min_scale") in dict(kind().candidates(stats, "12.5"))
    assert ("decimal", "plain") in dict(kind().candidates(stats, "12,50"))
    assert ("decimal", "max") in dict(kind().candidates(stats, "6000000.00"))
    assert ("decimal", "plus") in dict(kind().candidates(stats, "+12.00"))


def test_identifiers_made_of_digits_are_not_amounts():
    assert stats_of(["13812345678", "13912345678", "15012345678"] * 3).numbers is None


def test_round_limits_inside_the_bracket():
    stats = stats_of(AMOUNTS)
    [(params, evidence)] = kind().build(
        [(("decimal", "max"), [__import__("decimal").Decimal("6123456.00")])], stats
    )
    assert params == {"max": "6000000.00"}
    assert evidence["bracket"]["max"] == {"accepted": "250000.00", "rejected": "6123456.00"}


def test_repair():
    assert repair(RuleSpec("e", "f", KIND, LIMITS), "1234.567") == "1234.56"
