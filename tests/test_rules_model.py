"""harness.rules: the rule value, keys, and violations across a request's fields.

What each kind passes and fails is tested in tests/kinds/ (one module per kind) and
checked against the registry's contract in tests/test_rule_kinds.py.
"""

from __future__ import annotations

from harness.rules import RuleSpec, violations


def rule(kind: str, **params) -> RuleSpec:
    return RuleSpec("POST /v1/open", "enterpriseName", kind, params)


def test_key_identifies_a_rule_regardless_of_evidence() -> None:
    a = rule("max_length", max=4)
    assert a.key == a.but(support=9, state="confirmed").key
    assert a.key != rule("max_length", max=5).key


def test_violations_check_every_list_item_and_skip_retired() -> None:
    per_item = RuleSpec("POST /v1/pay", "items[].name", "forbidden_chars", {"chars": "()"})
    retired = per_item.but(field="memo", state="retired")
    required = RuleSpec("POST /v1/pay", "payer", "required")
    fields = {"items[0].name": "甲", "items[1].name": "乙(丙)", "memo": "(x)"}
    assert violations([per_item, retired, required], fields, "POST /v1/pay") == [per_item, required]
    assert violations([per_item], fields, "POST /v1/other") == []
