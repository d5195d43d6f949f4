"""Induction and the learn() pipeline on small hand-made tables (pure, no store)."""

from __future__ import annotations

from harness.learn import learn
from harness.plan import Plan
from harness.rules import RuleSpec, check, violations
from harness.rules.bracket import CONVENTIONAL
from tests.learn_rows import LABELS, OPEN, PAY, Maker, day_rows, open_fields, row

PLAN = Plan(labels=LABELS)


def learned(result, source="learned"):
    return {(r.endpoint, r.field, r.kind): r for r in result.rules if r.source == source}


def test_each_rule_on_the_right_field_with_the_right_parameters():
    rules = learned(learn(day_rows(), plan=PLAN))
    name = rules[(OPEN, "enterpriseName", "forbidden_chars")]
    assert name.params == {"classes": [], "chars": "()"}  # punctuation by character
    assert name.code == "ED0012" and name.message == "企业名称含有非法字符"
    assert name.evidence["names_field"] is True and name.evidence["label"] == "企业名称"
    assert (OPEN, "accountName", "forbidden_chars") not in rules  # the message names the other one
    assert any(a["field"] == "accountName" for a in name.evidence["alternatives"])
    assert rules[(PAY, "remark", "no_surrounding_space")].code == "ED0099"
    assert rules[(PAY, "cardNo", "checksum")].params == {"algorithm": "luhn"}
    result = learn(day_rows(), plan=PLAN)
    by_code = {r.code: r for r in result.rules if r.field == "amount" and r.source == "learned"}
    assert by_code["ED0071"].params == {"scale": 2}
    # Random "system busy" answers: whatever a coincidence explains stays suspected.
    assert all(r.state == "suspected" for r in rules.values() if r.code == "SY0400")


def test_without_labels_the_tie_goes_by_simplicity_then_name():
    rules = learned(learn(day_rows(), plan=None))
    fields = {f for (_, f, kind) in rules if kind == "forbidden_chars"}
    assert len(fields) == 1  # one of the two identical fields, not both


def test_no_learned_rule_contradicts_an_accepted_exchange():
    rows = day_rows()
    result = learn(rows, plan=PLAN)
    specs = [r for r in result.rules if r.source == "learned"]
    assert specs
    for r in rows:
        if r["outcome"] == "accepted":
            assert violations(specs, r["request_fields"], r["endpoint"]) == []
    for spec in specs:
        assert spec.contradict == 0
        assert spec.support == spec.evidence["days"]["2026-11-24"]["support"]


def test_every_supporting_rejection_breaks_its_rule():
    rows = day_rows()
    by_id = {r["id"]: r for r in rows}
    for spec in learn(rows, plan=PLAN).rules:
        for i in spec.evidence.get("support_ids", []):
            fields = by_id[i]["request_fields"]
            assert not check(spec, fields.get(spec.field)), spec


def test_state_and_confidence_follow_support():
    rules = learned(learn(day_rows(), plan=PLAN))
    name = rules[(OPEN, "enterpriseName", "forbidden_chars")]
    card = rules[(PAY, "cardNo", "checksum")]
    for rule in (name, card):
        assert rule.support >= rule.evidence["confirm_at"] and rule.state == "confirmed"
    assert name.confidence >= card.confidence
    thin = learned(learn(day_rows(accepted=40), plan=PLAN))
    card = thin[(PAY, "cardNo", "checksum")]
    assert card.support < card.evidence["confirm_at"] and card.state == "suspected"


def test_length_rule_is_bracketed():
    m = Maker(3)
    rows = [row(i, OPEN, open_fields(m)) for i in range(1, 101)]
    longest = max(len(r["request_fields"]["enterpriseName"]) for r in rows)
    f = open_fields(m)
    f["enterpriseName"] = "上海" + "华" * (longest + 3) + "有限公司"
    rows.append(row(500, OPEN, f, "ED0013", "企业名称长度超限"))
    f = dict(f, enterpriseName="北京" + "瑞" * (longest + 5))
    rows.append(row(501, OPEN, f, "ED0013", "企业名称长度超限"))
    rules = [r for r in learn(rows, plan=PLAN).rules if r.code == "ED0013"]
    assert len(rules) == 1
    rule = rules[0]
    assert rule.field == "enterpriseName"
    assert rule.kind == "max_bytes" and rule.params["encoding"] == "gbk"  # Chinese text: GBK bytes
    bracket = rule.evidence["bracket"]
    assert bracket["accepted"] == 2 * longest
    # The least restrictive limit the bracket allows: below the shortest rejected value.
    assert bracket["accepted"] <= rule.params["max"] < bracket["rejected"]
    assert rule.params["max"] == bracket["rejected"] - 1 or rule.params["max"] in CONVENTIONAL


