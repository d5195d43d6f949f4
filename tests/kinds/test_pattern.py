"""pattern: a regex the accepted values' shapes suggest, verified on every accepted value."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of
from tests.kinds.helpers import stats_of

KIND = "pattern"
EXAMPLES = [
    ({"regex": r"1[3-9][0-9]{9}"}, "13812345678", True),
    ({"regex": r"1[3-9][0-9]{9}"}, "12812345678", False),
    ({"regex": r"^[A-Z]{3}$"}, "EUR", True),
    ({"regex": r"^[A-Z]{3}$"}, "EURO", False),
]


def test_leading_digits_become_a_range_not_the_sample():
    mobiles = [f"1{d}{i:09d}" for d in "3589" for i in range(5)]
    stats = stats_of(mobiles)
    regexes = [r for r, _ in stats.patterns]
    assert r"^1[3-9]\d{9}$" in regexes
    kind = kind_of(RuleSpec("e", "f", KIND))
    assert ("pattern", r"^1[3-9]\d{9}$") in dict(kind.candidates(stats, "12812345678"))
    assert ("pattern", r"^1[3-9]\d{9}$") not in dict(kind.candidates(stats, "14812345678"))


def test_no_pattern_for_free_text():
    names = ["上海华瑞科技有限公司", "北京恒泰贸易有限公司", "深圳博新商贸有限公司"] * 5
    assert stats_of(names).patterns == ()


def test_three_capital_letters():
    stats = stats_of(["EUR", "USD", "GBP", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK"])
    kind = kind_of(RuleSpec("e", "f", KIND))
    assert ("pattern", r"^[A-Z]{3}$") in dict(kind.candidates(stats, "EURO"))
    assert ("pattern", r"^[A-Z]{3}$") in dict(kind.candidates(stats, "eur"))
