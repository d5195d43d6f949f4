"""Each simulated rule rejects what it must and nothing else; staging skips production-only rules.

Table tests through the gateway's checker (no HTTP): a valid base request per endpoint, one
field changed per case, and the rule that must answer (None: accepted).
"""

from __future__ import annotations

import json

import pytest

from harness.sim.bank import load_bank
from harness.sim.checks import credit_code_check, id_number_check, luhn_check
from harness.sim.gateway import Gateway, Outcome
from harness.sim.traffic import update_xml

BANK = load_bank()
PROD = Gateway(BANK, "prod")
STAGING = Gateway(BANK, "staging")


def _credit(body17: str = "91310115MA1K3YJ2Q") -> str:
    return body17 + credit_code_check(body17)


def _id(body17: str = "31011519850312123") -> str:
    return body17 + id_number_check(body17)


def _card(body: str = "622202100112345678") -> str:
    return body + luhn_check(body)


def _bad_last(value: str, other: str) -> str:
    assert value[-1] != other
    return value[:-1] + other


BASE = {
    "vaccount_open": {
        "merchantNo": "M10020001",
        "requestId": "R202611240930150001000001",
        "timestamp": "20261124093015",
        "enterpriseName": "华瑞（中国）科技有限公司",
        "creditCode": _credit(),
        "legalName": "王伟",
        "legalIdNo": _id(),
        "legalMobile": "13812345678",
        "businessAddress": "上海市浦东新区张江路88号3号楼1203室",
        "accountName": "华瑞（中国）科技有限公司",
        "bindCardNo": _card(),
    },
    "transfer": {
        "merchantNo": "M10020001",
        "requestId": "R202611240930150001000002",
        "timestamp": "20261124093015",
        "payerAccount": _card("622202100112345678"),
        "payeeAccount": _card("621700123456789"),
        "payeeName": "恒泰（上海）贸易有限公司",
        "amount": "1234.50",
        "currency": "CNY",
        "purpose": "货款",
        "remark": "3月货款",
    },
    "enterprise_update": {
        "merchantNo": "M10020001",
        "ReqSeq": "R202611240930150001000003",
        "ReqTime": "20261124093015",
        "EntName": "华瑞（中国）科技有限公司",
        "RegAddress": "上海市浦东新区张江路88号甲座1203室",
        "ContactName": "欧阳娜",
        "ContactMobile": "13912345678",
        "Scope": "技术开发、技术咨询、技术服务",
    },
}
PATHS = {
    "vaccount_open": "/openapi/v1/vaccount/open",
    "transfer": "/openapi/v1/transfer",
}
XML_FIELDS = {
    "EntName",
    "RegAddress",
    "ContactName",
    "ContactMobile",
    "Scope",
    "TxCode",
    "ReqSeq",
    "ReqTime",
}
DROP = object()  # a case value: the field is left out


def request_for(endpoint: str, changes: dict[str, object]) -> tuple[str, str, bytes]:
    """(path, content type, body) of the base request with ``changes`` applied."""
    fields = dict(BASE[endpoint])
    for key, value in changes.items():
        if value is DROP:
            fields.pop(key, None)
        else:
            fields[key] = value  # type: ignore[assignment]
    if endpoint == "enterprise_update":
        tx = changes.get("TxCode", "ENT_UPDATE")
        doc = update_xml({k: fields.get(k, "") for k in XML_FIELDS if k != "TxCode"})
        doc = doc.replace(
            "<TxCode>ENT_UPDATE</TxCode>", "" if tx is DROP else f"<TxCode>{tx}</TxCode>"
        )
        for key in XML_FIELDS:  # a dropped element disappears from the document
            if key in changes and changes[key] is DROP:
                doc = doc.replace(f"<{key}></{key}>", "")
        path = f"/openapi/v1/enterprise/{fields.get('merchantNo', '')}/update"
        return path, "application/xml; charset=GBK", doc.encode("gbk", errors="xmlcharrefreplace")
    body = json.dumps(fields, ensure_ascii=False).encode("utf-8")
    return PATHS[endpoint], "application/json", body