def test_required_enum_pattern_and_range():
    m = Maker(4)
    rows = []
    for i in range(1, 251):  # enough for the currency to look like a closed set
        f = {"cardNo": m.card(), "amount": m.amount(), "currency": "CNY", "mobile": m.mobile()}
        rows.append(row(i, PAY, f))
    base = dict(rows[0]["request_fields"], cardNo=m.card(), mobile=m.mobile())
    rows += [
        row(900, PAY, {k: v for k, v in base.items() if k != "cardNo"}, "ED0001", "卡号不能为空"),
        row(901, PAY, dict(base, cardNo=""), "ED0001", "卡号不能为空"),
        row(902, PAY, dict(base, currency="USD"), "ED0073", "币种不支持"),
        row(903, PAY, dict(base, currency="HKD"), "ED0073", "币种不支持"),
        row(904, PAY, dict(base, mobile="1381234567"), "ED0033", "手机号格式不正确"),
        row(905, PAY, dict(base, mobile="+8613812345678"), "ED0033", "手机号格式不正确"),
        row(906, PAY, dict(base, mobile="12812345678"), "ED0033", "手机号格式不正确"),
        row(907, PAY, dict(base, amount="8800000.00"), "ED0072", "金额超出限额"),
        row(908, PAY, dict(base, amount="12000000.00"), "ED0072", "金额超出限额"),
    ]
    rules = {r.code: r for r in learn(rows, plan=PLAN).rules if r.source == "learned"}
    assert (rules["ED0001"].field, rules["ED0001"].kind) == ("cardNo", "required")
    assert rules["ED0073"].params == {"values": ["CNY"]}
    assert rules["ED0033"].kind == "pattern"
    assert rules["ED0033"].params["regex"].startswith("^1[")
    assert not check(rules["ED0033"], "12812345678") and check(rules["ED0033"], "13912345678")
    assert (rules["ED0072"].kind, rules["ED0072"].params) == ("decimal", {"max": "8000000.00"})
    assert rules["ED0072"].evidence["bracket"]["max"]["rejected"] == "8800000.00"


def test_one_signature_over_both_bounds_learns_one_range_rule():
    m = Maker(3)
    rows = [
        row(i, PAY, {"cardNo": m.card(), "amount": m.amount(), "currency": "CNY"})
        for i in range(1, 61)
    ]
    base = {"cardNo": m.card(), "currency": "CNY"}
    for i, amount in enumerate(("0.00", "-5.00", "8800000.00", "12000000.00"), start=100):
        rows.append(row(i, PAY, dict(base, amount=amount), "ED0072", "金额超出限额"))
    found = [r for r in learn(rows, plan=PLAN).rules if r.code == "ED0072"]
    assert len(found) == 1
    rule = found[0]
    assert (rule.field, rule.kind, sorted(rule.params)) == ("amount", "decimal", ["max", "min"])
    for amount in ("0.00", "-5.00", "8800000.00", "12000000.00"):
        assert not check(rule, amount)
    assert all(
        check(rule, r["request_fields"]["amount"]) for r in rows if r["outcome"] == "accepted"
    )


def test_a_single_rejection_teaches_a_suspected_rule():
    m = Maker(5)
    rows = [row(i, OPEN, open_fields(m)) for i in range(1, 50)]
    f = open_fields(m)
    f["businessAddress"] += "#"
    for code, message in (("ED0099", "参数校验失败"), ("ED0041", "经营地址格式不正确")):
        rows[-1:] = [row(99, OPEN, f, code, message)]
        rules = [r for r in learn(rows, plan=PLAN).rules if r.source == "learned"]
        assert [(r.field, r.params, r.state) for r in rules] == [
            ("businessAddress", {"classes": [], "chars": "#"}, "suspected")
        ]


def test_letters_generalize_to_both_cases_and_other_classes_stay_out():
    m = Maker(6)
    rows = [row(i, OPEN, open_fields(m)) for i in range(1, 80)]
    for i, tail in enumerate(("A座1203室", "B1栋", "1号楼Room 1203")):
        f = open_fields(m)
        f["businessAddress"] = "上海市张江路1号" + tail
        rows.append(row(200 + i, OPEN, f, "ED0041", "经营地址格式不正确"))
    (rule,) = [r for r in learn(rows, plan=PLAN).rules if r.source == "learned"]
    assert rule.params == {"classes": ["ascii_lower", "ascii_upper"], "chars": ""}
    assert rule.evidence["generalized"] == ["ascii_lower"]


def test_relearning_the_same_day_keeps_keys_and_counts():
    rows = day_rows()
    first = learn(rows, plan=PLAN)
    stored = [r.but(id=n) for n, r in enumerate(first.rules, 1)]
    second = learn(rows, plan=PLAN, existing=stored)
    first_keys = {r.key for r in first.rules}
    assert {r.key for r in second.rules} <= first_keys
    assert not any(r.replaces for r in second.rules)


