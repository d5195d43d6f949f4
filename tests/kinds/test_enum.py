"""enum: one of a closed set; never from pseudonyms, free text or a sample that looks open."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of
from harness.rules.kinds.enum import closed, unseen_mass
from tests.kinds.helpers import stats_of

KIND = "enum"
EXAMPLES = [({"values": ["CNY"]}, "CNY", True), ({"values": ["CNY"]}, "USD", False)]


def kind():
    return kind_of(RuleSpec("e", "f", KIND))


def test_a_closed_set_gives_an_enum():
    stats = stats_of(["CNY"] * 300)
    assert closed(stats)
    assert list(kind().candidates(stats, "USD")) == [(("enum",), True)]
    [(params, _)] = kind().build([(("enum",), [True])], stats)
    assert params == {"values": ["CNY"]}


def test_values_seen_once_mean_the_set_is_open():
    values = ["SLEV"] * 300 + ["SHAR", "CRED"]  # two singletons: 1% unseen mass
    stats = stats_of(values)
    assert unseen_mass(stats) > 0.005
    assert not list(kind().candidates(stats, "DEBT"))


def test_too_few_occurrences_or_pseudonyms_or_free_text_give_none():
    assert not list(kind().candidates(stats_of(["CNY"] * 20), "USD"))
    assert not list(kind().candidates(stats_of(["张三"] * 300, sensitive=True), "李四"))
    assert not list(kind().candidates(stats_of(["货款"] * 300, free_text=True), "租金"))
