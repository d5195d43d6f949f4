"""no_surrounding_space: no leading or trailing whitespace."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of, repair
from tests.kinds.helpers import stats_of

KIND = "no_surrounding_space"
EXAMPLES = [({}, "货款", True), ({}, " 货款", False), ({}, "货款\u3000", False), ({}, "a b", True)]


def test_candidate_unless_accepted_values_carry_spaces():
    kind = kind_of(RuleSpec("e", "f", KIND))
    trimmed = stats_of(["货款", "服务费", "租金", "工资", "报销款"])
    spaced = stats_of(["货款 ", "服务费", "租金", "工资", "报销款"])
    assert list(kind.candidates(trimmed, " 货款"))
    assert not list(kind.candidates(spaced, " 货款"))


def test_repair_strips():
    assert repair(RuleSpec("e", "f", KIND), "\u3000货款 ") == "货款"
