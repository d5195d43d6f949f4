"""Health and metrics of a running capture: a real proxy, a real upstream, a real store;
the metrics read after a burst of traffic match what was sent and what was stored."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import urllib.request

import aiohttp
import pytest

from harness.capture.status import read_status
from tests.support.procs import HARNESS, free_port, running, stop, wait_for_port
from tests.support.upstream import upstream

ENV = {"HARNESS_KEY": "4d" * 32}
OPEN = "POST /openapi/v1/account/open"


@pytest.fixture(scope="module")
def up():
    with upstream() as url:
        yield url


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


async def _burst(base: str) -> list[int]:
    async with aiohttp.ClientSession() as session:

        async def one(path: str, name: str) -> int:
            async with session.post(f"{base}{path}", json={"enterpriseName": name}) as r:
                await r.read()
                return r.status

        jobs = [one("/openapi/v1/account/open", f"甲公司{i}") for i in range(30)]
        jobs += [one("/openapi/v1/account/open", f"乙(中国)有限公司{i}") for i in range(12)]
        jobs += [one("/echo", "x") for _ in range(8)]
        return list(await asyncio.gather(*jobs))


def _settled(metrics: str, want: int) -> dict[str, float]:
    deadline = time.monotonic() + 60
    while True:
        counts = read_status(metrics).counts
        if counts.get("exchanges_stored", 0) >= want or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


def test_metrics_after_a_burst_match_the_traffic_and_the_store(up, tmp_path):
    port, mport = free_port(), free_port()
    db = tmp_path / "h.db"
    args = [HARNESS, "proxy", "--upstream", up, "--listen-port", str(port), "--db", str(db)]
    args += ["--metrics-port", str(mport), "--instance", "side-a"]
    metrics = f"http://127.0.0.1:{mport}"
    with running(args, port=port, env=ENV) as proc:
        wait_for_port(mport, proc=proc)
        assert _get(f"{metrics}/healthz") == (200, "ok\n")
        status, body = _get(f"{metrics}/readyz")
        assert status == 200 and json.loads(body)["ready"] is True
        statuses = asyncio.run(_burst(f"http://127.0.0.1:{port}"))
        assert statuses == [200] * 50
        counts = _settled(metrics, 50)
        st = read_status(metrics)
        text = subprocess.run(
            [HARNESS, "status", "--metrics-port", str(mport)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "80"},
        )
        as_json = subprocess.run(
            [HARNESS, "status", "--metrics-port", str(mport), "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        stop(proc)
        log = proc.stdout.read()
        proc.stdout.close()
    assert counts["exchanges_seen"] == 50 and counts["exchanges_stored"] == 50
    assert counts["exchanges_dropped"] == 0 and counts["exchanges_lost"] == 0
    assert counts["exchanges_spooled"] == 0 and counts["capture_queue_depth"] == 0
    assert counts["exchanges_accepted"] == 38 and counts["exchanges_rejected"] == 12
    assert counts["ingest_up"] == 1 and counts["store_up"] == 1 and counts["ready"] == 1
    assert counts["ingest_restarts"] == 0 and counts["ingest_lag_seconds"] >= 0
    assert st.rejections == [{"endpoint": OPEN, "code": "ED0012", "count": 12}]
    assert st.instance == "side-a" and st.added["count"] == 50
    # The store agrees with the metrics.
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "select count(*), count(distinct instance) from exchanges"
        ).fetchone() == (50, 1)
        assert conn.execute("select instance from exchanges limit 1").fetchone() == ("side-a",)
    assert text.returncode == 0, text.stderr
    assert "capture side-a" in text.stdout and "ready" in text.stdout
    assert "50 seen, 50 stored, 0 spooled, 0 dropped (0 lost)" in text.stdout
    assert "ED0012" in text.stdout and all(len(line) <= 80 for line in text.stdout.splitlines())
    data = json.loads(as_json.stdout)
    assert data["rejections"]["total"] == 1 and data["counts"]["exchanges_stored"] == 50
    ready = [line for line in log.splitlines() if "harness proxy ready" in line]
    assert len(ready) == 1 and f"metrics http://127.0.0.1:{mport}" in ready[0]
    assert "instance side-a" in ready[0] and str(db) in ready[0]


def test_upstream_errors_and_json_logs_with_the_password_hidden(tmp_path):
    port, mport = free_port(), free_port()
    dead = f"http://127.0.0.1:{free_port()}"
    # A store URL with a password that does not answer: the ready line hides it.
    env = {**ENV, "HARNESS_DB": "postgresql+psycopg://u:pa55word@127.0.0.1:9/h"}
    args = [HARNESS, "proxy", "--upstream", dead, "--listen-port", str(port)]
    args += ["--metrics-port", str(mport), "--log-format", "json", "--spool", str(tmp_path / "s")]
    with running(args, port=port, env=env) as proc:
        wait_for_port(mport, proc=proc)
        for _ in range(3):
            req = urllib.request.Request(f"http://127.0.0.1:{port}/pay", data=b"{}", method="POST")
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(req, timeout=30)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            st = read_status(f"http://127.0.0.1:{mport}")
            if st.counts.get("exchanges_spooled", 0) >= 3:
                break
            time.sleep(0.2)
        stop(proc)
        log = proc.stdout.read()
        proc.stdout.close()
    assert st.counts["exchanges_spooled"] == 3 and st.counts["store_up"] == 0
    assert st.upstream_errors == [{"endpoint": "POST /pay", "count": 3}]
    assert "pa55word" not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert lines and all({"ts", "level", "logger", "message"} <= set(x) for x in lines)
    assert any(x["message"].startswith("harness proxy ready") for x in lines)
    assert any("u:***@" in x["message"] for x in lines)


def test_status_says_in_one_line_when_nothing_answers():
    res = subprocess.run(
        [HARNESS, "status", "--metrics-port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 1 and res.stderr.count("\n") == 1
    assert "no capture metrics at http://127.0.0.1:" in res.stderr
