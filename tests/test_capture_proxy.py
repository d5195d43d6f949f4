"""The real thing: a `harness proxy` process in front of a real upstream, real clients, a
real SQLite store; and `mitmdump -s addons/capture.py`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from harness.store import open_store
from harness.store.queries import list_exchanges
from tests.support.procs import BIN, HARNESS, free_port, running, stop
from tests.support.upstream import upstream

KEY_HEX = "7e" * 32
ENV = {"HARNESS_KEY": KEY_HEX}


@pytest.fixture(scope="module")
def up():
    with upstream() as url:
        yield url


@contextmanager
def proxy(up_url: str, db: Path, *extra: str):
    port = free_port()
    args = [
        HARNESS,
        "proxy",
        "--upstream",
        up_url,
        "--listen-port",
        str(port),
        "--db",
        str(db),
        *extra,
    ]
    with running(args, port=port, env=ENV) as proc:
        proc.base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
        yield proc


def finish(proc: subprocess.Popen) -> str:
    """SIGTERM, wait, and return everything the proxy logged."""
    code = stop(proc, signal.SIGTERM, timeout=60)
    out = ""
    if proc.stdout:
        out = proc.stdout.read()
        proc.stdout.close()
    assert code == 0, out
    return out


def stored(db: Path):
    factory = open_store(str(db), create=False)
    with factory() as s:
        got = list_exchanges(s, limit=None, newest_first=False)
    factory.kw["bind"].dispose()
    return got


def post(
    url: str, body: bytes, ctype: str = "application/json", timeout: float = 30
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": ctype}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


async def _many(base: str, n: int, connections: int) -> list[int]:
    conn = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=conn) as session:

        async def one(i: int) -> int:
            async with session.post(
                f"{base}/echo", json={"requestNo": f"R{i:06d}", "amount": "1.00"}
            ) as r:
                data = await r.json()
                assert data["data"]["echo"]["requestNo"] == f"R{i:06d}"
                return r.status

        return await asyncio.gather(*(one(i) for i in range(n)))


def test_concurrent_requests_give_exactly_as_many_exchanges(up, tmp_path):
    db = tmp_path / "h.db"
    n = 200
    with proxy(up, db) as p:
        statuses = asyncio.run(_many(p.base, n, 16))
        out = finish(p)
    assert statuses == [200] * n
    got = stored(db)
    assert len(got) == n
    assert {x.outcome for x in got} == {"accepted"}
    assert {x.endpoint for x in got} == {"POST /echo"}
    assert sorted(x.request_fields["requestNo"] for x in got) == sorted(
        f"R{i:06d}" for i in range(n)
    )
    assert f"{n} captured, 0 dropped" in out


def test_a_capture_filter_stores_only_matching_flows_and_passes_all_traffic(up, tmp_path):
    db = tmp_path / "h.db"
    with proxy(up, db, "--filter", "~m POST & ~u /echo") as p:
        posted = [post(f"{p.base}/echo", b'{"requestNo":"R1"}')[0] for _ in range(3)]
        fetched = [get(f"{p.base}/echo")[0] for _ in range(2)]
        out = finish(p)
    assert posted == [200] * 3 and fetched == [405] * 2  # the upstream answered every one
    got = stored(db)
    assert [x.method for x in got] == ["POST"] * 3
    assert "3 captured, 0 dropped" in out and "2 skipped" in out


def test_upstream_down_answers_502_and_stores_upstream_errors(tmp_path):
    db = tmp_path / "h.db"
    dead = f"http://127.0.0.1:{free_port()}"
    with proxy(dead, db) as p:
        answers = [post(f"{p.base}/openapi/v1/account/open", b'{"a":"1"}') for _ in range(3)]
        finish(p)
    assert [code for code, _ in answers] == [502] * 3
    got = stored(db)
    assert len(got) == 3
    assert {x.outcome for x in got} == {"upstream_error"}
    assert all(x.status is None and x.error for x in got)
    assert all(x.endpoint == "POST /openapi/v1/account/open" for x in got)


async def _load_until_stopped(base: str, proc: subprocess.Popen) -> tuple[int, int]:
    """16 workers post until the proxy stops answering; SIGTERM goes out mid-load."""
    ok = 0
    sent = 0

    async def worker(w: int) -> None:
        nonlocal ok, sent
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            for i in range(10_000):
                sent += 1
                try:
                    async with session.post(f"{base}/echo", json={"w": w, "i": i}) as r:
                        if r.status == 200 and (await r.json())["data"]["echo"] == {"w": w, "i": i}:
                            ok += 1
                except (TimeoutError, aiohttp.ClientError):
                    return

    async def terminate() -> None:
        while ok < 300:
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGTERM)

    await asyncio.gather(terminate(), *(worker(w) for w in range(16)))
    return ok, sent


@pytest.mark.slow
def test_sigterm_under_load_loses_nothing_that_was_answered(up, tmp_path):
    db = tmp_path / "h.db"
    with proxy(up, db) as p:
        answered, sent = asyncio.run(_load_until_stopped(p.base, p))
        assert p.wait(60) == 0
        out = p.stdout.read()
        p.stdout.close()
    got = [x for x in stored(db) if x.status == 200]
    assert answered >= 300
    assert answered <= len(got) <= sent, out


def test_awkward_bodies_do_not_break_the_proxy(up, tmp_path):
    db = tmp_path / "h.db"
    with proxy(up, db, "--max-body", "1000") as p:
        malformed = post(f"{p.base}/echo", b'{"enterpriseName": "x",,}')
        long_body = json.dumps({"remark": "y" * 5000}).encode()
        truncated = post(f"{p.base}/echo", long_body)
        binary = get(f"{p.base}/binary")
        big = get(f"{p.base}/big?mb=20")
        finish(p)
    assert (
        malformed[0] == 200
        and json.loads(malformed[1])["data"]["raw"] == '{"enterpriseName": "x",,}'
    )
    assert truncated[0] == 200 and json.loads(truncated[1])["data"]["echo"]["remark"] == "y" * 5000
    assert binary == (200, bytes((i * 7919) % 256 for i in range(4096)))
    assert big[0] == 200 and len(big[1]) == 20 * 1024 * 1024 + len(
        '{"code":"000000","msg":"big","data":""}'
    )
    m, t, b, g = stored(db)
    assert m.request_format == "text" and m.request_body is not None
    assert t.request_truncated and t.request_size == len(long_body)
    assert t.response_truncated and t.response_size > 5000
    assert b.response_format == "binary" and b.response_body is None and b.response_size == 4096
    assert g.response_truncated and g.response_size == len(big[1])


def test_mitmdump_with_the_capture_script_works_too(up, tmp_path):
    db = tmp_path / "m.db"
    port = free_port()
    script = Path(__file__).resolve().parent.parent / "addons" / "capture.py"
    args = [
        str(BIN / "mitmdump"),
        "-q",
        "-s",
        str(script),
        "--mode",
        f"reverse:{up}",
        "--listen-host",
        "127.0.0.1",
        "-p",
        str(port),
        "--set",
        f"capture_db={db}",
    ]
    with running(args, port=port, env=ENV) as proc:
        answers = [post(f"http://127.0.0.1:{port}/echo", b'{"n":"%d"}' % i) for i in range(5)]
        finish(proc)
    assert [c for c, _ in answers] == [200] * 5
    assert sorted(x.request_fields["n"] for x in stored(db)) == [str(i) for i in range(5)]


def _run_harness(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HARNESS, *args], capture_output=True, text=True, env={**os.environ, **ENV}, timeout=60
    )


def _one_line_error(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _proxy_error(up: str | None, db: Path, *extra: str, port: int | None = None) -> str:
    """The one error line of a `harness proxy` that must refuse to start."""
    args = ["proxy", "--listen-port", str(port or free_port()), "--db", str(db), *extra]
    return _one_line_error(_run_harness(*args, *(("--upstream", up) if up else ())))


def test_bad_options_fail_with_one_line_before_serving(up, tmp_path):
    plan = tmp_path / "bad.yaml"
    plan.write_text("success: [oops\n")
    assert "not valid YAML" in _proxy_error(up, tmp_path / "a.db", "--plan", str(plan))
    line = _proxy_error(up, tmp_path / "no-such-dir" / "h.db")
    assert "store directory does not exist" in line
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    line = _proxy_error(up, tmp_path / "d.db", "--spool", str(blocker / "h.spool"))
    assert "spool" in line and "not writable" in line
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        line = _proxy_error(up, tmp_path / "b.db", port=taken.getsockname()[1])
    assert "in use" in line
    assert "upstream" in _proxy_error(None, tmp_path / "c.db")
    assert "capture_filter" in _proxy_error(up, tmp_path / "e.db", "--filter", "~m POST & (")


def test_the_upstream_is_never_a_shadow_target_even_without_a_plan(up, tmp_path):
    port = up.rsplit(":", 1)[1]
    for alias in (up, f"http://localhost:{port}", f"http://0.0.0.0:{port}"):
        line = _proxy_error(up, tmp_path / "s.db", "--shadow", f"staging={alias}")
        assert "staging" in line and "production" in line


def test_proxy_exits_when_the_proxy_is_killed_its_ingest_follows(up, tmp_path):
    """A killed proxy leaves no ingest process behind (EOF ends it) and no port busy."""
    db = tmp_path / "h.db"
    with proxy(up, db) as p:
        post(f"{p.base}/echo", b'{"a":"1"}')
        children = subprocess.run(
            ["pgrep", "-P", str(p.pid)], capture_output=True, text=True
        ).stdout.split()
        assert children, "the proxy has an ingest child"
        p.kill()
        p.wait(10)
        p.stdout.close()
        for pid in children:
            for _ in range(200):
                try:
                    os.kill(int(pid), 0)
                except ProcessLookupError:
                    break
                asyncio.run(asyncio.sleep(0.05))
            else:
                pytest.fail(f"ingest process {pid} outlived its proxy")
    port = int(p.base.rsplit(":", 1)[1])
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # free again


def test_sigint_flushes_like_sigterm(up, tmp_path):
    db = tmp_path / "h.db"
    with proxy(up, db) as p:
        statuses = asyncio.run(_many(p.base, 40, 8))
        assert stop(p, signal.SIGINT, timeout=60) == 0
        p.stdout.close()
    assert statuses == [200] * 40
    assert len(stored(db)) == 40
