"""Canary: raw customer values sent through the real proxy appear nowhere at rest.

The database file (and its -wal/-shm), the spool (filled while the store is locked) and
the proxy's log are scanned as bytes, UTF-8 and GBK, for every raw value; the stored
values keep their length, punctuation, character classes and check characters.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
import urllib.request

import pytest

from harness.capture.spool import Spool
from harness.store import open_store
from harness.store.queries import list_exchanges
from harness.text.charclass import classes
from harness.text.checksums import is_credit_code, is_id_number, is_luhn, is_mobile
from tests.support.procs import HARNESS, free_port, running, stop
from tests.support.upstream import upstream

NAME = "鼎盛恒通(中国)有限公司"  # half-width parentheses, in a plan-sensitive field
ADDRESS = "福建省厦门市思明区鹭江道8号(A座)"
LEGAL = "欧阳娜娜"
MOBILE = "13912345678"
ID_NUMBER = "11010519491231002X"
CREDIT_CODE = "91350100M000100Y43"
CARD = "6222020200001234562"
EMAIL = "zhang.wei@example.cn"
TOKEN = "tok-SECRET-9f8e7d6c"
RAW = [NAME, ADDRESS, LEGAL, MOBILE, ID_NUMBER, CREDIT_CODE, CARD, EMAIL, TOKEN]

PLAN = """\
name: canary
success: {status: [200], code: ["000000"]}
response:
  code: [code, Response.Head.RspCode]
  message: [msg, Response.Head.RspMsg]
sensitive:
  fields: [enterpriseName, legalName, businessAddress, EntName, RegAddress, ContactName]
"""


def _needles(value: str) -> list[bytes]:
    out = {value.encode("utf-8"), json.dumps(value)[1:-1].encode("ascii")}
    out.add(value.encode("gbk"))  # every canary value is in GBK
    return sorted(out)


def _assert_clean(blob: bytes, where: str) -> None:
    for value in RAW:
        for needle in _needles(value):
            assert needle not in blob, f"raw value {value!r} found in {where}"


def _json_request() -> bytes:
    body = {
        "enterpriseName": NAME,
        "legalName": LEGAL,
        "legalMobile": MOBILE,
        "legalIdNo": ID_NUMBER,
        "creditCode": CREDIT_CODE,
        "bindCardNo": CARD,
        "contactEmail": EMAIL,
        "businessAddress": ADDRESS,
        "amount": 100.00,
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _xml_request() -> bytes:
    return (
        '<?xml version="1.0" encoding="GBK"?>\n<Request><Head><TxCode>OPEN</TxCode></Head><Body>'
        f"<EntName>{NAME}</EntName><RegAddress>{ADDRESS}</RegAddress><ContactName>{LEGAL}</ContactName>"
        f"<ContactMobile>{MOBILE}</ContactMobile><LegalIdNo>{ID_NUMBER}</LegalIdNo></Body></Request>"
    ).encode("gbk")


def _send(base: str) -> list[int]:
    calls = [
        (f"/openapi/v1/account/open?mobile={MOBILE}", _json_request(), "application/json"),
        ("/echo", _json_request(), "application/json; charset=utf-8"),
        ("/xml", _xml_request(), "application/xml; charset=GBK"),
    ]
    statuses = []
    for path, body, ctype in calls:
        req = urllib.request.Request(
            base + path,
            data=body,
            headers={"Content-Type": ctype, "Authorization": f"Bearer {TOKEN}"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            statuses.append(resp.status)
            answer = resp.read()
        if path == "/xml":
            assert NAME in answer.decode("gbk")  # the client still gets the raw answer
    return statuses


def _same_shape(raw: str, stored: str) -> None:
    assert stored != raw
    assert len(stored) == len(raw)
    assert len(stored.encode("gbk")) == len(raw.encode("gbk"))
    for a, b in zip(raw, stored, strict=True):
        if not (a.isalnum() or "\u4e00" <= a <= "\u9fff"):
            assert a == b, f"punctuation {a!r} changed in {raw!r}"
        assert classes(a) == classes(b), f"{a!r} -> {b!r} changes class"


@pytest.mark.slow
def test_no_raw_value_at_rest_and_shapes_survive(tmp_path):
    plan = tmp_path / "canary.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    db = tmp_path / "canary.db"
    spool = tmp_path / "canary.spool"
    port = free_port()
    with upstream() as up:
        args = [
            HARNESS,
            "proxy",
            "--upstream",
            up,
            "--listen-port",
            str(port),
            "--db",
            str(db),
            "--plan",
            str(plan),
        ]
        with running(args, port=port, env={"HARNESS_KEY": "c4" * 32}) as proc:
            base = f"http://127.0.0.1:{port}"
            assert _send(base) == [200, 200, 200]
            # The store is locked by another writer: the next exchanges go to the spool.
            lock = sqlite3.connect(db, timeout=30, isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            try:
                assert _send(base) == [200, 200, 200]
                deadline = time.monotonic() + 60
                while len(Spool(spool)) < 3:
                    assert time.monotonic() < deadline, "nothing reached the spool"
                    time.sleep(0.1)
                _assert_clean(spool.read_bytes(), "the spool")
            finally:
                lock.execute("ROLLBACK")
                lock.close()
            assert _send(base) == [200, 200, 200]
            assert stop(proc, signal.SIGTERM, timeout=60) == 0
            log = proc.stdout.read()
            proc.stdout.close()

    _assert_clean(log.encode("utf-8"), "the proxy log")
    files = [p for p in tmp_path.iterdir() if p.name.startswith("canary.") and p.suffix != ".yaml"]
    assert db in files
    for path in files:
        _assert_clean(path.read_bytes(), path.name)

    factory = open_store(str(db), create=False)
    with factory() as s:
        rows = list_exchanges(s, limit=None, newest_first=False)
    factory.kw["bind"].dispose()
    assert len(rows) == 9
    assert not Spool(spool).exists()  # back-filled

    opened = [x for x in rows if x.endpoint == "POST /openapi/v1/account/open"]
    assert len(opened) == 3 and {x.code for x in opened} == {"ED0012"}
    f = opened[0].request_fields
    for key, raw in [
        ("enterpriseName", NAME),
        ("legalName", LEGAL),
        ("businessAddress", ADDRESS),
        ("legalMobile", MOBILE),
        ("legalIdNo", ID_NUMBER),
        ("creditCode", CREDIT_CODE),
        ("bindCardNo", CARD),
        ("contactEmail", EMAIL),
    ]:
        _same_shape(raw, f[key])
    assert is_mobile(f["legalMobile"]) and is_id_number(f["legalIdNo"])
    assert is_credit_code(f["creditCode"]) and is_luhn(f["bindCardNo"])
    assert f["enterpriseName"][4] == "(" and f["enterpriseName"][7] == ")"
    assert f["enterpriseName"] in opened[0].message  # the echo carries the same pseudonym
    assert all(f == x.request_fields for x in opened)  # deterministic across exchanges
    assert ["Authorization", "[redacted]"] in [list(h) for h in opened[0].request_headers]

    xml = [x for x in rows if x.endpoint == "POST /xml"]
    assert {x.request_charset for x in xml} == {"gbk"}
    ent = xml[0].request_fields["Request.Body.EntName"]
    _same_shape(NAME, ent)
    assert ent == f["enterpriseName"]  # the same raw value, the same pseudonym, in any format
    assert ent.encode("gbk") in xml[0].response_body  # echoed in the GBK answer, scrubbed
