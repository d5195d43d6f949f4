"""harness.learn.probe: repairs, delta debugging and rule confirmation against a fake oracle.

The oracle is a pure function standing in for a validating bank; the HTTP side is tested
against a real server in tests/test_learn_sim.py.
"""

from __future__ import annotations

import pytest

from harness.checksums import is_luhn, luhn_check
from harness.learn.probe import FAIL, PASS, Outcome, confirm, ddmin, probe_rules, repair
from harness.rules import RuleSpec, check

EP = "POST /v1/account/open"
NAME_RULE = RuleSpec(
    EP,
    "enterpriseName",
    "forbidden_chars",
    {"classes": ["ascii_punct"], "chars": "()"},
    code="ED0012",
)


def rule(kind, params=None, field="f"):
    return RuleSpec(EP, field, kind, params or {})


@pytest.mark.parametrize(
    "spec, value, expected",
    [
        (NAME_RULE, "华瑞(上海)科技有限公司", "华瑞（上海）科技有限公司"),
        (
            rule("forbidden_chars", {"classes": ["ascii_upper", "ascii_lower"], "chars": ""}),
            "1号楼Room 12",
            "1号楼Ｒｏｏｍ 12",
        ),
        (rule("max_length", {"max": 4}), "上海宏鑫贸易", "上海宏鑫"),
        (rule("max_bytes", {"max": 5, "encoding": "gbk"}), "上海a宏鑫", "上海a"),
        (rule("no_surrounding_space"), " 货款\u3000", "货款"),
        (rule("decimal", {"scale": 2}), "12.345", "12.34"),
        (rule("decimal", {"max": "5000000"}), "8800000.00", "5000000"),
        (rule("enum", {"values": ["CNY"]}), "USD", "CNY"),
        (rule("encodable", {"encoding": "gb2312"}), "王喆", "王"),
    ],
)
def test_repair(spec, value, expected):
    fixed = repair(spec, value)
    assert fixed == expected
    assert check(spec, fixed)


def test_repair_check_characters():
    body = "622202000000001"
    bad = body + str((int(luhn_check(body)) + 1) % 10)
    fixed = repair(rule("checksum", {"algorithm": "luhn"}), bad)
    assert fixed is not None and is_luhn(fixed) and fixed[:-1] == body


def test_repair_falls_back_to_an_accepted_value():
    pattern = rule("pattern", {"regex": r"^1[3-9]\d{9}$"})
    assert repair(pattern, "12812345678") is None
    assert repair(pattern, "12812345678", fallback="13912345678") == "13912345678"
    assert repair(rule("required"), None, fallback="x1") == "x1"


def test_ddmin_finds_the_minimal_failing_pair():
    calls = []

    def test(subset):
        calls.append(subset)
        return FAIL if {"c", "f"} <= set(subset) else PASS

    assert sorted(ddmin(list("abcdefgh"), test)) == ["c", "f"]
    assert len(calls) < 40


def test_ddmin_single_cause_and_unresolved():
    def test(subset):
        if "e" in subset:
            return FAIL
        return "unresolved" if len(subset) == 3 else PASS

    assert ddmin(list("abcdefg"), test) == ["e"]


def bank(base_id, fields):
    """A fake validating gateway: half-width parentheses in the name are refused."""
    name = fields.get("enterpriseName") or ""
    if "(" in name or ")" in name:
        return Outcome("rejected", "ED0012", "企业名称含有非法字符")
    if not fields.get("creditCode"):
        return Outcome("rejected", "ED0001", "统一社会信用代码不能为空")
    return Outcome("accepted", "000000", "成功")


REJECTED = (
    11,
    {
        "enterpriseName": "华瑞(上海)科技有限公司",
        "creditCode": "91310115X",
        "businessAddress": "上海市人民路1号",
        "mobile": "13812345678",
    },
)
SIBLING = (
    12,
    {
        "enterpriseName": "恒泰（北京）贸易有限公司",
        "creditCode": "91110105Y",
        "businessAddress": "北京市建国路9号",
        "mobile": "15912345678",
    },
)


def test_confirm_repairs_and_isolates_the_field():
    sent = []

    def send(base, fields):
        sent.append(base)
        return bank(base, fields)

    report = confirm(NAME_RULE, REJECTED, send, sibling=SIBLING)
    assert report.confirmed is True
    assert report.minimal == ["enterpriseName"]
    assert report.spent == len(sent) and 3 <= report.spent <= 12
    assert report.as_evidence()["sibling_id"] == 12


def test_confirm_refutes_a_rule_on_the_wrong_field():
    wrong = RuleSpec(
        EP,
        "businessAddress",
        "forbidden_chars",
        {"classes": ["ascii_digit"], "chars": ""},
        code="ED0012",
    )
    report = confirm(wrong, REJECTED, bank, sibling=SIBLING)
    assert report.confirmed is False
    assert report.minimal is None


def test_a_repair_that_meets_the_next_rule_still_confirms():
    def strict(base, fields):
        answer = bank(base, fields)
        if answer.outcome == "accepted" and "号" in fields["businessAddress"]:
            return Outcome("rejected", "ED0041", "经营地址格式不正确")
        return answer

    report = confirm(NAME_RULE, REJECTED, strict, sibling=SIBLING)
    assert report.confirmed is True
    assert "another code" in report.notes[0]


def test_confirm_is_inconclusive_when_the_target_accepts_everything():
    report = confirm(NAME_RULE, REJECTED, lambda b, f: Outcome("accepted"), sibling=SIBLING)
    assert report.confirmed is None and report.spent == 1
    assert "does not reject" in report.notes[0]


def test_budget_is_respected():
    report = confirm(NAME_RULE, REJECTED, bank, sibling=SIBLING, limit=2)
    assert report.spent == 2 and report.confirmed is True and report.minimal is None
    assert "probe budget spent" in report.notes


def test_probe_rules_confirms_and_records_probes():
    rows = [
        {"id": 11, "endpoint": EP, "outcome": "rejected", "request_fields": REJECTED[1]},
        {"id": 12, "endpoint": EP, "outcome": "accepted", "request_fields": SIBLING[1]},
    ]
    spec = NAME_RULE.but(support=2, evidence={"support_ids": [11]})
    untouched = RuleSpec(EP, "x", "required", source="analogy")
    (probed, other) = probe_rules([spec, untouched], rows, bank)
    assert probed.state == "confirmed" and probed.confidence >= 0.99
    assert probed.evidence["probe"]["confirmed"] is True
    assert probed.evidence["probe"]["spent"] >= 3
    assert other is untouched


def test_a_target_that_does_not_answer_stops_probing():
    calls = []

    def down(base, fields):
        calls.append(base)
        return Outcome("upstream_error")

    rows = [
        {"id": 11, "endpoint": EP, "outcome": "rejected", "request_fields": REJECTED[1]},
        {"id": 12, "endpoint": EP, "outcome": "accepted", "request_fields": SIBLING[1]},
    ]
    specs = [NAME_RULE.but(field=f"f{i}", evidence={"support_ids": [11]}) for i in range(6)]
    out = probe_rules(specs, rows, down)
    assert out == specs  # no probe evidence, states unchanged
    assert len(calls) == 3  # one control probe per rule, then it gives up
