"""The capture addon under mitmproxy's test context: options, frames, the non-blocking pipe."""

from __future__ import annotations

import asyncio
import marshal
import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons, tflow, tutils

from harness.capture import addon as capture_mod
from harness.capture.addon import Capture
from harness.capture.frames import frame, record
from tests.support.procs import free_port

KEY_HEX = "11" * 32


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("HARNESS_KEY", KEY_HEX)


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "cap.db")


def _flow(body: bytes = b'{"a":"1"}', resp_body: bytes = b'{"code":"000000"}'):
    req = tutils.treq(
        method=b"POST",
        path=b"/openapi/v1/account/open?x=1",
        headers=((b"content-type", b"application/json"), (b"x-signature", b"abc")),
        content=body,
    )
    resp = tutils.tresp(content=resp_body)
    return tflow.tflow(req=req, resp=resp)


def test_record_holds_primitive_values_and_survives_marshal():
    f = _flow()
    rec = record(f, 1024)
    assert rec["method"] == b"POST"
    assert rec["path"] == b"/openapi/v1/account/open?x=1"
    assert (b"x-signature", b"abc") in rec["req_headers"]
    assert rec["req_body"] == b'{"a":"1"}' and rec["req_size"] == 9 and not rec["req_truncated"]
    assert rec["status"] == 200 and rec["resp_body"] == b'{"code":"000000"}'
    assert rec["client"].count(":") == 1 and rec["error"] is None
    data = frame(rec)
    (size,) = struct.unpack(">I", data[:4])
    assert size == len(data) - 4
    assert marshal.loads(data[4:]) == rec


def test_bodies_over_the_limit_are_cut_and_flagged():
    f = _flow(body=b"x" * 5000, resp_body=b"y" * 3000)
    rec = record(f, 1000)
    assert rec["req_body"] == b"x" * 1000 and rec["req_size"] == 5000 and rec["req_truncated"]
    assert rec["resp_body"] == b"y" * 1000 and rec["resp_size"] == 3000 and rec["resp_truncated"]
    assert f.request.raw_content == b"x" * 5000  # the client's flow is untouched


def test_an_upstream_failure_is_a_record_without_response():
    f = tflow.tflow(err=True)
    rec = record(f, 1024)
    assert rec["status"] is None and rec["resp_body"] is None
    assert rec["error"] == "error" and rec["t_end"] is not None


def run(coro_fn):
    """Run an async test body on a fresh event loop (the addon's writer needs a running loop)."""
    return asyncio.run(coro_fn())


def test_bad_plan_stops_configuration(db, tmp_path):
    plan = tmp_path / "bad.yaml"
    plan.write_text("success: [oops\n")

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx:
            with pytest.raises(exceptions.OptionsError, match="not valid YAML"):
                tctx.configure(addon, capture_db=db, capture_plan=str(plan))
            with pytest.raises(exceptions.OptionsError, match="not found"):
                tctx.configure(addon, capture_plan=str(tmp_path / "missing.yaml"))

    run(body)


def test_an_unreachable_store_only_warns_and_the_proxy_starts(caplog):
    url = f"postgresql+psycopg://u:secret@127.0.0.1:{free_port()}/h?connect_timeout=2"

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx:
            tctx.configure(addon, capture_db=url)  # no OptionsError: it will spool
        return addon

    run(body)
    warnings = [r.getMessage() for r in caplog.records if "starting anyway" in r.getMessage()]
    assert len(warnings) == 1 and "secret" not in warnings[0]


def test_a_bad_store_url_stops_configuration(tmp_path):
    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx, pytest.raises(exceptions.OptionsError) as exc:
            tctx.configure(addon, capture_db=str(tmp_path / "missing-dir" / "h.db"))
        assert "does not exist" in str(exc.value) and "\n" not in str(exc.value)

    run(body)


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("capture_shadow", ["staging"], "NAME=URL"),
        ("capture_shadow", ["prod=http://127.0.0.1:9"], "production"),
        ("capture_max_body", -1, "capture_max_body"),
        ("capture_queue", 0, "capture_queue"),
    ],
)
def test_bad_values_are_refused(db, tmp_path, name, value, match):
    plan = tmp_path / "p.yaml"
    plan.write_text("upstream: http://127.0.0.1:9\n")

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx, pytest.raises(exceptions.OptionsError, match=match):
            tctx.configure(addon, capture_db=db, capture_plan=str(plan), **{name: value})

    run(body)


