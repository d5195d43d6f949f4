"""required: present and not empty."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of
from tests.kinds.helpers import stats_of

KIND = "required"
EXAMPLES = [({}, "x", True), ({}, "  ", False), ({}, None, False), ({}, "", False)]


def test_candidate_only_when_every_accepted_row_has_it():
    kind = kind_of(RuleSpec("e", "f", KIND))
    always = stats_of(["a", "b", "c", "d", "e"])
    sometimes = stats_of(["a", "b", "c", "d", ""], rows=5)
    assert list(kind.candidates(always, None)) == [(("required",), True)]
    assert list(kind.candidates(always, " ")) == [(("required",), True)]
    assert list(kind.candidates(always, "x")) == []
    assert list(kind.candidates(sometimes, None)) == []
