"""json_type: a JSON number where a string is expected (and the reverse)."""

from __future__ import annotations

from harness.codecs import JsonNumber, decode
from harness.codecs.fields import flatten
from harness.rules import RuleSpec, check, kind_of
from tests.kinds.helpers import stats_of

KIND = "json_type"
EXAMPLES = [
    ({"type": "string"}, "12.50", True),
    ({"type": "string"}, JsonNumber("12.50"), False),
    ({"type": "number"}, JsonNumber("12.50"), True),
    ({"type": "number"}, "12.50", False),
]


def test_the_decoded_body_keeps_the_type():
    rule = RuleSpec("e", "amount", KIND, {"type": "string"})
    tree = decode(b'{"amount": 12.50, "name": "12.50"}', "application/json").tree
    flat = flatten(tree)
    assert not check(rule, flat["amount"]) and check(rule, flat["name"])


def test_candidate_when_every_accepted_value_has_the_other_type():
    kind = kind_of(RuleSpec("e", "f", KIND))
    stats = stats_of(["12.50", "3.00", "7.25", "100.00", "9.99"])
    stats.types = frozenset({"string"})
    assert list(kind.candidates(stats, JsonNumber("12.50"))) == [(("json_type", "string"), True)]
    assert not list(kind.candidates(stats, "12.50"))
    stats.types = frozenset({"string", "number"})
    assert not list(kind.candidates(stats, JsonNumber("12.50")))