def decide(gateway: Gateway, endpoint: str, changes: dict[str, object]) -> Outcome:
    path, ctype, body = request_for(endpoint, changes)
    outcome, _, _ = gateway.decide("POST", path, ctype, None, body)
    return outcome


ZH30 = "华" * 24 + "有限公司分部"  # 30 characters: 60 GBK bytes
ADDR50 = "上海市浦东新区张江路" + "一" * 38 + "号室"  # 50 characters: 100 GBK bytes

# (endpoint, field, value, the rule that must answer in production or None)
CASES = [
    # names: full-width punctuation fine, ASCII letters and half-width punctuation not
    (
        "vaccount_open",
        "enterpriseName",
        "华瑞(中国)科技有限公司",
        "vaccount_open.enterpriseName.forbid_chars",
    ),
    (
        "vaccount_open",
        "enterpriseName",
        "华瑞（中国)科技有限公司",
        "vaccount_open.enterpriseName.forbid_chars",
    ),
    (
        "vaccount_open",
        "enterpriseName",
        "IBM科技有限公司",
        "vaccount_open.enterpriseName.forbid_chars",
    ),
    (
        "vaccount_open",
        "enterpriseName",
        "华瑞&恒泰科技有限公司",
        "vaccount_open.enterpriseName.forbid_chars",
    ),
    ("vaccount_open", "enterpriseName", "华瑞科技有限公司", None),
    ("vaccount_open", "enterpriseName", "华瑞第2科技有限公司", None),
    ("vaccount_open", "enterpriseName", "华瑞·恒泰【深圳】科技有限公司", None),
    ("vaccount_open", "enterpriseName", ZH30, None),
    ("vaccount_open", "enterpriseName", ZH30 + "司", "vaccount_open.enterpriseName.max_bytes"),
    (
        "vaccount_open",
        "enterpriseName",
        " 华瑞科技有限公司",
        "vaccount_open.enterpriseName.trimmed",
    ),
    (
        "vaccount_open",
        "enterpriseName",
        "华瑞科技有限公司\u3000",
        "vaccount_open.enterpriseName.trimmed",
    ),
    ("vaccount_open", "enterpriseName", "华瑞 科技有限公司", None),
    (
        "vaccount_open",
        "accountName",
        "华瑞(中国)科技有限公司",
        "vaccount_open.accountName.forbid_chars",
    ),
    ("vaccount_open", "accountName", ZH30 + "司", "vaccount_open.accountName.max_bytes"),
    ("vaccount_open", "accountName", "恒泰（上海）贸易有限公司", None),
    # identifiers
    (
        "vaccount_open",
        "creditCode",
        _bad_last(_credit(), "0" if _credit()[-1] != "0" else "1"),
        "vaccount_open.creditCode.check_digit",
    ),
    ("vaccount_open", "creditCode", _credit().lower(), "vaccount_open.creditCode.check_digit"),
    ("vaccount_open", "creditCode", _credit("91440300ABCDEFGHJ"), None),
    (
        "vaccount_open",
        "legalIdNo",
        _bad_last(_id(), "0" if _id()[-1] != "0" else "1"),
        "vaccount_open.legalIdNo.check_digit",
    ),
    (
        "vaccount_open",
        "legalIdNo",
        _id("31011519851332123"),
        "vaccount_open.legalIdNo.check_digit",
    ),  # month 13
    ("vaccount_open", "legalIdNo", _id("11010519491231002"), None),
    (
        "vaccount_open",
        "bindCardNo",
        _bad_last(_card(), "0" if _card()[-1] != "0" else "1"),
        "vaccount_open.bindCardNo.check_digit",
    ),
    ("vaccount_open", "bindCardNo", _card("621700123456789"), None),
    # people
    ("vaccount_open", "legalName", "王䶮", "vaccount_open.legalName.encodable"),
    ("vaccount_open", "legalName", "李𠇔", "vaccount_open.legalName.encodable"),
    (
        "vaccount_open",
        "legalName",
        "张喆",
        "vaccount_open.legalName.encodable",
    ),  # in GBK, not in GB 2312
    ("vaccount_open", "legalName", "欧阳娜", None),
    ("vaccount_open", "legalName", "王伟 ", "vaccount_open.legalName.trimmed"),
    ("vaccount_open", "legalMobile", "1381234567", "vaccount_open.legalMobile.pattern"),
    ("vaccount_open", "legalMobile", "12812345678", "vaccount_open.legalMobile.pattern"),
    ("vaccount_open", "legalMobile", "+8613812345678", "vaccount_open.legalMobile.pattern"),
    ("vaccount_open", "legalMobile", "1381234567８", "vaccount_open.legalMobile.pattern"),
    ("vaccount_open", "legalMobile", "19912345678", None),
    # addresses: the same class of rule as names
    (
        "vaccount_open",
        "businessAddress",
        "上海市浦东新区张江路88号A座1203室",
        "vaccount_open.businessAddress.forbid_chars",
    ),
    (
        "vaccount_open",
        "businessAddress",
        "上海市浦东新区张江路88号Room 1203",
        "vaccount_open.businessAddress.forbid_chars",
    ),
    (
        "vaccount_open",
        "businessAddress",
        "上海市浦东新区张江路88-1号",
        "vaccount_open.businessAddress.forbid_chars",
    ),
    ("vaccount_open", "businessAddress", "上海市浦东新区张江路88号（东门）", None),
    ("vaccount_open", "businessAddress", ADDR50, None),
    ("vaccount_open", "businessAddress", ADDR50 + "一", "vaccount_open.businessAddress.max_bytes"),
    # merchant
    ("vaccount_open", "merchantNo", "X10020001", "vaccount_open.merchantNo.pattern"),
    ("vaccount_open", "merchantNo", "M1002000", "vaccount_open.merchantNo.pattern"),
    # transfer
    ("transfer", "merchantNo", "m10020001", "transfer.merchantNo.pattern"),
    (
        "transfer",
        "payerAccount",
        _bad_last(_card(), "0" if _card()[-1] != "0" else "1"),
        "transfer.payerAccount.check_digit",
    ),
    ("transfer", "payeeAccount", "62170012345678９", "transfer.payeeAccount.check_digit"),
    ("transfer", "payeeName", "恒泰(上海)贸易有限公司", "transfer.payeeName.forbid_chars"),
    ("transfer", "payeeName", " 王伟", "transfer.payeeName.trimmed"),
    ("transfer", "payeeName", "王伟", None),
    ("transfer", "amount", "1234.567", "transfer.amount.decimal"),
    ("transfer", "amount", "1,234.50", "transfer.amount.decimal"),
    ("transfer", "amount", "-1.00", "transfer.amount.decimal"),
    ("transfer", "amount", "01.00", "transfer.amount.decimal"),
    ("transfer", "amount", "1234.5", None),
    ("transfer", "amount", "1234", None),
    ("transfer", "amount", "0.00", "transfer.amount.range"),
    ("transfer", "amount", "0.01", None),
    ("transfer", "amount", "5000000.00", None),
    ("transfer", "amount", "5000000.01", "transfer.amount.range"),
    ("transfer", "currency", "USD", "transfer.currency.enum"),
    ("transfer", "currency", "cny", "transfer.currency.enum"),
    ("transfer", "purpose", "投资款", "transfer.purpose.enum"),
    ("transfer", "purpose", "工资", None),
    ("transfer", "purpose", "往来款", None),
    ("transfer", "remark", " 货款", "transfer.remark.trimmed"),
    ("transfer", "remark", "货款\t", "transfer.remark.trimmed"),
    ("transfer", "remark", "一" * 30, None),
    ("transfer", "remark", "一" * 30 + "a", "transfer.remark.max_bytes"),
    ("transfer", "remark", "", None),
    ("transfer", "remark", DROP, None),
    ("transfer", "remark", "合同号HT-2026/03", None),
    # enterprise update (GBK XML)
    (
        "enterprise_update",
        "EntName",
        "华瑞(中国)科技有限公司",
        "enterprise_update.Body.EntName.forbid_chars",
    ),
    ("enterprise_update", "EntName", ZH30 + "司", "enterprise_update.Body.EntName.max_bytes"),
    ("enterprise_update", "EntName", "恒泰（上海）贸易有限公司", None),
    (
        "enterprise_update",
        "RegAddress",
        "深圳市南山区科苑路1号B1栋",
        "enterprise_update.Body.RegAddress.forbid_chars",
    ),
    (
        "enterprise_update",
        "RegAddress",
        ADDR50 + "一",
        "enterprise_update.Body.RegAddress.max_bytes",
    ),
    ("enterprise_update", "ContactName", "王𠇔", "enterprise_update.Body.ContactName.encodable"),
    ("enterprise_update", "ContactName", "王犇", "enterprise_update.Body.ContactName.encodable"),
    (
        "enterprise_update",
        "ContactMobile",
        "1391234567",
        "enterprise_update.Body.ContactMobile.pattern",
    ),
    ("enterprise_update", "Scope", "一" * 101, "enterprise_update.Body.Scope.max_bytes"),
    ("enterprise_update", "Scope", "一" * 100, None),
    ("enterprise_update", "TxCode", "ENT_QUERY", "enterprise_update.Head.TxCode.enum"),
    ("enterprise_update", "merchantNo", "M1", "enterprise_update.merchantNo.pattern"),
]


