"""Classifying responses: codes, messages, success learning, statuses; message normalizing."""

from __future__ import annotations

import pytest

from harness.codecs import decode
from harness.outcome.classify import Classified, Classifier
from harness.outcome.signature import normalize_message
from harness.plan import Plan, parse_plan

SIMBANK = parse_plan(
    {
        "success": {"status": [200], "code": ["000000"]},
        "response": {
            "code": ["code", "Response.Head.RspCode"],
            "message": ["msg", "Response.Head.RspMsg"],
        },
    }
)


def js(text: str):
    return decode(text.encode(), "application/json")


def xml(text: str):
    return decode(text.encode("gbk"), "text/xml; charset=GBK")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, js('{"code":"000000","msg":"成功"}'), Classified("accepted", "000000", "成功")),
        (
            200,
            js('{"code":"ED0012","msg":"企业名称含有非法字符"}'),
            Classified("rejected", "ED0012", "企业名称含有非法字符"),
        ),
        (
            200,
            xml(
                "<Response><Head><RspCode>ED0012</RspCode><RspMsg>注册地址含有非法字符</RspMsg></Head></Response>"
            ),
            Classified("rejected", "ED0012", "注册地址含有非法字符"),
        ),
        (200, js('{"data":{}}'), Classified("accepted", None, None)),
        (400, js('{"code":"E400","msg":"bad"}'), Classified("rejected", "E400", "bad")),
        (404, decode(b"", None), Classified("rejected", "404", None)),
        (
            503,
            js('{"code":"SYS","msg":"系统繁忙"}'),
            Classified("upstream_error", "SYS", "系统繁忙"),
        ),
        (502, decode(b"", None), Classified("upstream_error", "502", None)),
        (302, decode(b"", None), Classified("rejected", "302", None)),
    ],
)
def test_simbank_plan(status, body, expected):
    assert Classifier(SIMBANK).classify(status, [], body) == expected


def test_no_response_is_upstream_error():
    c = Classifier(SIMBANK)
    assert c.classify(None, [], None) == Classified("upstream_error", None, None)
    assert (
        c.classify(200, [], js('{"code":"000000"}'), error="read timeout").outcome
        == "upstream_error"
    )


def test_header_paths_and_shallowest_match():
    plan = parse_plan(
        {
            "response": {"code": ["header:X-Ret-Code", "RspCode"], "message": ["header:x-ret-msg"]},
            "success": {"code": ["0"]},
        }
    )
    c = Classifier(plan)
    v = c.classify(200, [("X-Ret-Code", "E1"), ("X-Ret-Msg", "no")], js("{}"))
    assert v == Classified("rejected", "E1", "no")
    body = xml(
        "<R><Body><Inner><RspCode>9</RspCode></Inner></Body><Head><RspCode>0</RspCode></Head></R>"
    )
    assert c.classify(200, {}, body).code == "0"  # the shallower RspCode


def test_default_keys_at_depth_one_and_two_case_insensitive():
    c = Classifier(Plan())
    assert c.code_of([], js('{"RetCode":"01","data":{"code":"x"}}')) == "01"
    assert c.code_of([], js('{"head":{"respCode":"77","respMsg":"m"}}')) == "77"
    assert c.message_of([], js('{"head":{"respCode":"77","respMsg":"m"}}')) == "m"
    assert c.code_of([], js('{"a":{"b":{"code":"deep"}}}')) is None  # depth 3
    assert c.code_of([], xml("<Response><Head><RspCode>ED1</RspCode></Head></Response>")) == "ED1"
    assert c.code_of([], js('{"code":0}')) == "0"
    assert c.code_of([], decode(b"plain", "text/plain")) is None


def test_learns_the_most_frequent_2xx_code_without_a_plan():
    c = Classifier()
    outcomes = [
        c.classify(200, [], js(f'{{"code":"{code}"}}')).outcome for code in ["A1", "A1", "E9", "A1"]
    ]
    assert outcomes == ["accepted", "accepted", "rejected", "accepted"]
    assert c.success_code == "A1"
    assert c.classify(500, [], js('{"code":"E5"}')) == Classified("rejected", "E5", None)
    assert c.codes["E5"] == 0  # only 2xx answers teach the success code


def test_conventional_success_code_wins_even_when_rarer():
    c = Classifier()
    assert (
        c.classify(200, [], js('{"code":"ED0012"}')).outcome == "accepted"
    )  # nothing better known yet
    for _ in range(2):
        c.classify(200, [], js('{"code":"ED0012"}'))
    assert c.classify(200, [], js('{"code":"000000"}')).outcome == "accepted"
    assert c.success_code == "000000"
    assert c.classify(200, [], js('{"code":"ED0012"}')).outcome == "rejected"


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        ("企业名称含有非法字符", "企业名称含有非法字符"),
        ("账户'6222020000000000000'不存在", "账户<v>不存在"),
        ("账户“演示公司”不存在", "账户<v>不存在"),
        ("金额 100.50 超过限额 50000", "金额#超过限额#"),
        ("系统繁忙 (traceId: a1b2c3d4e5)", "系统繁忙(traceId:<id>)"),
        ("联系 someone@example.com", "联系<v>"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_message(msg, expected):
    assert normalize_message(msg) == expected


def test_normalize_message_with_known_values():
    a = normalize_message("企业名称演示甲公司含有非法字符", values=["演示甲公司"])
    b = normalize_message("企业名称演示乙有限公司含有非法字符", values=["演示乙有限公司", "x"])
    assert a == b == "企业名称<v>含有非法字符"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # Success is any 2xx without a plan: a payments API that answers 201 or 202.
        (201, js('{"paymentId":"p-1","status":"ACCEPTED"}'), Classified("accepted", None, None)),
        (202, js("{}"), Classified("accepted", None, None)),
        # One generic error object: the code and message live one level down.
        (
            400,
            js('{"error":{"code":"FORMAT_ERROR","message":"Invalid request"}}'),
            Classified("rejected", "FORMAT_ERROR", "Invalid request"),
        ),
        # A result word with an error code beside it: the error code is the code.
        (
            200,
            js('{"result":"NG","errorCode":"E1203","errorMessage":"口座名義エラー"}'),
            Classified("rejected", "E1203", "口座名義エラー"),
        ),
        (200, js('{"result":"OK"}'), Classified("accepted", None, None)),
        # A failure word alone still means a rejection.
        (200, js('{"result":"NG"}'), Classified("rejected", "NG", None)),
        (200, js('{"success":false,"detail":"bad"}'), Classified("rejected", "false", "bad")),
        (201, js('{"status":"REJECTED"}'), Classified("rejected", "REJECTED", None)),
    ],
)
def test_no_plan_defaults_fit_other_conventions(status, body, expected):
    assert Classifier(Plan()).classify(status, {}, body) == expected
