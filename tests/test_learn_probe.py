"""harness.learn.probe: repairs, delta debugging and rule confirmation against a fake oracle.

The oracle is a pure function standing in for a validating bank; the HTTP side is tested
against a real server in tests/test_learn_sim.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from harness.learn.bounds import bisect, cut_to, refined, search_bound
from harness.learn.probe import FAIL, PASS, confirm, ddmin, probe_rules, repair
from harness.outcome.classify import Classified
from harness.rules import RuleSpec, check
from harness.text.checksums import is_luhn, luhn_check

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
        (rule("allowed_chars", {"set": "gb2312"}), "王喆", "王"),
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
        return Classified("rejected", "ED0012", "企业名称含有非法字符")
    if not fields.get("creditCode"):
        return Classified("rejected", "ED0001", "统一社会信用代码不能为空")
    return Classified("accepted", "000000", "成功")


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
            return Classified("rejected", "ED0041", "经营地址格式不正确")
        return answer

    report = confirm(NAME_RULE, REJECTED, strict, sibling=SIBLING)
    assert report.confirmed is True
    assert "another code" in report.notes[0]


def test_confirm_is_inconclusive_when_the_target_accepts_everything():
    report = confirm(NAME_RULE, REJECTED, lambda b, f: Classified("accepted"), sibling=SIBLING)
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
        return Classified("upstream_error")

    rows = [
        {"id": 11, "endpoint": EP, "outcome": "rejected", "request_fields": REJECTED[1]},
        {"id": 12, "endpoint": EP, "outcome": "accepted", "request_fields": SIBLING[1]},
    ]
    specs = [NAME_RULE.but(field=f"f{i}", evidence={"support_ids": [11]}) for i in range(6)]
    out = probe_rules(specs, rows, down)
    assert out == specs  # no probe evidence, states unchanged
    assert len(calls) == 3  # one control probe per rule, then it gives up


# -- narrowing a bound -------------------------------------------------------------------

TRANSFER = "POST /v1/transfer"
REMARK = "货款2024年第3批次结算款项含运费及保险费用明细另附合同编号见附件请查收核对后回复谢谢"
REMARK_RULE = RuleSpec(
    TRANSFER,
    "remark",
    "max_bytes",
    {"max": 64, "encoding": "gbk"},  # the conventional limit inside the traffic bracket
    code="ED0075",
    evidence={"bracket": {"accepted": 11, "rejected": 66}},
)
AMOUNT_RULE = RuleSpec(
    TRANSFER,
    "amount",
    "decimal",
    {"max": "5000000.00", "min": "0.01"},
    code="ED0072",
    evidence={
        "bracket": {
            "min": {"accepted": "51.20", "rejected": "0.00"},
            "max": {"accepted": "2995466.70", "rejected": "5000000.01"},
        }
    },
)
TRANSFER_FIELDS = {"payeeName": "上海宏鑫贸易有限公司", "amount": "120.00", "remark": REMARK}


def transfer_bank(base_id, fields, *, remark_limit=60):
    """A fake validating gateway: remark at most ``remark_limit`` GBK bytes, amounts in
    0.01..5000000.00."""
    if len((fields.get("remark") or "").encode("gbk")) > remark_limit:
        return Classified("rejected", "ED0075", "附言长度超限")
    amount = Decimal(fields["amount"])
    if not Decimal("0.01") <= amount <= Decimal("5000000.00"):
        return Classified("rejected", "ED0072", "金额超出限额")
    return Classified("accepted", "000000", "成功")


def oracle(send, base_id=1):
    """``probe(fields)`` for search_bound over a fake bank, recording what was sent."""
    sent = []

    def probe(fields):
        sent.append(dict(fields))
        answer = send(base_id, fields)
        if answer.outcome == "accepted":
            return PASS
        return (
            FAIL
            if answer.outcome == "rejected" and answer.code in ("ED0075", "ED0072")
            else "unresolved"
        )

    return probe, sent


def is_subsequence(small, big):
    it = iter(big)
    return all(ch in it for ch in small)


@pytest.mark.parametrize(
    "value, size, unit, expected",
    [
        ("上海a宏鑫", 4, "gbk", "上海"),
        ("上海a宏鑫", 6, "gbk", "上海宏"),  # the one-byte 'a' makes room for '宏'
        ("上海宏鑫", 5, "gbk", None),  # no cut of two-byte characters weighs 5
        ("上海宏鑫", 9, "gbk", None),  # longer than the value
        ("abcdef", 3, "chars", "abc"),
        ("上海宏鑫", 6, "utf-8", "上海"),
    ],
)
def test_cut_to_keeps_whole_characters(value, size, unit, expected):
    def width(ch):
        return 1 if unit == "chars" else len(ch.encode(unit))

    cut = cut_to(value, size, width)
    assert cut == expected
    if cut is not None:
        assert sum(width(ch) for ch in cut) == size and is_subsequence(cut, value)


@pytest.mark.parametrize(
    "passing, failing, limit, guesses",
    [(11, 200, 60, ()), (11, 66, 11, ()), (11, 66, 65, ()), (0, 1000, 500, (500, 501))],
)
def test_bisect_finds_an_upper_limit(passing, failing, limit, guesses):
    calls = []

    def test(n):
        calls.append(n)
        return PASS if n <= limit else FAIL

    assert bisect(passing, failing, test, guesses) == (limit, limit + 1, None)
    assert len(calls) <= (2 if guesses else (failing - passing).bit_length())
    assert all(min(passing, failing) < n < max(passing, failing) for n in calls)


def test_bisect_finds_a_lower_limit_and_stops_on_other_answers():
    assert bisect(5120, 0, lambda n: PASS if n >= 1 else FAIL, (1, 0)) == (1, 0, None)
    assert bisect(11, 200, lambda n: "unresolved") == (11, 200, "unresolved")


def test_search_bound_finds_the_real_byte_limit():
    probe, sent = oracle(transfer_bank)
    (bound,) = search_bound(REMARK_RULE, TRANSFER_FIELDS, probe)
    assert (bound.low, bound.high, bound.exact, bound.stopped) == (60, 61, True, None)
    assert bound.probes == len(sent) <= 8
    params, bracket = refined(REMARK_RULE, [bound])
    assert params == {"max": 60, "encoding": "gbk"} and bracket == {"accepted": 60, "rejected": 61}
    for fields in sent:  # only the remark changes, and only by cutting it
        assert {k: v for k, v in fields.items() if k != "remark"} == {
            k: v for k, v in TRANSFER_FIELDS.items() if k != "remark"
        }
        assert is_subsequence(fields["remark"], REMARK)
        assert 11 < len(fields["remark"].encode("gbk")) < 66


def test_search_bound_on_characters_and_an_odd_limit():
    def by_chars(base_id, fields):
        if len(fields["remark"]) > 23:
            return Classified("rejected", "ED0075", "附言长度超限")
        return Classified("accepted", "000000", "成功")

    rule = REMARK_RULE.but(kind="max_length", params={"max": 6}, evidence={})
    probe, _ = oracle(by_chars)
    (bound,) = search_bound(rule, TRANSFER_FIELDS, probe)
    assert (bound.low, bound.high) == (23, 24) and refined(rule, [bound])[0] == {"max": 23}
    # An odd byte limit of two-byte characters is bracketed as closely as cuts allow.
    rule = REMARK_RULE.but(params={"max": 11, "encoding": "gbk"}, evidence={})
    probe, _ = oracle(lambda b, f: transfer_bank(b, f, remark_limit=45))
    (bound,) = search_bound(rule, {**TRANSFER_FIELDS, "remark": "上海宏鑫" * 20}, probe)
    assert (bound.low, bound.high, bound.exact) == (44, 46, False)
    assert refined(rule, [bound])[0]["max"] == 45  # the least restrictive inside (44, 46)


def test_search_bound_finds_both_amount_bounds_with_few_probes():
    probe, sent = oracle(transfer_bank)
    fields = {**TRANSFER_FIELDS, "remark": "货款", "amount": "8800000.00"}
    bounds = search_bound(AMOUNT_RULE, fields, probe)
    assert [(b.param, b.low, b.high, b.exact) for b in bounds] == [
        ("max", "5000000.00", "5000000.01", True),
        ("min", "0.01", "0.00", True),
    ]
    assert len(sent) == 2  # the guesses: 5000000.00 and 0.01 (their neighbours were refused)
    assert refined(AMOUNT_RULE, bounds)[0] == AMOUNT_RULE.params


def test_search_bound_bisects_when_the_guessed_amount_is_wrong():
    rule = AMOUNT_RULE.but(params={"max": "3000000.00"})
    probe, sent = oracle(transfer_bank)
    (bound,) = search_bound(rule, {**TRANSFER_FIELDS, "remark": "", "amount": "9000000"}, probe)
    assert (bound.low, bound.high, bound.stopped) == ("5000000.00", "5000000.01", None)
    assert refined(rule, [bound])[0] == {"max": "5000000.00"}
    assert all(f["amount"].count(".") == 1 and len(f["amount"].split(".")[1]) == 2 for f in sent)


def test_search_bound_stops_on_another_answer_and_keeps_the_bracket():
    def picky(base_id, fields):
        if len(fields["remark"].encode("gbk")) > 40:
            return Classified("rejected", "ED0099", "参数校验失败")
        return transfer_bank(base_id, fields)

    probe, sent = oracle(picky)
    (bound,) = search_bound(REMARK_RULE, TRANSFER_FIELDS, probe)
    assert bound.stopped == "another answer"
    assert len(sent[-1]["remark"].encode("gbk")) > 40  # the first other answer ends it
    assert refined(REMARK_RULE, [bound])[0] == REMARK_RULE.params


def test_probe_rules_narrows_confirmed_bounds_within_the_budget():
    rows = [
        {"id": 21, "endpoint": TRANSFER, "outcome": "rejected", "request_fields": TRANSFER_FIELDS},
        {
            "id": 22,
            "endpoint": TRANSFER,
            "outcome": "accepted",
            "request_fields": {**TRANSFER_FIELDS, "remark": "货款"},
        },
    ]
    spec = REMARK_RULE.but(support=3, evidence={**REMARK_RULE.evidence, "support_ids": [21]})
    calls = []

    def send(base, fields):
        calls.append(base)
        return transfer_bank(base, fields)

    (probed,) = probe_rules([spec], rows, send)
    assert probed.params == {"max": 60, "encoding": "gbk"} and probed.state == "confirmed"
    evidence = probed.evidence["probe"]
    assert evidence["bound"] == {
        "low": 60,
        "high": 61,
        "probes": evidence["bound"]["probes"],
        "exact": True,
    }
    assert evidence["spent"] == len(calls)
    assert probed.replaces == spec.key  # the stored rule is refined in place
    assert probed.evidence["bracket"] == {"accepted": 60, "rejected": 61}  # probing narrowed it
    # A budget that only covers the confirmation leaves the traffic bound alone.
    confirming = probe_rules([spec], rows, transfer_bank, per_bound=0)[0]
    spent = confirming.evidence["probe"]["spent"]
    (cut_short,) = probe_rules([spec], rows, send, budget=spent)
    assert cut_short.params == spec.params and "bound" not in cut_short.evidence["probe"]
    (partial,) = probe_rules([spec], rows, transfer_bank, budget=spent + 2)
    bound = partial.evidence["probe"]["bound"]
    assert bound["stopped"] == "probe budget spent" and bound["probes"] == 2
    narrowed = partial.evidence["bracket"]
    assert (narrowed["accepted"], narrowed["rejected"]) == (bound["low"], bound["high"])
    assert bound["low"] <= partial.params["max"] < bound["high"]


def test_a_rule_whose_repair_meets_another_rule_is_not_narrowed():
    rows = [
        {"id": 21, "endpoint": TRANSFER, "outcome": "rejected", "request_fields": TRANSFER_FIELDS},
    ]
    spec = REMARK_RULE.but(evidence={**REMARK_RULE.evidence, "support_ids": [21]})

    def strict(base, fields):
        answer = transfer_bank(base, fields)
        return (
            Classified("rejected", "ED0099", "参数校验失败")
            if answer.outcome == "accepted"
            else answer
        )

    (probed,) = probe_rules([spec], rows, strict)
    assert probed.evidence["probe"]["confirmed"] is True
    assert probed.params == spec.params and "bound" not in probed.evidence["probe"]