def test_a_shadow_whose_signer_key_is_missing_is_refused_at_start(db, tmp_path, monkeypatch):
    monkeypatch.delenv("SHADOW_TEST_KEY", raising=False)
    plan = tmp_path / "p.yaml"
    plan.write_text(
        "upstream: http://127.0.0.1:9\nsigner: {kind: hmac-sha256, header: X-Sign, "
        "key_env: SHADOW_TEST_KEY}\n"
    )

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx, pytest.raises(exceptions.OptionsError) as exc:
            tctx.configure(
                addon,
                capture_db=db,
                capture_plan=str(plan),
                capture_shadow=["staging=http://127.0.0.1:10"],
            )
        assert "SHADOW_TEST_KEY" in str(exc.value)

    run(body)


def test_a_spool_that_cannot_be_written_is_refused_at_start(db, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the spool's directory should be

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx, pytest.raises(exceptions.OptionsError) as exc:
            tctx.configure(addon, capture_db=db, capture_spool=str(blocker / "h.spool"))
        assert "spool" in str(exc.value) and "not writable" in str(exc.value)

    run(body)


FAKE = str(Path(__file__).resolve().parent / "support" / "fake_ingest.py")


def _fake_ingest(monkeypatch, *args: str) -> None:
    monkeypatch.setattr(
        capture_mod, "ingest_command", lambda *a, **k: [sys.executable, FAKE, *args]
    )


async def _settle(addon, n: int, timeout: float = 30.0) -> None:
    """Let the loop run until every one of ``n`` frames is captured or dropped."""
    deadline = asyncio.get_running_loop().time() + timeout
    while addon.captured + addon.dropped < n:
        assert asyncio.get_running_loop().time() < deadline, (addon.captured, addon.dropped)
        await asyncio.sleep(0.02)


def test_a_slow_ingest_never_blocks_and_drops_past_the_queue(monkeypatch, db):
    # The reader sleeps before reading: the pipe fills, the queue fills, the rest is dropped.
    _fake_ingest(monkeypatch, "--sleep", "1.5")
    n = 200

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx:
            tctx.configure(addon, capture_db=db, capture_queue=5, capture_max_body=200_000)
            addon.running()
            for _ in range(n):
                addon.response(_flow(body=b"z" * 100_000))  # returns at once: no blocking write
            assert addon.dropped > 0
            assert addon.feed.waiting <= 5 + 1
            assert addon.captured + addon.feed.waiting + addon.feed.in_flight + addon.dropped == n
            await addon.done()  # shutdown may block: it hands every queued frame over
        return addon

    addon = run(body)
    assert addon.captured + addon.dropped == n
    assert addon.captured >= 5


def test_frames_written_to_an_ingest_that_dies_are_counted_lost(monkeypatch, db):
    # It reads frames without acknowledging them, then dies: nothing it took is captured.
    _fake_ingest(monkeypatch, "--no-ack", "--die-after", "3")

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx:
            tctx.configure(addon, capture_db=db)
            addon.running()
            for _ in range(3):
                addon.response(_flow())
            await _settle(addon, 3)
            assert (addon.captured, addon.dropped) == (0, 3)
            await addon.done()
        return addon

    run(body)


def test_a_dying_ingest_is_restarted_with_backoff_and_capture_resumes(monkeypatch, db):
    from harness.capture import feed as feed_mod

    monkeypatch.setattr(feed_mod, "BACKOFF_BASE", 0.05)
    monkeypatch.setattr(feed_mod, "RESTART_BUDGET", 1000)
    _fake_ingest(monkeypatch, "--die-after", "2")  # acknowledges one frame, dies on the next
    sent = 0

    async def body():
        nonlocal sent
        addon = Capture()
        with taddons.context(addon) as tctx:
            tctx.configure(addon, capture_db=db)
            addon.running()
            for _ in range(8):  # more deaths than the old "5 restarts, then off for good"
                for _ in range(2):
                    addon.response(_flow())
                    sent += 1
                await _settle(addon, sent)
                while not addon.feed.running:
                    await asyncio.sleep(0.02)
            assert addon.feed.restarts >= 7
            assert addon.captured == 8 and addon.dropped == 8
            _fake_ingest(monkeypatch)  # a healthy ingest from the next restart on
            os.kill(addon.feed.pid, signal.SIGKILL)
            while addon.feed.running:
                await asyncio.sleep(0.02)
            while not addon.feed.running:
                await asyncio.sleep(0.02)
            for _ in range(20):
                addon.response(_flow())
                sent += 1
            await _settle(addon, sent)
            assert addon.captured == 8 + 20  # capture resumed
            await addon.done()
        return addon

    addon = run(body)
    assert addon.captured + addon.dropped == sent
    assert not _zombies(), "a dead ingest was left unreaped"


def _zombies() -> list[str]:
    """Defunct children of this process."""
    out = subprocess.run(
        ["ps", "-o", "pid=,stat=", "--ppid", str(os.getpid())], capture_output=True, text=True
    ).stdout
    return [line for line in out.splitlines() if "Z" in line.split()[-1]]


def test_in_flight_flows_finish_before_shutdown_and_late_ones_are_refused(monkeypatch, db):
    _fake_ingest(monkeypatch)

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx:
            tctx.configure(addon, capture_db=db)
            addon.running()
            slow = _flow()
            addon.requestheaders(slow)
            done = asyncio.ensure_future(addon.done())
            await asyncio.sleep(0.1)
            assert not done.done()  # waits for the flow in flight
            addon.response(slow)
            assert slow.response.headers["connection"] == "close"
            await done
            late = _flow()
            addon.requestheaders(late)
            addon.response(late)
            assert late.error is not None  # killed: not answered, since not captured
        return addon

    addon = run(body)
    assert (addon.captured, addon.dropped, addon.refused) == (1, 0, 1)


def test_error_after_a_captured_response_is_not_captured_twice(monkeypatch, db):
    _fake_ingest(monkeypatch)

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx:
            tctx.configure(addon, capture_db=db)
            addon.running()
            f = _flow()
            addon.response(f)
            f.error = tflow.terr("client disconnected")
            addon.error(f)
            addon.error(tflow.tflow(err=True))
            await addon.done()
        return addon

    addon = run(body)
    assert addon.captured == 2 and addon.dropped == 0


def test_replayed_flows_and_flows_outside_the_filter_are_not_captured(monkeypatch, db):
    _fake_ingest(monkeypatch)

    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx:
            tctx.configure(addon, capture_db=db, capture_filter="~u /account/open")
            addon.running()
            addon.response(_flow())  # matches: captured
            replayed = _flow()
            replayed.is_replay = "request"  # mitmproxy sent it again: not production traffic
            addon.response(replayed)
            other = _flow()
            other.request.path = "/openapi/v1/balance"
            addon.response(other)
            await addon.done()
        return addon

    addon = run(body)
    assert (addon.captured, addon.skipped, addon.dropped) == (1, 2, 0)


def test_a_bad_capture_filter_is_refused(db):
    async def body():
        addon = Capture()
        with taddons.context(addon) as tctx, pytest.raises(exceptions.OptionsError) as exc:
            tctx.configure(addon, capture_db=db, capture_filter="~q & (")
        assert str(exc.value).startswith("capture_filter:")

    run(body)


def test_the_ingest_command_line_holds_no_store_url_or_key():
    cmd = capture_mod.ingest_command("/tmp/h.spool", "plan.yaml", ["staging=http://127.0.0.1:1"])
    assert cmd[1:3] == ["-m", "harness.capture.ingest"]
    assert "--db" not in cmd and not any("postgresql" in c or KEY_HEX in c for c in cmd)
