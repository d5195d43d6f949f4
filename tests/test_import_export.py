"""``harness import`` of a mitmproxy flow file and a HAR file goes through the live
capture's path: nothing raw reaches the store (every byte of the store's files is
scanned), and the rows equal those a real proxy captured from the same exchanges.
``harness flows export --format har`` writes them back, sanitized."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from mitmproxy import http
from mitmproxy import io as mitm_io
from mitmproxy.test import tflow

from harness.store import open_store
from harness.store.queries import list_exchanges
from tests.support.procs import HARNESS, free_port, running, stop
from tests.support.upstream import upstream

KEY = {"HARNESS_KEY": "1d" * 32}
NAME = "乙(中国)有限公司"
MOBILE = "13812345678"
ID_NUMBER = "11010519491231002X"
CANARIES = [NAME, MOBILE, ID_NUMBER, "甲某某"]
PLAN = {
    "success": {"code": ["000000"]},
    "sensitive": {"fields": ["enterpriseName", "mobile", "idNo", "EntName", "legalName"]},
}

REQUESTS = [
    ("/openapi/v1/account/open", "application/json",
     json.dumps({"enterpriseName": NAME, "mobile": MOBILE, "idNo": ID_NUMBER},
                ensure_ascii=False).encode()),
    ("/openapi/v1/account/open", "application/json",
     json.dumps({"enterpriseName": "甲某某科技有限公司", "mobile": MOBILE}, ensure_ascii=False).encode()),
    ("/xml", "application/xml; charset=GBK",
     f'<?xml version="1.0" encoding="GBK"?><Request><EntName>{NAME}</EntName></Request>'.encode("gbk")),
]  # fmt: skip


def _send(base: str) -> list[tuple[str, str, bytes, int, list[tuple[str, str]], bytes]]:
    """Each request through ``base``; what was sent and what came back."""
    seen = []
    for path, ctype, body in REQUESTS:
        req = urllib.request.Request(
            f"{base}{path}", data=body, headers={"Content-Type": ctype}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, headers, data = r.status, list(r.headers.items()), r.read()
        except urllib.error.HTTPError as exc:
            status, headers, data = exc.code, list(exc.headers.items()), exc.read()
        seen.append((path, ctype, body, status, headers, data))
        time.sleep(0.01)  # distinct times: the same order in every store
    return seen


def _flows(seen, host: str, port: int) -> list[http.HTTPFlow]:
    out = []
    start = time.time() - 60
    for i, (path, ctype, body, status, headers, data) in enumerate(seen):
        f = tflow.tflow(resp=True)
        f.request = http.Request.make(
            "POST",
            f"http://{host}:{port}{path}",
            body,
            http.Headers([(b"Content-Type", ctype.encode())]),
        )
        f.request.timestamp_start = f.request.timestamp_end = start + i
        f.response = http.Response.make(
            status, data, http.Headers([(k.encode(), v.encode()) for k, v in headers])
        )
        f.response.timestamp_start = f.response.timestamp_end = start + i + 0.05
        out.append(f)
    return out


def _har(seen, host: str, port: int) -> dict:
    entries = []
    for i, (path, ctype, body, status, headers, data) in enumerate(seen):
        mime = dict((k.lower(), v) for k, v in headers).get("content-type", "")
        charset = "gbk" if "gbk" in mime.lower() else "utf-8"
        entries.append(
            {
                "startedDateTime": f"2026-11-24T08:00:0{i}.000Z",
                "time": 50,
                "request": {
                    "method": "POST",
                    "url": f"http://{host}:{port}{path}",
                    "headers": [{"name": "Content-Type", "value": ctype},
                                {"name": ":authority", "value": host}],
                    "postData": {"mimeType": ctype,
                                 "text": body.decode("gbk" if "GBK" in ctype else "utf-8")},
                },
                "response": {
                    "status": status,
                    "headers": [{"name": k, "value": v} for k, v in headers]
                    + [{"name": "Content-Encoding", "value": "gzip"}],  # undone by the browser
                    "content": {"mimeType": mime, "text": data.decode(charset)},
                },
            }
        )  # fmt: skip
    entries.append(  # the gateway never answered
        {
            "startedDateTime": "2026-11-24T08:00:09.000Z",
            "time": 3000,
            "request": {"method": "GET", "url": f"http://{host}:{port}/status", "headers": []},
            "response": {"status": 0, "headers": [], "content": {}, "_error": "net::ERR_FAILED"},
        }
    )
    return {"log": {"version": "1.2", "creator": {"name": "test"}, "entries": entries}}


def _rows(db: Path) -> list:
    factory = open_store(str(db), create=False)
    with factory() as s:
        rows = list_exchanges(s, limit=None, newest_first=False)
    factory.kw["bind"].dispose()
    return rows


def _view(x) -> tuple:
    return (
        x.endpoint,
        x.outcome,
        x.code,
        x.message,
        x.request_fields,
        x.response_fields,
        x.request_body,
    )


def _raw_in(db: Path) -> list[str]:
    data = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    found = []
    for value in CANARIES:
        for enc in ("utf-8", "gbk", "utf-16-le"):
            if value.encode(enc) in data:
                found.append(f"{value} ({enc})")
        if base64.b64encode(value.encode()) in data:
            found.append(f"{value} (base64)")
    return found


def harness(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HARNESS, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **KEY}
    )


def test_imports_store_nothing_raw_and_classify_like_live_capture(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN))
    live = tmp_path / "live.db"
    port = free_port()
    with upstream() as up:
        args = [HARNESS, "proxy", "--upstream", up, "--listen-port", str(port)]
        with running([*args, "--db", str(live), "--plan", str(plan)], port=port, env=KEY) as p:
            seen = _send(f"http://127.0.0.1:{port}")
            assert stop(p) == 0
            p.stdout.close()
    up_port = int(up.rsplit(":", 1)[1])
    flows = tmp_path / "day.mitm"
    with flows.open("wb") as f:
        writer = mitm_io.FlowWriter(f)
        for flow in _flows(seen, "127.0.0.1", up_port):
            writer.add(flow)
    har = tmp_path / "day.har"
    har.write_text(json.dumps(_har(seen, "127.0.0.1", up_port), ensure_ascii=False))

    for source, name in ((flows, "mitm"), (har, "har")):
        db = tmp_path / f"{name}.db"
        res = harness("import", str(source), "--db", str(db), "--plan", str(plan), "--json")
        assert res.returncode == 0, res.stderr
        report = json.loads(res.stdout)
        assert report["format"] == name and report["errors"] == 0
        assert _raw_in(db) == [], name
        rows = _rows(db)
        assert {r.instance for r in rows} == {"import"}
        # Same key, same plan, same path: the same rows as the live capture.
        assert [_view(r) for r in rows[: len(seen)]] == [_view(r) for r in _rows(live)]
        assert [r.outcome for r in rows[: len(seen)]] == ["rejected", "accepted", "rejected"]
    [failed] = _rows(tmp_path / "har.db")[len(seen) :]
    assert failed.outcome == "upstream_error" and failed.status is None
    assert _raw_in(live) == []

    # Export what the store holds: sanitized, a valid HAR, and it imports again.
    out = tmp_path / "out.har"
    res = harness(
        "flows", "export", "--format", "har", "--db", str(tmp_path / "mitm.db"), "-o", str(out)
    )
    assert res.returncode == 0, res.stderr
    assert (out.stat().st_mode & 0o077) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    entries = doc["log"]["entries"]
    assert doc["log"]["version"] == "1.2" and len(entries) == len(seen)
    assert [e["_harness"]["outcome"] for e in entries] == ["rejected", "accepted", "rejected"]
    assert [e["_harness"]["code"] for e in entries] == ["ED0012", "000000", "ED0012"]
    text = out.read_text(encoding="utf-8")
    assert not [c for c in CANARIES if c in text]
    res = harness("import", str(out), "--db", str(tmp_path / "again.db"), "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["stored"] == len(seen)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "neither a HAR file nor a mitmproxy flow file"),
        (b"hello", "neither a HAR file nor a mitmproxy flow file"),
        (b'{"log": {}}', "not a HAR file"),
        (b"{not json", "not a readable HAR file"),
    ],
)
def test_bad_files_are_one_line_and_store_nothing(tmp_path, content, message):
    bad = tmp_path / "bad"
    bad.write_bytes(content)
    res = harness("import", str(bad), "--db", str(tmp_path / "h.db"))
    assert res.returncode == 1 and message in res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    res = harness("import", str(tmp_path / "missing.har"), "--db", str(tmp_path / "h.db"))
    assert res.returncode == 1 and "no such file" in res.stderr


def test_a_flow_file_damaged_halfway_keeps_what_came_before(tmp_path):
    path = tmp_path / "cut.mitm"
    seen = [(p, c, b, 200, [("Content-Type", "application/json")], b'{"code":"000000"}')
            for p, c, b in REQUESTS[:2]] * 3  # fmt: skip
    with path.open("wb") as f:
        writer = mitm_io.FlowWriter(f)
        for flow in _flows(seen, "127.0.0.1", 9):
            writer.add(flow)
    whole = path.read_bytes()
    path.write_bytes(whole + b"123:garbage")
    res = harness("import", str(path), "--db", str(tmp_path / "h.db"))
    assert res.returncode == 1 and res.stderr.count("\n") == 1
    assert "6 imported" in res.stderr
    assert len(_rows(tmp_path / "h.db")) == 6
