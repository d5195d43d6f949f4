"""harness.store.rules: upsert by key, load, get, manual state changes (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harness.errors import ConfigError, NotFoundError
from harness.rules import RuleSpec
from harness.rules.evolution import merge
from harness.rules.policy import DEFAULT_CONFIRM
from harness.store.rules import (
    get_rule,
    load_rules,
    save_rules,
    set_state,
    storage_key,
)

EP = "POST /openapi/v1/enterprise/open"


def _rule(
    field: str = "enterpriseName",
    day: str = "2026-11-24",
    support: int = 3,
    contradict: int = 0,
    **kw,
):
    evidence = {
        "days": {day: {"support": support, "contradict": contradict}},
        "support_ids": list(range(support)),
        "first_seen": f"{day}T08:00:00+00:00",
        "last_seen": f"{day}T18:00:00+00:00",
    }
    evidence.update(kw.pop("evidence", {}))
    return RuleSpec(
        endpoint=kw.pop("endpoint", EP),
        field=field,
        kind=kw.pop("kind", "forbidden_chars"),
        params=kw.pop("params", {"classes": ["ascii_punct"], "chars": "()"}),
        code="ED0012",
        message="企业名称含有非法字符",
        support=support,
        contradict=contradict,
        confidence=0.5,
        evidence=evidence,
        **kw,
    )


def test_save_assigns_ids_and_round_trips(store):
    with store.begin() as s:
        saved = save_rules(s, [_rule(), _rule("businessAddress")])
    assert [r.field for r in saved] == ["enterpriseName", "businessAddress"]
    assert all(r.id for r in saved)
    with store.begin() as s:
        again = get_rule(s, saved[0].id)
    assert again.params == {"classes": ["ascii_punct"], "chars": "()"}
    assert again.code == "ED0012" and again.message == "企业名称含有非法字符"
    assert again.key == _rule().key
    assert datetime.fromisoformat(again.evidence["first_seen"]) == datetime(
        2026, 11, 24, 8, tzinfo=UTC
    )


def test_same_day_twice_is_counted_once_and_not_duplicated(store):
    with store.begin() as s:
        first = save_rules(s, [_rule(support=4)])[0]
    with store.begin() as s:
        second = save_rules(s, [_rule(support=4)])[0]
        assert len(load_rules(s, include_retired=True)) == 1
    assert second.id == first.id
    assert second.support == 4


def test_new_day_adds_evidence_and_confirms(store):
    with store.begin() as s:
        save_rules(s, [_rule(day="2026-11-24", support=DEFAULT_CONFIRM - 3)])
    with store.begin() as s:
        merged = save_rules(s, [_rule(day="2026-11-25", support=3)])[0]
    assert merged.support == DEFAULT_CONFIRM
    assert merged.state == "confirmed"
    assert set(merged.evidence["days"]) == {"2026-11-24", "2026-11-25"}
    assert merged.evidence["first_seen"].startswith("2026-11-24")
    assert merged.evidence["last_seen"].startswith("2026-11-25")


def test_contradiction_on_a_later_day_retires(store):
    with store.begin() as s:
        save_rules(s, [_rule(support=DEFAULT_CONFIRM)])
    with store.begin() as s:
        retired = save_rules(s, [_rule(day="2026-11-25", support=0, contradict=1)])[0]
        assert retired.state == "retired"
        assert load_rules(s) == []
        assert [r.id for r in load_rules(s, state="retired")] == [retired.id]
        assert len(load_rules(s, include_retired=True)) == 1


def test_manual_decision_is_recorded_and_survives_learning(store):
    with store.begin() as s:
        rule = save_rules(s, [_rule(support=1)])[0]
    with store.begin() as s:
        confirmed = set_state(s, rule.id, "confirmed", by="alice")
    assert confirmed.state == "confirmed" and confirmed.source == "learned"
    assert confirmed.evidence["manual"][-1]["by"] == "alice"
    with store.begin() as s:
        relearned = save_rules(s, [_rule(day="2026-11-25", support=1)])[0]
    assert relearned.state == "confirmed"
    assert relearned.evidence["manual"][0]["state"] == "confirmed"


def test_analogy_origin_resolved_by_key(store):
    origin = _rule()
    carried = _rule(
        "businessAddress",
        source="analogy",
        support=0,
        evidence={"prior": 0.3},
        origin=origin.key,
    )
    with store.begin() as s:
        saved = save_rules(s, [carried, origin])
    assert saved[0].derived_from == saved[1].id
    assert saved[0].source == "analogy"
    assert saved[0].evidence["derived_from_key"] == origin.key  # the provenance exports show
    assert saved[0].origin is None  # an instruction for saving, not stored


def test_learned_wins_over_analogy_for_the_same_key(store):
    with store.begin() as s:
        save_rules(s, [_rule(source="analogy")])
    with store.begin() as s:
        saved = save_rules(s, [_rule()])[0]
    assert saved.source == "learned"


def test_filters(store):
    with store.begin() as s:
        save_rules(s, [_rule(), _rule("remark", endpoint="POST /openapi/v1/transfer")])
        assert [r.field for r in load_rules(s, endpoint="POST /openapi/v1/transfer")] == ["remark"]
        assert [r.field for r in load_rules(s, field="enterpriseName")] == ["enterpriseName"]
        assert load_rules(s, source="analogy") == []
        with pytest.raises(ConfigError):
            load_rules(s, state="maybe")


def test_unknown_id_and_state(store):
    with store.begin() as s:
        rule = save_rules(s, [_rule()])[0]
        with pytest.raises(NotFoundError):
            get_rule(s, rule.id + 1000)
        with pytest.raises(NotFoundError):
            set_state(s, rule.id + 1000, "retired")
        with pytest.raises(ConfigError):
            set_state(s, rule.id, "dead")


def test_long_keys_fit_the_column(store):
    values = [f"VALUE_{i:04d}_" + "x" * 30 for i in range(20)]
    rule = _rule("currency", kind="enum", params={"values": values})
    assert len(rule.key) > 512 and len(storage_key(rule.key)) == 512
    with store.begin() as s:
        first = save_rules(s, [rule])[0]
        second = save_rules(s, [rule])[0]
    assert first.id == second.id and first.params["values"] == values


def test_merge_without_days_takes_the_new_counts():
    old = RuleSpec(EP, "f", "required", support=2)
    new = RuleSpec(EP, "f", "required", support=5, evidence={"names_field": True})
    merged = merge(old, new)
    assert merged.support == 5 and merged.state == "suspected" and merged.confidence > 0.5


def test_learning_two_days_updates_the_same_rules(store):
    """Day 2 adds evidence to day 1's rules (same ids), and contradictions retire them."""
    from harness.learn import learn
    from harness.plan import Plan
    from tests.learn_rows import LABELS, OPEN, Maker, day_rows, open_fields, row

    plan = Plan(labels=LABELS)
    day1 = day_rows(day="2026-11-24", seed=1)
    with store.begin() as s:
        first = save_rules(s, learn(day1, plan=plan).rules)
    day2 = day_rows(day="2026-11-25", seed=2, start=10_000)
    m = Maker(3)
    for i in range(5):  # production now accepts half-width parentheses in account names
        f = open_fields(m)
        f["accountName"] = "华瑞(上海)科技有限公司"
        day2.append(row(20_000 + i, OPEN, f, day="2026-11-25"))
    with store.begin() as s:
        known = load_rules(s, include_retired=True)
        second = save_rules(s, learn(day2, plan=plan, existing=known).rules)
        after = {r.id: r for r in load_rules(s, include_retired=True)}
    ids1 = {r.id for r in first}
    name1 = next(r for r in first if r.field == "enterpriseName" and r.source == "learned")
    name = after[name1.id]
    assert set(name.evidence["days"]) == {"2026-11-24", "2026-11-25"}
    assert name.support == sum(d["support"] for d in name.evidence["days"].values()) > name1.support
    assert name.key == name1.key and name.state == "confirmed"
    carried = next(r for r in first if r.field == "accountName" and r.source == "analogy")
    assert after[carried.id].state == "retired" and after[carried.id].contradict >= 5
    assert {r.id for r in second} & ids1
    keys = [r.key for r in after.values()]
    assert len(keys) == len(set(keys))


def test_a_refinement_updates_the_stored_rule_in_place(store):
    """A rule that replaces a stored one (a moved bound) keeps its id and its evidence,
    takes the new parameters, and records the old ones in its history."""
    old = _rule(kind="max_length", params={"max": 20}, support=4)
    with store.begin() as s:
        (stored,) = save_rules(s, [old])
    wider = _rule(kind="max_length", params={"max": 40}, day="2026-11-25", support=2)
    with store.begin() as s:
        (refined,) = save_rules(s, [wider.but(replaces=old.key)])
        rules = load_rules(s)
    assert refined.id == stored.id and refined.params == {"max": 40}
    assert refined.support == 6 and refined.replaces is None
    assert refined.evidence["history"][0]["params"] == {"max": 20}
    assert [r.key for r in rules] == [wider.key]  # one rule, not two
