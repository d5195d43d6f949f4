"""Canary without any plan: personal data sent through the real proxy appears nowhere at rest.

No plan names a field. Names (Chinese, with a compound surname; Latin), addresses, phone
numbers outside the mainland format, formatted identifiers, an IBAN and an unknown secret
header go through the real `harness proxy` in UTF-8 JSON, GBK XML, a GBK form, a text
body, the query string and headers, and come back in the upstream's echoes; a malformed
upstream answer quoting a name lands in the error column. Every file the harness wrote
(the store, its WAL, spools, fallback spools) and the proxy's log are scanned as bytes for
every raw value in every encoding it could take.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.capture.spool import fallback_spool_path
from harness.store import open_store
from harness.store.queries import list_exchanges
from tests.support.procs import HARNESS, free_port, running, stop
from tests.support.upstream import upstream

LEGAL = "欧阳娜娜"  # compound surname
CONTACT = "王小明"
COMPANY = "鼎盛恒通(中国)有限公司"
PAYER = "Hans-Peter Müller"
HOLDER = "SIOBHAN O'BRIEN"
ADDRESS = "福建省厦门市思明区鹭江道8号(A座)"
LATIN_ADDRESS = "221B Baker Street, London"
MOBILE_FMT = "138-1234-5678"
CARD_FMT = "6222 0212 3456 7890 128"
ID_FMT = "110105 19491231 002X"
JP_MOBILE = "+81 90-1234-5678"
FR_MOBILE = "0612345678"
IBAN_FMT = "DE89 3704 0044 0532 0130 00"
SECRET = "s3cr3t-Canary-7f3e"
RAW = [
    LEGAL,
    CONTACT,
    COMPANY,
    PAYER,
    HOLDER,
    ADDRESS,
    LATIN_ADDRESS,
    MOBILE_FMT,
    CARD_FMT,
    ID_FMT,
    JP_MOBILE,
    FR_MOBILE,
    IBAN_FMT,
    SECRET,
]


def _forms(value: str) -> set[bytes]:
    """Every way a value can be written to disk or a log."""
    out = {value.encode("utf-8"), json.dumps(value)[1:-1].encode("ascii")}
    out.add(repr(value.encode("utf-8"))[2:-1].encode("ascii"))  # b'\xe6...' in an error
    out.add(urllib.parse.quote(value, safe="").encode("ascii"))
    out.add(urllib.parse.quote_plus(value).encode("ascii"))
    try:
        gbk = value.encode("gbk")
        out.add(gbk)
        out.add(urllib.parse.quote_from_bytes(gbk, safe="").encode("ascii"))
    except UnicodeEncodeError:
        pass
    bare = value.replace(" ", "").replace("-", "")
    if bare != value and len(bare) >= 8:
        out.add(bare.encode("ascii", "ignore"))  # a formatted identifier, compact
    return out


def _assert_clean(blob: bytes, where: str) -> None:
    for value in RAW:
        for needle in _forms(value):
            assert needle not in blob, f"raw {value!r} ({needle!r}) found in {where}"


def _post(url: str, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> int:
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": ctype, **(headers or {})}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def _send(base: str) -> list[int]:
    query = urllib.parse.urlencode({"name": LEGAL, "mobile": "13912345678", "page": "2"})
    body = {
        "legalPersonName": LEGAL,
        "payerName": PAYER,
        "acctHolder": HOLDER,
        "regAddress": ADDRESS,
        "deliverTo": LATIN_ADDRESS,
        "beneficiaryAccount": IBAN_FMT,
        "intlPhone": JP_MOBILE,
        "misc": CONTACT,
        "note": f"联系 {MOBILE_FMT}，卡 {CARD_FMT}，证 {ID_FMT}，备用 {FR_MOBILE}",
        "amount": "100.00",
    }
    headers = {"X-Secret": SECRET, "X-Customer-Name": urllib.parse.quote(LEGAL)}
    xml = (
        '<?xml version="1.0" encoding="GBK"?><Request><Body>'
        f"<EntName>{COMPANY}</EntName><FRXM>{LEGAL}</FRXM><Addr>{ADDRESS}</Addr>"
        "</Body></Request>"
    ).encode("gbk")
    form = urllib.parse.urlencode(
        {"khmc": CONTACT, "lxdh": MOBILE_FMT, "dz": ADDRESS, "bz": f"证件 {ID_FMT}"},
        encoding="gbk",
    ).encode("ascii")
    text = f"客户{LEGAL}住在{ADDRESS}，电话{MOBILE_FMT}，账户{IBAN_FMT}".encode()
    return [
        _post(
            f"{base}/echo?{query}",
            json.dumps(body, ensure_ascii=False).encode(),
            "application/json",
            headers,
        ),
        _post(f"{base}/xml", xml, "application/xml; charset=GBK"),
        _post(f"{base}/form", form, "application/x-www-form-urlencoded; charset=GBK"),
        _post(f"{base}/echo", text, "text/plain; charset=utf-8"),
    ]


@contextmanager
def malformed_upstream() -> Iterator[str]:
    """An upstream whose status line quotes a name: mitmproxy's error quotes it back."""
    port = free_port()
    loop = asyncio.new_event_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(b"HTTP/1.1 2OO " + LEGAL.encode() + b"\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", port))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


def _proxy(up: str, db: Path) -> tuple[int, list[str]]:
    port = free_port()
    return port, [HARNESS, "proxy", "--upstream", up, "--listen-port", str(port), "--db", str(db)]


@pytest.mark.slow
def test_without_a_plan_no_raw_personal_value_is_at_rest(tmp_path):
    db = tmp_path / "noplan.db"
    env = {"HARNESS_KEY": "d5" * 32}
    logs = []
    with upstream() as up:
        port, args = _proxy(up, db)
        with running(args, port=port, env=env) as proc:
            assert _send(f"http://127.0.0.1:{port}") == [200, 200, 200, 200]
            assert stop(proc, signal.SIGTERM, timeout=60) == 0
            logs.append(proc.stdout.read())
            proc.stdout.close()
    with malformed_upstream() as bad:
        port, args = _proxy(bad, db)
        with running(args, port=port, env=env) as proc:
            assert _post(f"http://127.0.0.1:{port}/x", b"{}", "application/json") == 502
            assert stop(proc, signal.SIGTERM, timeout=60) == 0
            logs.append(proc.stdout.read())
            proc.stdout.close()

    factory = open_store(str(db), create=False)
    with factory() as s:
        rows = list_exchanges(s, limit=None, newest_first=False)
    factory.kw["bind"].dispose()
    assert len(rows) == 5, logs
    assert rows[-1].outcome == "upstream_error" and "Bad HTTP" in (rows[-1].error or "")
    assert ["X-Secret", "[redacted]"] in [list(h) for h in rows[0].request_headers]
    assert rows[0].request_fields["amount"] == "100.00"  # not personal: kept
    assert "legalPersonName" in rows[0].notes["pseudonymized"]

    for i, log in enumerate(logs):
        _assert_clean(log.encode("utf-8"), f"proxy log {i}")
    written = [p for p in tmp_path.iterdir() if p.is_file()]
    written += [fallback_spool_path(tmp_path / "noplan.spool")]
    for path in written:
        if path.exists():
            _assert_clean(path.read_bytes(), path.name)
    assert any(p.name == "noplan.db" for p in written)
    assert all(os.stat(p).st_mode & 0o077 == 0 for p in written if p.exists())