def test_a_wider_limit_refines_the_stored_rule_in_place():
    old = RuleSpec(
        OPEN,
        "enterpriseName",
        "max_bytes",
        {"max": 20, "encoding": "gbk"},
        code="ED0013",
        message="企业名称长度超限",
        support=3,
        id=7,
    )
    m = Maker(7)
    rows = [row(i, OPEN, open_fields(m)) for i in range(1, 60)]
    f = open_fields(m)
    f["enterpriseName"] = "北京" + "瑞" * 40
    rows += [
        row(90, OPEN, f, "ED0013", "企业名称长度超限"),
        row(91, OPEN, f, "ED0013", "企业名称长度超限"),
    ]
    result = learn(rows, plan=PLAN, existing=[old])
    (rule,) = [r for r in result.rules if r.code == "ED0013"]
    assert rule.replaces == old.key
    assert rule.params["max"] > 20 and rule.id == 7


def test_a_stored_rule_contradicted_today_is_retired():
    stale = RuleSpec(
        PAY,
        "remark",
        "max_length",
        {"max": 2},
        code="ED0075",
        message="附言长度超限",
        support=4,
        id=3,
    )
    result = learn(day_rows(), plan=PLAN, existing=[stale])
    (rule,) = [r for r in result.rules if r.id == 3]
    assert rule.state == "retired" and rule.contradict > 0
    assert rule.evidence["contradict_ids"]


def test_analogy_carries_the_name_rule_and_lists_the_risks_without_values():
    rows = day_rows()
    m = Maker(9)
    f = open_fields(m)
    f["enterpriseName"] = f["accountName"] = "华瑞(上海)科技有限公司"
    f["businessAddress"] = "上海市张江路1号B1栋(东)"
    rows.append(row(9000, OPEN, f, "ED0012", "企业名称含有非法字符"))
    result = learn(rows, plan=PLAN)
    carried = learned(result, "analogy")
    address = carried[(OPEN, "businessAddress", "forbidden_chars")]
    assert address.state == "suspected" and address.contradict == 0
    assert set("()") <= set(address.params["chars"])
    assert address.origin == learned(result)[(OPEN, "enterpriseName", "forbidden_chars")].key
    risks = [r for r in result.risks if r.field == "businessAddress"]
    assert [r.exchange_id for r in risks] == [9000]
    assert risks[0].classes == {"ascii_punct": 2}
    flat = repr([r.as_dict() for r in result.risks])
    assert "张江路" not in flat and "华瑞" not in flat
    # accountName copies the name: every rejected name is a risk there too.
    assert {r.exchange_id for r in result.risks if r.field == "accountName"} >= {9000}


def test_analogy_drops_what_the_target_accepts():
    rows = day_rows()
    m = Maker(10)
    for i in range(30):  # production accepts a hyphen in addresses: ASCII punctuation is fine
        f = open_fields(m)
        f["businessAddress"] += "-1"
        rows.append(row(20000 + i, OPEN, f))
    carried = learned(learn(rows, plan=PLAN), "analogy")
    address = carried[(OPEN, "businessAddress", "forbidden_chars")]
    assert address.params == {"classes": [], "chars": "()"}  # parentheses never seen accepted
    for i in range(30):  # ... and parentheses too: nothing is left to carry
        f = open_fields(m)
        f["businessAddress"] += "(东)"
        rows.append(row(30000 + i, OPEN, f))
    assert (OPEN, "businessAddress", "forbidden_chars") not in learned(
        learn(rows, plan=PLAN), "analogy"
    )


def test_verdicts_are_recorded():
    rows = day_rows()
    verdicts = {r["id"]: "production_only" for r in rows if r["code"] == "ED0012"}
    rules = learned(learn(rows, plan=PLAN, verdicts=verdicts))
    name = rules[(OPEN, "enterpriseName", "forbidden_chars")]
    assert name.evidence["verdicts"] == {"production_only": 10}
    assert name.evidence["production_only"] is True
    assert "verdicts" not in rules[(PAY, "amount", "decimal")].evidence


def test_the_learner_is_a_pure_core():
    """Learning and the probe search import no database, proxy or HTTP client."""
    import subprocess
    import sys

    code = (
        "import sys, harness.learn, harness.learn.probe\n"
        "from harness.learn import learn\n"
        "learn([{'id': 1, 'ts': None, 'endpoint': 'POST /x', 'outcome': 'rejected',"
        " 'code': 'E', 'message': 'm', 'request_fields': {}}])\n"
        "print(sorted(m for m in ('sqlalchemy', 'aiohttp', 'mitmproxy', 'httpx') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_requests_without_fields_teach_no_required_rule():
    m = Maker(11)
    rows = [row(i, OPEN, open_fields(m)) for i in range(1, 60)]
    for i in range(5):  # malformed bodies: nothing parsed
        rows.append(row(100 + i, OPEN, {}, "EA0400", "请求报文格式错误"))
    assert [r for r in learn(rows, plan=PLAN).rules if r.source == "learned"] == []
