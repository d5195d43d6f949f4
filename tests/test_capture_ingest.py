"""The ingest process, driven through its real stdin with the proxy's frames."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.capture.frames import frame
from harness.capture.spool import Spool
from harness.store import open_store
from harness.store.queries import list_exchanges
from tests.support.procs import free_port

KEY_HEX = "3c" * 32
PLAN = """\
name: testbank
upstream: http://127.0.0.1:9
success: {status: [200], code: ["000000"]}
response:
  code: [code, Response.Head.RspCode]
  message: [msg, Response.Head.RspMsg]
sensitive:
  fields: [enterpriseName, EntName, legalName, businessAddress]
  headers: [x-bank-token]
endpoints: ["POST /v1/enterprise/{id}/update"]
time_header: X-Sim-Time
"""
NAME = "鼎盛恒通(中国)有限公司"
T0 = 1_764_000_000.0


def rec(
    path: bytes = b"/echo",
    method: bytes = b"POST",
    body: bytes | None = b"",
    ctype: bytes = b"application/json",
    status: int | None = 200,
    resp_body: bytes | None = b'{"code":"000000","msg":"ok"}',
    resp_ctype: bytes = b"application/json",
    error: str | None = None,
    req_headers: tuple = (),
    resp_headers: tuple = (),
    req_truncated: bool = False,
    resp_truncated: bool = False,
    ts: float = T0,
) -> dict:
    """A raw record, as harness.capture.addon.record builds it."""
    return {
        "v": 1,
        "ts": ts,
        "client": "127.0.0.1:40000",
        "method": method,
        "scheme": b"http",
        "host": "127.0.0.1",
        "port": 18080,
        "path": path,
        "req_headers": ((b"content-type", ctype), *req_headers),
        "req_body": body,
        "req_size": len(body or b"") * (3 if req_truncated else 1),
        "req_truncated": req_truncated,
        "status": status,
        "resp_headers": ((b"content-type", resp_ctype), *resp_headers)
        if status is not None
        else (),
        "resp_body": resp_body if status is not None else None,
        "resp_size": len(resp_body or b"") if status is not None else 0,
        "resp_truncated": resp_truncated,
        "t_end": ts + 0.25,
        "error": error,
    }


@pytest.fixture
def plan(tmp_path) -> str:
    p = tmp_path / "plan.yaml"
    p.write_text(PLAN, encoding="utf-8")
    return str(p)


def ingest(
    db: str, recs, *, plan: str | None = None, spool: Path | None = None, timeout: float = 60
):
    """Run the ingest process on these frames to EOF; returns (exit code, stderr text)."""
    cmd = [sys.executable, "-m", "harness.capture.ingest", "--db", db]
    if plan:
        cmd += ["--plan", plan]
    if spool:
        cmd += ["--spool", str(spool)]
    proc = subprocess.run(
        cmd,
        input=b"".join(frame(r) for r in recs),
        capture_output=True,
        env={**os.environ, "HARNESS_KEY": KEY_HEX},
        timeout=timeout,
    )
    return proc.returncode, proc.stderr.decode("utf-8", "replace")


def rows(db: str):
    factory = open_store(db, create=False)
    with factory() as s:
        got = list_exchanges(s, limit=None, newest_first=False)
    factory.kw["bind"].dispose()
    return got


def test_json_exchange_is_sanitized_classified_and_stored(tmp_path, plan):
    db = str(tmp_path / "h.db")
    body = json.dumps(
        {"enterpriseName": NAME, "amount": 100.00, "legalMobile": "13912345678"}, ensure_ascii=False
    ).encode()
    answer = json.dumps(
        {"code": "ED0012", "msg": f"企业名称含有非法字符: {NAME}"}, ensure_ascii=False
    ).encode()
    code, err = ingest(
        db,
        [
            rec(
                path=b"/v1/enterprise/8812/update?mobile=13912345678",
                body=body,
                resp_body=answer,
                req_headers=((b"x-bank-token", b"tok-123"),),
            )
        ],
        plan=plan,
    )
    assert code == 0, err
    (x,) = rows(db)
    assert x.endpoint == "POST /v1/enterprise/{id}/update"
    assert (x.outcome, x.code) == ("rejected", "ED0012")
    assert x.status == 200 and x.duration_ms == pytest.approx(250.0)
    assert x.request_format == "json" and x.request_charset == "utf-8"
    name = x.request_fields["enterpriseName"]
    assert name != NAME and len(name) == len(NAME) and name[4] == "(" and name[7] == ")"
    assert x.request_fields["legalMobile"] != "13912345678"
    assert json.loads(x.request_body)["enterpriseName"] == name  # re-encoded, same field
    assert NAME not in x.message and name in x.message  # the echo is scrubbed consistently
    assert "13912345678" not in x.path and x.path.startswith("/v1/enterprise/8812/update?mobile=")
    assert ["x-bank-token", "[redacted]"] in x.request_headers
    assert x.request_size == len(body) and not x.request_truncated


def test_gbk_xml_keeps_its_charset_and_loses_the_raw_name(tmp_path, plan):
    db = str(tmp_path / "h.db")
    xml = f'<?xml version="1.0" encoding="GBK"?><Request><Body><EntName>{NAME}</EntName></Body></Request>'.encode(
        "gbk"
    )
    answer = (
        f'<?xml version="1.0" encoding="GBK"?><Response><Head><RspCode>ED0012</RspCode>'
        f"<RspMsg>企业名称{NAME}含有非法字符</RspMsg></Head></Response>"
    ).encode("gbk")
    code, err = ingest(
        db,
        [
            rec(
                path=b"/xml",
                body=xml,
                ctype=b"application/xml; charset=GBK",
                resp_body=answer,
                resp_ctype=b"application/xml",
            )
        ],
        plan=plan,
    )
    assert code == 0, err
    (x,) = rows(db)
    assert (x.request_format, x.request_charset) == ("xml", "gbk")
    assert (x.outcome, x.code) == ("rejected", "ED0012")
    assert NAME.encode("gbk") not in x.request_body and NAME.encode("gbk") not in x.response_body
    stored = x.request_fields["Request.Body.EntName"]
    assert len(stored.encode("gbk")) == len(NAME.encode("gbk"))
    assert stored.encode("gbk") in x.request_body
    assert NAME not in x.message


def test_upstream_failure_is_an_upstream_error_exchange(tmp_path):
    db = str(tmp_path / "h.db")
    code, err = ingest(db, [rec(status=None, error="Connection refused")])
    assert code == 0, err
    (x,) = rows(db)
    assert (x.outcome, x.status, x.error) == ("upstream_error", None, "Connection refused")


def test_binary_truncated_malformed_and_gzip_bodies(tmp_path, plan):
    db = str(tmp_path / "h.db")
    binary = bytes(range(256)) * 8
    truncated = ('{"enterpriseName":"' + NAME + '","data":"' + "x" * 100).encode()
    malformed = ('{"enterpriseName": "' + NAME + '",,}').encode()
    zipped = gzip.compress(
        json.dumps({"code": "000000", "msg": "压缩"}, ensure_ascii=False).encode()
    )
    recs = [
        rec(body=binary, ctype=b"application/octet-stream"),
        rec(body=truncated, req_truncated=True),
        rec(body=malformed),
        rec(resp_body=zipped, resp_headers=((b"content-encoding", b"gzip"),)),
    ]
    code, err = ingest(db, recs, plan=plan)
    assert code == 0, err
    b, t, m, z = rows(db)
    assert b.request_format == "binary" and b.request_body is None and b.request_size == len(binary)
    assert len(b.notes["request_digest"]) == 32
    assert t.request_truncated and t.request_size == 3 * len(truncated)
    assert t.request_body is None or NAME.encode() not in t.request_body
    assert m.request_body is not None and NAME.encode() not in m.request_body
    assert len(m.request_body) == len(malformed)  # shape kept, punctuation included
    assert m.request_body.count(b",") == malformed.count(b",")
    assert z.response_format == "json" and json.loads(z.response_body)["msg"] == "压缩"
    assert z.outcome == "accepted" and z.notes["response_content_encoding"] == "gzip"
    assert all(k.lower() != "content-encoding" for k, _ in z.response_headers)


def test_time_header_is_honoured_only_when_the_plan_names_it(tmp_path, plan):
    header = ((b"X-Sim-Time", b"2026-11-24T09:30:00+08:00"),)
    db1, db2 = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    assert ingest(db1, [rec(req_headers=header)], plan=plan)[0] == 0
    assert ingest(db2, [rec(req_headers=header)])[0] == 0
    (a,), (b,) = rows(db1), rows(db2)
    ts_a = (
        a.ts.replace(tzinfo=None)
        if a.ts.tzinfo is None
        else a.ts.astimezone(None).replace(tzinfo=None)
    )
    assert a.ts.strftime("%Y-%m-%d %H:%M") == "2026-11-24 01:30"
    assert b.ts.timestamp() == pytest.approx(T0, abs=1) or b.ts.replace(
        tzinfo=None
    ).isoformat().startswith("2025-11-24")
    assert ts_a != b.ts.replace(tzinfo=None)


def test_a_broken_record_is_stored_with_a_note_not_lost(tmp_path):
    db = str(tmp_path / "h.db")
    bad = rec()
    bad["req_headers"] = ((b"content-type",),)  # not a pair
    code, err = ingest(db, [rec(), bad, rec()])
    assert code == 0
    got = rows(db)
    assert len(got) == 3
    assert got[1].notes and "ingest_error" in got[1].notes
    assert "ingest_error" not in (got[0].notes or {})
    assert "failed" in err


def test_leftover_spool_is_back_filled_at_start(tmp_path):
    db = str(tmp_path / "h.db")
    spool = tmp_path / "h.spool"
    assert ingest(db, [rec()])[0] == 0  # creates the store
    (first,) = rows(db)
    row = {c.name: getattr(first, c.name) for c in first.__table__.columns if c.name != "id"}
    Spool(spool).append([row, row])
    code, err = ingest(db, [rec()], spool=spool)
    assert code == 0, err
    assert len(rows(db)) == 4
    assert not Spool(spool).exists()
    assert "back-filled 2" in err


def _start(db: str, spool: Path) -> subprocess.Popen:
    """The ingest process with its stdin as a pipe; its log goes to <spool>.log."""
    cmd = [sys.executable, "-m", "harness.capture.ingest", "--db", db, "--spool", str(spool)]
    with open(str(spool) + ".log", "wb") as log:
        return subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stderr=log, env={**os.environ, "HARNESS_KEY": KEY_HEX}
        )


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


def _count(db_path: Path) -> int:
    """Rows in the store; 0 while it is not created or migrated yet."""
    if not db_path.exists():
        return 0
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM exchanges").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def test_sigint_is_ignored_and_eof_flushes(tmp_path):
    db_path = tmp_path / "h.db"
    proc = _start(str(db_path), tmp_path / "h.spool")
    try:
        proc.stdin.write(b"".join(frame(rec()) for _ in range(5)))
        proc.stdin.flush()
        _wait(lambda: _count(db_path) == 5)
        proc.send_signal(signal.SIGINT)
        proc.stdin.write(b"".join(frame(rec()) for _ in range(5)))
        proc.stdin.close()
        assert proc.wait(30) == 0
    finally:
        proc.kill()
    assert _count(db_path) == 10


def test_sigterm_finishes_what_was_read(tmp_path):
    db_path = tmp_path / "h.db"
    proc = _start(str(db_path), tmp_path / "h.spool")
    try:
        proc.stdin.write(b"".join(frame(rec()) for _ in range(50)))
        proc.stdin.flush()
        _wait(lambda: _count(db_path) >= 1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0  # exits although stdin stays open
    finally:
        proc.kill()
        proc.stdin.close()
    assert _count(db_path) == 50


@pytest.mark.slow
def test_a_locked_store_spools_and_back_fills(tmp_path):
    db_path = tmp_path / "h.db"
    spool = tmp_path / "h.spool"
    proc = _start(str(db_path), spool)
    try:
        proc.stdin.write(frame(rec()))
        proc.stdin.flush()
        _wait(lambda: _count(db_path) == 1)
        # Another writer holds the database: inserts time out (busy_timeout), rows spool.
        lock = sqlite3.connect(db_path, timeout=30, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            proc.stdin.write(b"".join(frame(rec()) for _ in range(20)))
            proc.stdin.flush()
            _wait(lambda: len(Spool(spool)) == 20, timeout=60)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        proc.stdin.write(b"".join(frame(rec()) for _ in range(5)))
        proc.stdin.close()
        assert proc.wait(60) == 0
    finally:
        proc.kill()
    err = Path(str(spool) + ".log").read_text()
    assert _count(db_path) == 26
    assert not Spool(spool).exists()
    assert "spooling" in err and re.search(r"back-filled 2[05] spooled", err), err


class Forwarder:
    """A TCP forwarder to a real server that the test can cut and restore (store down/up)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def up(self) -> None:
        async def start():
            self.server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, reuse_address=True
            )

        self._call(start())

    def down(self) -> None:
        async def cut():
            assert self.server is not None
            self.server.close()
            for w in list(self.writers):
                w.transport.abort()
            self.writers.clear()

        self._call(cut())

    def close(self) -> None:
        async def finish():
            if self.server is not None:
                self.server.close()
            for w in list(self.writers):
                w.transport.abort()
            await asyncio.sleep(0.05)  # let the aborted transports close their sockets

        self._call(finish())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def _pg_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM exchanges")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_postgresql_going_down_spools_and_back_fills(pg_url, tmp_path):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    fwd = Forwarder((url.host or "127.0.0.1", url.port or 5432))
    fwd.up()
    via = url.set(host="127.0.0.1", port=fwd.port).render_as_string(hide_password=False)
    spool = tmp_path / "pg.spool"
    try:
        open_store(via).kw["bind"].dispose()  # migrated through the forwarder
        proc = _start(via, spool)
        try:
            proc.stdin.write(b"".join(frame(rec()) for _ in range(5)))
            proc.stdin.flush()
            _wait(lambda: _pg_count(pg_url) == 5)
            fwd.down()  # the store is gone: connections cut, new ones refused
            proc.stdin.write(b"".join(frame(rec()) for _ in range(10)))
            proc.stdin.flush()
            _wait(lambda: len(Spool(spool)) == 10, timeout=60)
            assert _pg_count(pg_url) == 5
            fwd.up()
            proc.stdin.write(b"".join(frame(rec()) for _ in range(5)))
            proc.stdin.close()
            assert proc.wait(60) == 0
        finally:
            proc.kill()
    finally:
        fwd.close()
    assert _pg_count(pg_url) == 20
    assert not Spool(spool).exists()


def test_nul_characters_never_reach_text_columns():
    from harness.capture.record import RowBuilder
    from harness.plan import default_plan

    row = RowBuilder(default_plan(), bytes.fromhex(KEY_HEX)).build(
        rec(path=b"/a\x00b", status=None, error="reset\x00")
    )
    assert "\x00" not in row["path"] and "\x00" not in row["error"]
    assert row["outcome"] == "upstream_error"
