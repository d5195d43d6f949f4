"""The mock gateway as a real aiohttp server on a free port, asked by a real aiohttp client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from harness import codecs
from harness.classify import Classifier
from harness.mock import RULE_HEADER, STATUS_PATH, MockGateway, Template, make_app
from harness.plan import load_plan, parse_plan
from harness.rules import RuleSpec
from tests.support.procs import free_port

ROOT = Path(__file__).resolve().parent.parent
PLAN = load_plan(ROOT / "replays" / "simbank.yaml")
OPEN = "POST /openapi/v1/vaccount/open"
UPDATE = "POST /openapi/v1/enterprise/{id}/update"
NAME = RuleSpec(
    OPEN,
    "enterpriseName",
    "forbidden_chars",
    {"classes": ["ascii_upper", "ascii_lower"], "chars": "()"},
    code="ED0012",
    message="企业名称含有非法字符",
    state="confirmed",
    id=1,
)
MOBILE = RuleSpec(
    OPEN,
    "legalMobile",
    "pattern",
    {"regex": "1[3-9][0-9]{9}"},
    code="ED0020",
    message="手机号格式错误",
    id=2,
)
CREDIT = RuleSpec(
    OPEN, "creditCode", "required", {}, code="ED0001", message="统一社会信用代码不能为空", id=3
)
ENT = RuleSpec(
    UPDATE,
    "Request.Body.EntName",
    "forbidden_chars",
    {"chars": "()"},
    code="E1012",
    message="企业名称含有非法字符",
    id=4,
)
RETIRED = RuleSpec(OPEN, "remark", "max_length", {"max": 2}, code="ED0099", state="retired", id=5)
RULES = [NAME, MOBILE, CREDIT, ENT, RETIRED]

XML = (
    '<?xml version="1.0" encoding="GBK"?><Request><Head><TxCode>ENT_UPDATE</TxCode></Head>'
    "<Body><EntName>{name}</EntName><RegAddress>北京市</RegAddress></Body></Request>"
)


async def _ask(gateway: MockGateway, requests: Sequence[tuple[str, str, str | None, bytes]]):
    port = free_port()
    runner = web.AppRunner(make_app(gateway))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    answers = []
    try:
        async with aiohttp.ClientSession() as session:
            for method, path, ctype, body in requests:
                headers = {"Content-Type": ctype} if ctype else {}
                async with session.request(
                    method, f"http://127.0.0.1:{port}{path}", data=body, headers=headers
                ) as r:
                    answers.append(
                        (r.status, r.headers.get("Content-Type"), dict(r.headers), await r.read())
                    )
    finally:
        await runner.cleanup()
    return answers


def ask(gateway: MockGateway, *requests: tuple[str, str, str | None, bytes]):
    return asyncio.run(_ask(gateway, requests))


def json_request(**fields: str) -> tuple[str, str, str, bytes]:
    body = {"creditCode": "91350100M000100Y43", "legalMobile": "13800138000", **fields}
    return (
        "POST",
        "/openapi/v1/vaccount/open",
        "application/json;charset=UTF-8",
        json.dumps(body, ensure_ascii=False).encode(),
    )


def verdict(status, ctype, body):
    return Classifier(PLAN).classify(
        status, [("Content-Type", ctype)], codecs.decode(body, ctype), None
    )


def test_json_violation_gets_the_rules_code_and_message():
    gateway = MockGateway(RULES, PLAN)
    [(status, ctype, headers, body)] = ask(
        gateway, json_request(enterpriseName="某某(中国)有限公司")
    )
    assert status == 200 and ctype.startswith("application/json")
    assert json.loads(body) == {"code": "ED0012", "msg": "企业名称含有非法字符"}
    assert headers[RULE_HEADER] == "1"
    v = verdict(status, ctype, body)
    assert (v.outcome, v.code) == ("rejected", "ED0012")


def test_clean_request_gets_success():
    [(status, ctype, headers, body)] = ask(
        MockGateway(RULES, PLAN), json_request(enterpriseName="某某（中国）有限公司")
    )
    assert status == 200 and json.loads(body) == {"code": "000000", "msg": "OK", "data": {}}
    assert RULE_HEADER not in headers
    assert verdict(status, ctype, body).outcome == "accepted"


def test_gbk_xml_request_gets_a_gbk_xml_answer():
    gateway = MockGateway(RULES, PLAN)
    bad = XML.format(name="某某(中国)有限公司").encode("gbk")
    good = XML.format(name="某某（中国）有限公司").encode("gbk")
    path = "/openapi/v1/enterprise/M10001/update"
    (s1, c1, _, b1), (s2, c2, _, b2) = ask(
        gateway,
        ("POST", path, "application/xml; charset=GBK", bad),
        ("POST", path, "application/xml; charset=GBK", good),
    )
    assert "charset=GBK" in c1
    text = b1.decode("gbk")
    assert text.startswith('<?xml version="1.0" encoding="GBK"?>')
    assert "<RspCode>E1012</RspCode>" in text and "<RspMsg>企业名称含有非法字符</RspMsg>" in text
    assert "企业名称".encode("gbk") in b1  # GBK bytes, not UTF-8
    assert (verdict(s1, c1, b1).outcome, verdict(s1, c1, b1).code) == ("rejected", "E1012")
    assert verdict(s2, c2, b2).outcome == "accepted" and "<RspCode>000000</RspCode>" in b2.decode(
        "gbk"
    )


def test_which_rule_answers_required_first_then_document_order():
    gateway = MockGateway(RULES, PLAN)
    body = json.dumps({"legalMobile": "12", "enterpriseName": "A(B)"}).encode()
    [(_, _, headers, data)] = ask(
        gateway, ("POST", "/openapi/v1/vaccount/open", "application/json", body)
    )
    assert json.loads(data)["code"] == "ED0001"  # creditCode missing
    body = json.dumps({"creditCode": "x", "legalMobile": "12", "enterpriseName": "A(B)"}).encode()
    [(_, _, headers, data)] = ask(
        gateway, ("POST", "/openapi/v1/vaccount/open", "application/json", body)
    )
    assert json.loads(data)["code"] == "ED0020" and headers[RULE_HEADER] == "2"


def test_states_select_rules_and_retired_never_answers():
    confirmed_only = MockGateway(RULES, PLAN, states=("confirmed",))
    answers = ask(
        confirmed_only,
        json_request(legalMobile="12345", enterpriseName="某某公司"),
        json_request(enterpriseName="ABC", remark="long remark"),
    )
    assert json.loads(answers[0][3])["code"] == "000000"  # the mobile rule is only suspected
    assert json.loads(answers[1][3])["code"] == "ED0012"
    [(_, _, _, body)] = ask(MockGateway(RULES, PLAN), json_request(remark="long remark"))
    assert json.loads(body)["code"] == "000000"


def test_answers_mirror_stored_production_answers():
    success = json.dumps(
        {
            "code": "000000",
            "msg": "成功",
            "data": {"accountNo": "6222000000000000", "serialNo": "S1"},
        },
        ensure_ascii=False,
    )
    reject = json.dumps(
        {"code": "ED0012", "msg": "企业名称含有非法字符", "data": None, "traceId": "t-1"},
        ensure_ascii=False,
    )
    templates = [
        Template(
            OPEN,
            "accepted",
            "000000",
            200,
            "json",
            "utf-8",
            success.encode(),
            "application/json;charset=UTF-8",
        ),
        Template(
            OPEN,
            "rejected",
            "ED0012",
            422,
            "json",
            "utf-8",
            reject.encode(),
            "application/json;charset=UTF-8",
        ),
    ]
    gateway = MockGateway(RULES, PLAN, templates)
    (s1, _, _, b1), (s2, _, _, b2), (s3, _, _, b3) = ask(
        gateway,
        json_request(enterpriseName="某某公司"),
        json_request(enterpriseName="ABC"),
        json_request(legalMobile="12", enterpriseName="某某公司"),
    )
    assert s1 == 200 and json.loads(b1) == json.loads(success)
    assert s2 == 422 and json.loads(b2) == {
        "code": "ED0012",
        "msg": "企业名称含有非法字符",
        "data": None,
        "traceId": "t-1",
    }
    assert s3 == 200  # another code: production's envelope, but not its status
    assert json.loads(b3) == {
        "code": "ED0020",
        "msg": "手机号格式错误",
        "data": None,
        "traceId": "t-1",
    }


def test_default_plan_and_rules_without_codes():
    rule = RuleSpec("POST /v1/pay", "name", "max_length", {"max": 3})
    gateway = MockGateway([rule], parse_plan({}))
    [(status, _, _, body)] = ask(
        gateway, ("POST", "/v1/pay?x=1", "application/json", b'{"name": "abcdef"}')
    )
    answer = json.loads(body)
    assert status == 200 and answer["code"] == "INVALID" and "at most 3 characters" in answer["msg"]


def test_status_path_reports_rules():
    [(status, _, _, body)] = ask(MockGateway(RULES, PLAN), ("GET", STATUS_PATH, None, b""))
    assert status == 200
    assert json.loads(body) == {"rules": 4, "endpoints": [UPDATE, OPEN], "plan": "simbank"}


@pytest.mark.parametrize("garbage", [b"{not json", b"\xff\xfe\x00", b""])
def test_bodies_that_do_not_parse_do_not_break_it(garbage):
    [(status, _, _, body)] = ask(
        MockGateway(RULES, PLAN), ("POST", "/openapi/v1/vaccount/open", "application/json", garbage)
    )
    assert status == 200 and json.loads(body)["code"] == "ED0001"  # nothing present: required fails
