"""harness.rules.evolution: what saving a rule does, decided without a store."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.rules import RuleSpec
from harness.rules.evolution import fold

EP = "POST /v1/pay"
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def rule(params: dict, day: str, support: int, **kw) -> RuleSpec:
    evidence = {"days": {day: {"support": support, "contradict": 0}}, "confirm_at": 4}
    return RuleSpec(EP, "remark", "max_length", params, code="E1", support=support,
                    evidence={**evidence, **kw.pop("evidence", {})}, **kw)  # fmt: skip


def test_new_merged_and_refined() -> None:
    stored = rule({"max": 20}, "2026-11-24", 3, id=7)
    again = rule({"max": 20}, "2026-11-25", 2)
    wider = rule({"max": 40}, "2026-11-25", 2, replaces=stored.key)

    new = fold(again, None, None, NOW)
    assert (new.action, new.overwrites, new.spec.state) == ("new", None, "suspected")

    merged = fold(again, stored, None, NOW)
    assert (merged.action, merged.overwrites) == ("merged", stored.key)
    assert merged.spec.support == 5 and merged.spec.state == "confirmed"  # confirm_at 4
    assert merged.spec.id == 7

    refined = fold(wider, None, stored, NOW)
    assert (refined.action, refined.overwrites) == ("refined", stored.key)
    assert refined.spec.params == {"max": 40} and refined.spec.id == 7
    assert refined.spec.evidence["history"] == [{"params": {"max": 20}, "until": NOW.isoformat()}]
    assert refined.spec.replaces is None


def test_the_same_day_counts_once_and_a_manual_decision_stands() -> None:
    decided = {"manual": [{"state": "retired", "by": "ops", "at": "2026-11-24T09:00:00+00:00"}]}
    stored = rule({"max": 20}, "2026-11-24", 3, evidence=decided)
    change = fold(rule({"max": 20}, "2026-11-24", 3), stored, None, NOW)
    assert change.spec.support == 3  # learning one day twice counts it once
    assert change.spec.state == "retired"


def test_an_origin_becomes_provenance() -> None:
    origin = rule({"max": 20}, "2026-11-24", 3)
    carried = rule({"max": 20}, "2026-11-24", 0, source="analogy", origin=origin.key)
    change = fold(carried.but(field="payeeName"), None, None, NOW)
    assert change.origin == origin.key
    assert change.spec.evidence["derived_from_key"] == origin.key
    assert change.spec.origin is None
