"""harness.rules: every kind of rule passes and fails what it should."""

from __future__ import annotations

import pytest

from harness.rules import KINDS, RuleSpec, check, describe, offending, violations


def rule(kind: str, **params) -> RuleSpec:
    return RuleSpec("POST /v1/open", "enterpriseName", kind, params)


CASES = [
    # (rule, value, passes)
    (rule("forbidden_chars", chars="()"), "某某（中国）有限公司", True),
    (rule("forbidden_chars", chars="()"), "某某(中国)有限公司", False),
    (rule("forbidden_chars", classes=["ascii_upper", "ascii_lower"]), "B1栋", False),
    (rule("forbidden_chars", classes=["ascii_upper", "ascii_lower"]), "1栋1203室", True),
    (rule("allowed_chars", classes=["ascii_digit"]), "12345", True),
    (rule("allowed_chars", classes=["ascii_digit"]), "12a45", False),
    (rule("allowed_chars", classes=["ascii_digit"]), "１２", False),  # full-width digits
    (rule("max_length", max=4), "abcd", True),
    (rule("max_length", max=4), "abcde", False),
    (rule("max_bytes", max=4, encoding="gbk"), "中国", True),
    (rule("max_bytes", max=4, encoding="gbk"), "中国a", False),
    (
        rule("max_bytes", max=4, encoding="gbk"),
        "😀",
        False,
    ),  # not encodable: too long by definition
    (rule("encodable", encoding="gb2312"), "王小明", True),
    (rule("encodable", encoding="gb2312"), "王䶮", False),
    (rule("pattern", regex=r"1[3-9][0-9]{9}"), "13812345678", True),
    (rule("pattern", regex=r"1[3-9][0-9]{9}"), "12812345678", False),
    (rule("required"), "x", True),
    (rule("required"), "  ", False),
    (rule("required"), None, False),
    (rule("enum", values=["CNY"]), "CNY", True),
    (rule("enum", values=["CNY"]), "USD", False),
    (rule("checksum", algorithm="luhn"), "4111111111111111", True),
    (rule("checksum", algorithm="luhn"), "4111111111111112", False),
    (rule("checksum", algorithm="gb11643"), "11010519491231002X", True),
    (rule("checksum", algorithm="gb11643"), "110105194912310021", False),
    (rule("decimal", scale=2, min="0.01", max="5000000"), "1234.50", True),
    (rule("decimal", scale=2, min="0.01", max="5000000"), "1234.505", False),
    (rule("decimal", scale=2, min="0.01", max="5000000"), "0.00", False),
    (rule("decimal", scale=2, min="0.01", max="5000000"), "5000000.01", False),
    (rule("decimal", scale=2), "1e3", False),
    (rule("decimal", scale=2), "１２", False),
    (rule("no_surrounding_space"), "货款", True),
    (rule("no_surrounding_space"), " 货款", False),
    (rule("no_surrounding_space"), "货款\u3000", False),
]


@pytest.mark.parametrize(("spec", "value", "passes"), CASES)
def test_check(spec: RuleSpec, value: str | None, passes: bool) -> None:
    assert check(spec, value) is passes


def test_every_kind_is_covered_and_described() -> None:
    assert {spec.kind for spec, _, _ in CASES} == set(KINDS)
    for spec, _, _ in CASES:
        assert describe(spec) and describe(spec) != spec.kind


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "required"])
def test_absent_values_pass_all_but_required(kind: str) -> None:
    spec = next(s for s, _, _ in CASES if s.kind == kind)
    assert check(spec, None)


def test_offending_names_the_characters() -> None:
    spec = rule("forbidden_chars", chars="()", classes=["ascii_upper"])
    assert offending(spec, "某(某)A公司") == ["(", ")", "A"]
    assert offending(rule("encodable", encoding="gb2312"), "王䶮") == ["䶮"]


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
