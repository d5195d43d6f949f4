"""max_length: at most N characters; the limit comes from both sides of a bracket."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of, repair
from tests.kinds.helpers import stats_of

KIND = "max_length"
EXAMPLES = [({"max": 4}, "abcd", True), ({"max": 4}, "abcde", False), ({"max": 2}, "中国", True)]


def kind():
    return kind_of(RuleSpec("e", "f", KIND))


def test_no_candidate_without_a_rejected_value_beyond_the_accepted_ones():
    stats = stats_of(["a" * n for n in range(5, 15)])
    assert not list(kind().candidates(stats, "b" * 14))
    assert list(kind().candidates(stats, "b" * 15)) == [(("max_length",), 15)]


def test_the_limit_is_the_least_restrictive_the_bracket_allows():
    stats = stats_of(["a" * n for n in range(5, 15)])  # longest accepted: 14
    # A conventional limit inside the bracket: the largest (35 in [14, 39]).
    [(params, evidence)] = kind().build([(("max_length",), [40, 57])], stats)
    assert params == {"max": 35}
    assert evidence["bracket"] == {"accepted": 14, "rejected": 40}
    # None inside: just below the smallest rejected value.
    longer = stats_of(["a" * n for n in range(30, 42)])  # longest accepted: 41
    [(params, _)] = kind().build([(("max_length",), [45])], longer)
    assert params == {"max": 44}


def test_refine_widens_the_bracket_with_a_later_window():
    k = kind()
    params, evidence = k.refine(
        {"max": 35}, {"bracket": {"accepted": 14, "rejected": 40}},
        {"max": 50}, {"bracket": {"accepted": 37, "rejected": 60}},
    )  # fmt: skip
    assert evidence["bracket"] == {"accepted": 37, "rejected": 40}
    assert params == {"max": 39}


def test_repair_cuts():
    assert repair(RuleSpec("e", "f", KIND, {"max": 3}), "abcdef") == "abc"
