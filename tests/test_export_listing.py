"""YAML rule list: stable order, review fields, round trip, validation of hand-edited files."""

from __future__ import annotations

import pytest
import yaml

from harness.errors import ConfigError
from harness.export import load_rules_yaml, to_yaml
from harness.rules import RuleSpec

E = "POST /openapi/v1/vaccount/open"
T = "POST /openapi/v1/transfer"

RULES = [
    RuleSpec(
        T,
        "amount",
        "decimal",
        {"scale": 2, "min": "0.01", "max": "5000000"},
        code="ED0301",
        message="金额格式错误",
        id=4,
    ),
    RuleSpec(
        E,
        "enterpriseName",
        "forbidden_chars",
        {"classes": ["ascii_upper", "ascii_lower"], "chars": "()"},
        code="ED0012",
        message="企业名称含有非法字符",
        state="confirmed",
        confidence=0.97,
        support=14,
        contradict=0,
        evidence={
            "support_ids": list(range(100, 130)),
            "first_seen": "2026-11-24T02:00:00+00:00",
            "last_seen": "2026-11-24T09:00:00+00:00",
            "days": {"2026-11-24": {"support": 14, "contradict": 0}},
        },
        id=1,
    ),
    RuleSpec(
        E,
        "businessAddress",
        "forbidden_chars",
        {"classes": ["ascii_upper", "ascii_lower"]},
        source="analogy",
        derived_from=1,
        id=2,
    ),
    RuleSpec(E, "legalMobile", "pattern", {"regex": r"1[3-9][0-9]{9}"}, code="000000", id=3),
    RuleSpec(E, "remark", "max_length", {"max": 5}, state="retired", id=5),
]


def test_rules_in_stable_order_with_review_fields():
    data = yaml.safe_load(to_yaml(reversed(RULES), plan_name="simbank"))
    assert data["format"] == 1 and data["plan"] == "simbank"
    keys = [(r["endpoint"], r["field"], r["kind"]) for r in data["rules"]]
    assert keys == sorted(keys) and len(keys) == 4  # retired left out
    name = next(r for r in data["rules"] if r["field"] == "enterpriseName")
    assert name["description"].startswith("must not contain")
    assert name["state"] == "confirmed" and name["source"] == "learned"
    assert (name["support"], name["contradict"], name["confidence"]) == (14, 0, 0.97)
    assert name["first_seen"] == "2026-11-24T02:00:00+00:00"
    assert name["evidence"]["support_ids"] == list(range(100, 120))  # sampled
    assert to_yaml(RULES) == to_yaml(list(reversed(RULES)))


def test_codes_stay_text():
    data = yaml.safe_load(to_yaml(RULES))
    assert next(r for r in data["rules"] if r["field"] == "legalMobile")["code"] == "000000"


def test_round_trip_keeps_what_the_mock_needs():
    back = {r.id: r for r in load_rules_yaml(to_yaml(RULES))}
    for rule in RULES[:4]:
        got = back[rule.id]
        assert (
            got.endpoint,
            got.field,
            got.kind,
            got.code,
            got.message,
            got.state,
            got.source,
        ) == (
            rule.endpoint,
            rule.field,
            rule.kind,
            rule.code,
            rule.message,
            rule.state,
            rule.source,
        )
        assert {k: v for k, v in got.params.items() if v} == {
            k: sorted(v) if isinstance(v, list) else v for k, v in rule.params.items() if v
        }
        assert got.key == RuleSpec(rule.endpoint, rule.field, rule.kind, got.params).key
    assert back[2].derived_from == 1
    assert back[1].evidence["first_seen"] == "2026-11-24T02:00:00+00:00"


def test_retired_rules_as_comments_never_load_back():
    text = to_yaml(RULES, include_retired=True)
    assert "# Retired rules" in text and "#   field: remark" in text
    assert 5 not in {r.id for r in load_rules_yaml(text)}


def test_a_hand_written_minimal_list_loads():
    rules = load_rules_yaml(
        "- {endpoint: POST /v1/pay, field: name, kind: forbidden_chars, params: {chars: '()'}}\n"
    )
    assert rules[0].source == "manual" and rules[0].state == "suspected"
    assert rules[0].params == {"classes": [], "chars": "()"}
    assert load_rules_yaml("") == []
    assert load_rules_yaml("rules: []") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [", "not valid YAML at line"),
        ("name: x", "no 'rules' list"),
        ("format: 9\nrules: []", "unsupported format 9"),
        ("rules: 3", "'rules' must be a list"),
        ("rules: [3]", "rule 1: must be a mapping"),
        ("rules: [{field: a, kind: required}]", "rule 1: needs 'endpoint'"),
        ("rules: [{endpoint: E, field: a, kind: nope}]", "unknown kind 'nope'"),
        ("rules: [{endpoint: E, field: 'a[', kind: required}]", "field is not a valid path: 'a['"),
        (
            "rules: [{endpoint: E, field: a, kind: max_length, params: {max: -1}}]",
            "max: must be a whole number",
        ),
        (
            "rules: [{endpoint: E, field: a, kind: max_length, params: {max: 3, min: 1}}]",
            "unknown param 'min'",
        ),
        (
            "rules: [{endpoint: E, field: a, kind: max_bytes, params: {max: 3, encoding: klingon}}]",
            "unknown encoding 'klingon'",
        ),
        (
            "rules: [{endpoint: E, field: a, kind: forbidden_chars, params: {classes: [latin]}}]",
            "unknown character class 'latin'",
        ),
        (
            "rules: [{endpoint: E, field: a, kind: forbidden_chars}]",
            "names no classes and no chars",
        ),
        (
            "rules: [{endpoint: E, field: a, kind: pattern, params: {regex: '('}}]",
            "regex does not compile",
        ),
        (
            "rules: [{endpoint: E, field: a, kind: enum, params: {values: []}}]",
            "values must be a non-empty list",
        ),
        (
            "rules: [{endpoint: E, field: a, kind: checksum, params: {algorithm: md5}}]",
            "unknown checksum algorithm 'md5'",
        ),
        (
            "rules: [{endpoint: E, field: a, kind: decimal, params: {min: lots}}]",
            "min must be a number",
        ),
        ("rules: [{endpoint: E, field: a, kind: required, state: maybe}]", "unknown state 'maybe'"),
        (
            "rules: [{endpoint: E, field: a, kind: required, source: guess}]",
            "unknown source 'guess'",
        ),
        ("rules: [{endpoint: E, field: a, kind: required, id: x}]", "id must be a whole number"),
        (
            "rules: [{endpoint: E, field: a, kind: required}, {endpoint: E, field: b, kind: required, support: -2}]",
            "rule 2: support",
        ),
    ],
)
def test_bad_files_give_one_line(text, message):
    with pytest.raises(ConfigError) as err:
        load_rules_yaml(text)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
