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
from harness.mock import (
    RULE_HEADER,
    STATUS_PATH,
    STRICT_STATES,
    AnswerTemplate,
    MockGateway,
    make_app,
)
from harness.outcome.classify import Classifier
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


async def _ask(gateway: MockGateway, requests: Sequence[tuple]):
    port = free_port()
    runner = web.AppRunner(make_app(gateway))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    answers = []
    try:
        async with aiohttp.ClientSession() as session:
            for method, path, ctype, body, *more in requests:
                headers = {"Content-Type": ctype} if ctype else {}
                if more:
                    headers["Content-Encoding"] = more[0]
                async with session.request(
                    method, f"http://127.0.0.1:{port}{path}", data=body, headers=headers
                ) as r:
                    answers.append(
                        (r.status, r.headers.get("Content-Type"), dict(r.headers), await r.read())
                    )
    finally:
        await runner.cleanup()
    return answers


def ask(gateway: MockGateway, *requests: tuple):
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
    # No production answer to copy: a rejection is never a 2xx.
    assert status == 400 and ctype.startswith("application/json")
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
    gateway = MockGateway(RULES, PLAN, states=STRICT_STATES)
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
    gateway = MockGateway(RULES, PLAN, states=STRICT_STATES)
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


def test_confirmed_rules_by_default_strict_adds_suspected_and_retired_never_answers():
    by_default = MockGateway(RULES, PLAN)
    answers = ask(
        by_default,
        json_request(legalMobile="12345", enterpriseName="某某公司"),
        json_request(enterpriseName="ABC", remark="long remark"),
    )
    assert json.loads(answers[0][3])["code"] == "000000"  # the mobile rule is only suspected
    assert json.loads(answers[1][3])["code"] == "ED0012"
    strict = MockGateway(RULES, PLAN, states=STRICT_STATES)
    [(_, _, _, body)] = ask(strict, json_request(legalMobile="12345", enterpriseName="某某公司"))
    assert json.loads(body)["code"] == "ED0020"
    [(_, _, _, body)] = ask(strict, json_request(remark="long remark"))
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
        AnswerTemplate(
            OPEN,
            "accepted",
            "000000",
            200,
            "json",
            "utf-8",
            success.encode(),
            "application/json;charset=UTF-8",
        ),
        AnswerTemplate(
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
    gateway = MockGateway(RULES, PLAN, templates, states=STRICT_STATES)
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
    assert s3 == 422  # another code: production's envelope and status for rejections here
    assert json.loads(b3) == {
        "code": "ED0020",
        "msg": "手机号格式错误",
        "data": None,
        "traceId": "t-1",
    }


def test_default_plan_and_rules_without_codes():
    rule = RuleSpec("POST /v1/pay", "name", "max_length", {"max": 3}, state="confirmed")
    gateway = MockGateway([rule], parse_plan({}))
    [(status, _, _, body)] = ask(
        gateway, ("POST", "/v1/pay?x=1", "application/json", b'{"name": "abcdef"}')
    )
    answer = json.loads(body)
    assert status == 400 and answer["code"] == "INVALID" and "at most 3 characters" in answer["msg"]


def test_a_rule_without_a_code_answers_with_the_endpoints_generic_code():
    carried = RuleSpec(OPEN, "businessAddress", "forbidden_chars", {"chars": "()"})
    gateway = MockGateway([NAME, carried.but(state="confirmed", source="analogy")], PLAN)
    [(status, _, headers, body)] = ask(gateway, json_request(businessAddress="A路(1)号"))
    assert json.loads(body)["code"] == "ED0012"  # what production rejects this endpoint with
    assert headers[RULE_HEADER] == carried.key


def test_status_path_reports_rules():
    gateway = MockGateway(RULES, PLAN, states=STRICT_STATES)
    [(status, _, _, body)] = ask(gateway, ("GET", STATUS_PATH, None, b""))
    assert status == 200
    assert json.loads(body) == {"rules": 4, "endpoints": [UPDATE, OPEN], "plan": "simbank"}


REJECTION = AnswerTemplate(
    OPEN,
    "rejected",
    "ED0012",
    200,
    "json",
    "utf-8",
    json.dumps({"code": "ED0012", "msg": "企业名称含有非法字符"}, ensure_ascii=False).encode(),
    "application/json;charset=UTF-8",
)
MALFORMED = AnswerTemplate(
    OPEN,
    "rejected",
    "EA0400",
    400,
    "json",
    "utf-8",
    json.dumps({"code": "EA0400", "msg": "请求报文格式错误"}, ensure_ascii=False).encode(),
    "application/json;charset=UTF-8",
    role="malformed",
)
NOT_FOUND = AnswerTemplate(
    "GET /nope",
    "rejected",
    "EA0404",
    404,
    "json",
    "utf-8",
    json.dumps({"code": "EA0404", "msg": "接口不存在"}, ensure_ascii=False).encode(),
    "application/json;charset=UTF-8",
    role="not_found",
)


@pytest.mark.parametrize(
    "garbage", [b"{not json", b"\xff\xfe\x00", b"null", b"[1, 2]", b'"text"', b"\x00\x01\x02"]
)
def test_bodies_that_are_not_documents_get_the_malformed_rejection(garbage):
    request = ("POST", "/openapi/v1/vaccount/open", "application/json", garbage)
    [(status, _, headers, body)] = ask(MockGateway(RULES, PLAN, [REJECTION, MALFORMED]), request)
    assert (status, json.loads(body)["code"], headers[RULE_HEADER]) == (400, "EA0400", "malformed")
    # Without a captured malformed answer: the endpoint's rejection, never a success.
    [(status, _, _, body)] = ask(MockGateway(RULES, PLAN, [REJECTION]), request)
    assert (status, json.loads(body)["code"]) == (200, "ED0012")
    assert verdict(status, "application/json", body).outcome == "rejected"


def test_an_empty_body_is_checked_like_a_request_without_fields():
    request = ("POST", "/openapi/v1/vaccount/open", "application/json", b"")
    [(_, _, _, body)] = ask(MockGateway(RULES, PLAN, states=STRICT_STATES), request)
    assert json.loads(body)["code"] == "ED0001"  # nothing present: required fails


def test_content_encodings_are_undone_and_undecodable_ones_rejected():
    import gzip

    import brotli

    raw = json_request(enterpriseName="某某(中国)有限公司")
    gateway = MockGateway(RULES, PLAN, [REJECTION, MALFORMED])
    answers = ask(
        gateway,
        (*raw[:3], gzip.compress(raw[3]), "gzip"),
        (*raw[:3], brotli.compress(raw[3]), "br"),
        (*raw[:3], b"not brotli at all", "br"),
        (*raw[:3], raw[3], "x-unknown"),
    )
    assert [json.loads(a[3])["code"] for a in answers] == ["ED0012", "ED0012", "EA0400", "EA0400"]
    assert all(a[0] != 500 for a in answers)


def test_an_unknown_route_gets_a_404_in_the_gateways_style():
    gateway = MockGateway(RULES, PLAN, [REJECTION, NOT_FOUND])
    [(status, _, headers, body)] = ask(
        gateway, ("POST", "/openapi/v2/nope", "application/json", b"{}")
    )
    assert (status, json.loads(body)["code"], headers[RULE_HEADER]) == (404, "EA0404", "not-found")
    # No captured 404: production's rejection envelope and code, with status 404.
    [(status, _, _, body)] = ask(MockGateway(RULES, PLAN, [REJECTION]), ("GET", "/nope", None, b""))
    assert status == 404 and json.loads(body)["code"] == "ED0012"