def _required_cases() -> list[tuple[str, str, object, str]]:
    """Every required rule: the field left out, and the field empty."""
    out = []
    for rule in BANK.rules:
        if rule.kind != "required":
            continue
        endpoint, _, name = rule.id.partition(".")
        field = name.removesuffix(".required").rsplit(".", 1)[-1]
        out.append((endpoint, field, DROP, rule.id))
        out.append((endpoint, field, "", rule.id))
    return out


ALL_CASES = CASES + _required_cases()


@pytest.mark.parametrize("endpoint", sorted(BASE))
def test_base_requests_pass_everywhere(endpoint):
    assert decide(PROD, endpoint, {}).accepted
    assert decide(STAGING, endpoint, {}).accepted


@pytest.mark.parametrize(("endpoint", "field", "value", "rule"), ALL_CASES)
def test_production_rule_table(endpoint, field, value, rule):
    outcome = decide(PROD, endpoint, {field: value})
    assert outcome.rule == rule, outcome
    if rule is None:
        assert outcome.accepted and outcome.answer.code == "000000"
    else:
        expected = next(r for r in BANK.rules if r.id == rule)
        assert outcome.answer == expected.answer
        assert len(outcome.answer.code) == 6


@pytest.mark.parametrize(("endpoint", "field", "value", "rule"), ALL_CASES)
def test_staging_enforces_only_its_rules(endpoint, field, value, rule):
    outcome = decide(STAGING, endpoint, {field: value})
    staging_rule = (
        rule is not None and "staging" in next(r for r in BANK.rules if r.id == rule).roles
    )
    assert outcome.rule == (rule if staging_rule else None), outcome
    assert outcome.accepted == (not staging_rule)


def test_every_rule_has_a_rejecting_case():
    covered = {rule for _, _, _, rule in ALL_CASES if rule}
    assert covered == {r.id for r in BANK.rules}


def test_most_rules_are_production_only():
    prod_only = [r for r in BANK.rules if r.kind != "required" and r.roles == {"prod"}]
    staging = [r for r in BANK.rules if r.kind != "required" and "staging" in r.roles]
    assert len(prod_only) >= 12
    assert len(staging) < len(prod_only) / 3
    assert all("prod" in r.roles for r in BANK.rules)


def test_messages_name_fields_or_are_generic():
    messages = {r.answer.msg for r in BANK.rules}
    assert "企业名称含有非法字符" in messages and "经营地址格式不正确" in messages
    assert "参数校验失败" in messages
    assert "企业名称不能为空" in messages  # {label} filled in at load


def test_name_and_address_rules_are_the_same_class():
    by_id = {r.id: r for r in BANK.rules}
    name = by_id["vaccount_open.enterpriseName.forbid_chars"]
    address = by_id["vaccount_open.businessAddress.forbid_chars"]
    assert name.kind == address.kind and name.params == address.params
    assert name.answer.code != address.answer.code
