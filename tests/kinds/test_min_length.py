"""min_length: at least N characters (an empty value is required's business)."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of
from tests.kinds.helpers import stats_of

KIND = "min_length"
EXAMPLES = [({"min": 3}, "abc", True), ({"min": 3}, "ab", False), ({"min": 3}, "", True)]


def test_candidate_and_limit_just_above_the_largest_rejected():
    kind = kind_of(RuleSpec("e", "f", KIND))
    stats = stats_of(["a" * n for n in range(8, 16)])
    assert list(kind.candidates(stats, "abcde")) == [(("min_length",), 5)]
    [(params, evidence)] = kind.build([(("min_length",), [5, 3])], stats)
    assert params == {"min": 6}
    assert evidence["bracket"] == {"accepted": 8, "rejected": 5}
