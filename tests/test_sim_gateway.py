"""The gateway without HTTP: routing, parsing, signatures, busy answers, reply shapes."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from harness.errors import ConfigError
from harness.sim import signature
from harness.sim.bank import load_bank
from harness.sim.checks import is_luhn
from harness.sim.gateway import Gateway
from tests.support.sim import traffic

BANK = load_bank()
REQS = traffic(60, seed=11, flaw_rate=0.0)
OPEN = next(r for r in REQS if r.endpoint == "vaccount_open")
TRANSFER = next(r for r in REQS if r.endpoint == "transfer")
UPDATE = next(r for r in REQS if r.endpoint == "enterprise_update")


def handle(gw: Gateway, req, sig: str | None = None, body: bytes | None = None):
    return gw.handle(
        req.method, req.path, req.headers["Content-Type"], sig, req.body if body is None else body
    )


def test_success_json_reply():
    gw = Gateway(BANK, "prod")
    first, second = handle(gw, OPEN), handle(gw, OPEN)
    assert first.status == 200 and first.content_type.startswith("application/json")
    doc = json.loads(first.body)
    assert doc["code"] == "000000" and doc["msg"] == "成功"
    assert set(doc["data"]) == {"accountNo", "serialNo", "timestamp"}
    assert is_luhn(doc["data"]["accountNo"])
    again = json.loads(second.body)["data"]
    assert again["accountNo"] == doc["data"]["accountNo"]  # derived from the request
    assert again["serialNo"] != doc["data"]["serialNo"]  # new every call
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", doc["data"]["timestamp"])
    assert set(json.loads(handle(gw, TRANSFER).body)["data"]) == {"serialNo", "timestamp"}


def test_xml_reply_is_gbk():
    gw = Gateway(BANK, "prod")
    bad = UPDATE.body.replace("（".encode("gbk"), b"(").replace("）".encode("gbk"), b")")
    for body, code, msg in ((UPDATE.body, "000000", "成功"), (bad, None, None)):
        reply = handle(gw, UPDATE, body=body)
        assert reply.content_type == "application/xml; charset=GBK"
        text = reply.body.decode("gbk")
        assert text.startswith('<?xml version="1.0" encoding="GBK"?><Response><Head><RspCode>')
        assert re.search(r"<RspTime>\d{14}</RspTime><SerialNo>SN\d{20}</SerialNo>", text)
        if code:
            assert f"<RspCode>{code}</RspCode><RspMsg>{msg}</RspMsg>" in text


def test_halfwidth_enterprise_name_in_xml():
    gw = Gateway(BANK, "prod")
    doc = UPDATE.body.decode("gbk")
    name = re.search(r"<EntName>([^<]*)</EntName>", doc).group(1)
    body = doc.replace(name, "华瑞(中国)科技有限公司").encode("gbk")
    text = handle(gw, UPDATE, body=body).body.decode("gbk")
    assert "<RspCode>EX0012</RspCode><RspMsg>企业名称含有非法字符</RspMsg>" in text
    assert handle(Gateway(BANK, "staging"), UPDATE, body=body).outcome.accepted


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("POST", "/openapi/v1/nothing", 404, "EA0404"),
        ("GET", "/openapi/v1/transfer", 405, "EA0405"),
    ],
)
def test_unrouted(method, path, status, code):
    reply = Gateway(BANK, "prod").handle(method, path, None, None, b"")
    assert reply.status == status and json.loads(reply.body)["code"] == code


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", "{}".encode("utf-16"), b'{"a": "\xff"}'],
)
def test_malformed_json(body):
    reply = handle(Gateway(BANK, "staging"), OPEN, body=body)
    assert reply.status == 400 and json.loads(reply.body) == {
        "code": "EA0400",
        "msg": "请求报文格式错误",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"<Request><Body>",
        b"<Other/>",
        '<?xml version="1.0" encoding="GBK"?><Request>中</Request>'.encode()[:-3] + b"\xff",
    ],
)
def test_malformed_xml(body):
    reply = handle(Gateway(BANK, "prod"), UPDATE, body=body)
    assert reply.status == 400 and "<RspCode>EA0400</RspCode>" in reply.body.decode("gbk")


def test_xml_without_declaration_uses_the_content_type_charset():
    gw = Gateway(BANK, "prod")
    text = UPDATE.body.decode("gbk").split("?>", 1)[1]
    assert gw.handle(
        "POST", UPDATE.path, "application/xml; charset=GBK", None, text.encode("gbk")
    ).outcome.accepted
    assert gw.handle(
        "POST", UPDATE.path, "application/xml", None, text.encode("utf-8")
    ).outcome.accepted


def test_non_string_json_values_are_checked_as_their_text():
    fields = json.loads(TRANSFER.body)
    fields["amount"] = 12.345
    reply = handle(Gateway(BANK, "prod"), TRANSFER, body=json.dumps(fields).encode())
    assert reply.outcome.rule == "transfer.amount.decimal"
    fields["amount"] = None  # null is absent
    reply = handle(Gateway(BANK, "prod"), TRANSFER, body=json.dumps(fields).encode())
    assert reply.outcome.rule == "transfer.amount.required"
    assert json.loads(reply.body)["msg"] == "金额不能为空"


def test_signature_verification_on_and_off():
    key = "k3y"
    good = signature.sign(key, OPEN.body)
    checking = Gateway(BANK, "prod", sign_key=key)
    assert handle(checking, OPEN, good).outcome.accepted
    assert handle(checking, OPEN, good.upper()).outcome.accepted
    for sig in (
        None,
        "",
        signature.sign("other", OPEN.body),
        good[:-1] + ("0" if good[-1] != "0" else "1"),
    ):
        reply = handle(checking, OPEN, sig)
        assert reply.status == 200 and json.loads(reply.body) == {
            "code": "EA0101",
            "msg": "签名验证失败",
        }
    # the signature covers the bytes: any change to the body breaks it
    assert handle(checking, OPEN, good, body=OPEN.body + b" ").outcome.reason == "signature"
    assert handle(Gateway(BANK, "prod"), OPEN, None).outcome.accepted


def test_busy_answers_are_deterministic_under_the_seed():
    reqs = traffic(400, seed=5)
    a = Gateway(BANK, "prod", error_rate=0.2, seed=1)
    b = Gateway(BANK, "prod", error_rate=0.2, seed=1)
    c = Gateway(BANK, "prod", error_rate=0.2, seed=2)
    flaky_a = [handle(a, r).outcome.reason == "flaky" for r in reqs]
    assert flaky_a == [handle(b, r).outcome.reason == "flaky" for r in reqs]
    assert flaky_a != [handle(c, r).outcome.reason == "flaky" for r in reqs]
    assert 40 <= sum(flaky_a) <= 120  # 20% of 400
    statuses = Counter(handle(a, r).status for r, f in zip(reqs, flaky_a, strict=True) if f)
    assert set(statuses) == {503, 400} and statuses[503] > statuses[400]
    busy = next(
        r
        for r, f in zip(reqs, flaky_a, strict=True)
        if f and "json" in r.headers.get("Content-Type", "")
    )
    assert "系统繁忙" in json.loads(handle(a, busy).body)["msg"]


def test_no_busy_answers_by_default():
    assert all(
        handle(Gateway(BANK, "prod"), r).outcome.reason != "flaky" for r in traffic(200, seed=5)
    )


@pytest.mark.parametrize(("role", "rate"), [("uat", 0.0), ("prod", 1.5), ("prod", -0.1)])
def test_bad_gateway_options(role, rate):
    with pytest.raises(ConfigError):
        Gateway(BANK, role, error_rate=rate)
