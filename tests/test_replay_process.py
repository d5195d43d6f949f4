"""Where replay assesses and writes: in its event loop, or in the recording process.

Both must give the same results; the recording process must never stall the sender's event
loop (back-pressure instead), and a store failure in it must surface as one line.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sqlite3
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import func, select, text

from harness.errors import ConfigError, StoreError
from harness.replay import Selection, Settings, engine, replay
from harness.replay.answer import RawAnswer
from harness.replay.request import Sample
from harness.replay.sinks import PIPE_HIGH_WATER, ProcessSink
from harness.replay.worker import Config
from harness.replay.writer import BatchWriter
from harness.store import ReplayResult, ReplayRun, open_store
from harness.store import replays as store_replays
from harness.store.queries import ExchangeFilter
from tests.test_replay import (
    ENDPOINT,
    OK_BODY,
    exchange,
    lax_staging,
    plan_for,
    put,
    results,
    strict_on_parens,
)
from tests.test_replay_recorder import recording

pytestmark = pytest.mark.process  # the recording process is started by the library itself

# What a result row says about the answer, without what differs between two runs.
COMPARED = ("exchange_id", "target", "status", "outcome", "code", "message", "error", "fields",
            "diff", "verdict")  # fmt: skip
SUMMARY = ("exchanges", "results", "targets", "table", "noise", "noise_unstable", "skipped")


@pytest.fixture
def sqlite_store(sqlite_url):
    factory = open_store(sqlite_url)
    yield factory
    factory.kw["bind"].dispose()


def _rows(factory, run_id: int) -> list[tuple[Any, ...]]:
    """The compared columns; the serial numbers the mock makes up each time are left out."""
    out = []
    for r in results(factory, run_id):
        values = {c: getattr(r, c) for c in COMPARED}
        values["fields"] = {k: v for k, v in (r.fields or {}).items() if k != "data.serialNo"}
        out.append(tuple(values.values()))
    return out


def test_the_recording_process_gives_the_same_results_as_the_event_loop(store):
    """Verdicts, diffs, noise, signing failures and tallies agree, on SQLite and PostgreSQL."""
    rows = [exchange("某某(某某)有限公司") for _ in range(4)]  # staging rejects these too
    rows += [exchange("某某（某某）有限公司") for _ in range(5)]  # only production rejects
    rows += [
        exchange(outcome="accepted", response={**OK_BODY, "data": {"serialNo": "P1"}})
        for _ in range(4)
    ]
    text_body = exchange(request_body=b"plain words", request_format="text")
    text_body["request_headers"] = [["Content-Type", "text/plain"]]  # the signer refuses it
    put(store, [*rows, text_body])
    plan = plan_for(signer={"kind": "hmac-sha256", "field": "sign", "key_env": "K"})
    runs = {}
    with recording(strict_on_parens) as staging, recording(lax_staging) as mock:
        for where in ("inline", "process"):
            runs[where] = replay(
                store,
                {"staging": staging.url, "mock": mock.url},
                plan=plan,
                environ={"K": "k"},
                selection=Selection(outcome="all"),
                settings=Settings(repeat_noise=2, batch=4, recording=where),
            )
    inline, process = runs["inline"], runs["process"]
    assert inline.summary["recording"] == "inline" and process.summary["recording"] == "process"
    assert _rows(store, process.run_id) == _rows(store, inline.run_id)
    assert {k: process.summary[k] for k in SUMMARY} == {k: inline.summary[k] for k in SUMMARY}
    # ... and they say what they should, so that agreeing is not agreeing on nothing
    verdicts = process.summary["targets"]["staging"]["verdicts"]
    assert verdicts == {
        "reproducible": 4,
        "production_only": 5,
        "consistent": 4,
        "target_error": 1,
    }
    assert process.summary["noise"] == {ENDPOINT: ["data.serialNo"]}
    with store() as session:
        run = session.get(ReplayRun, process.run_id)
        assert run.state == "done" and run.summary["results"] == 28


@pytest.mark.parametrize(("stored", "expected"), [(4, "process"), (2, "inline")])
def test_auto_recording_uses_a_process_for_large_runs_only(
    sqlite_store, monkeypatch, stored, expected
):
    monkeypatch.setattr(engine, "PROCESS_FROM", 3)
    put(sqlite_store, [exchange() for _ in range(stored)])
    with recording(lax_staging) as staging:
        report = replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(),
            settings=Settings(repeat_noise=0),
        )
    assert report.summary["recording"] == expected
    assert [r.verdict for r in results(sqlite_store, report.run_id)] == ["production_only"] * stored


def test_a_store_failure_in_the_recording_process_is_one_line(sqlite_store):
    """The results table vanishes once the run has begun: the run fails, with one line."""
    put(sqlite_store, [exchange() for _ in range(6)])

    def break_the_store(done: int, total: int) -> None:
        if done == 0:
            with sqlite_store.begin() as session:
                session.execute(text("ALTER TABLE replay_results RENAME TO results_gone"))

    with recording(lax_staging) as staging, pytest.raises(StoreError) as info:
        replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(),
            progress=break_the_store,
            settings=Settings(repeat_noise=0, recording="process"),
        )
    assert str(info.value) == "cannot write replay results: no such table: replay_results"
    with sqlite_store() as session:
        assert session.scalar(select(ReplayRun.state)) == "failed"


def test_recording_process_reports_what_it_assessed_before_a_failure(store):
    """A run id the store does not know: nothing can be written, but nothing is hidden."""
    put(store, [exchange()])
    with store() as session:
        [row] = store_replays.replay_rows(session, ExchangeFilter())
    sample = Sample.from_row(row)
    url = store.kw["bind"].url.render_as_string(hide_password=False)

    async def scenario() -> ProcessSink:
        sink = ProcessSink.spawn()
        await sink.start(Config(url, 987654, plan_for(), frozenset(), batch=10))
        for _ in range(3):
            await sink.answer(sample, "staging", _answer(b'{"code":"000000","msg":"ok"}'))
        with pytest.raises(StoreError, match=r"^cannot write replay results: .*(?i:foreign key)"):
            await sink.close()
        return sink

    sink = asyncio.run(scenario())
    assert [t.verdict for t in sink.findings.tallies] == ["production_only"] * 3
    assert sink.proc.returncode == 1
    with store() as session:
        assert session.scalar(select(func.count()).select_from(ReplayResult)) == 0


def test_a_slow_recording_process_holds_back_the_sender_not_the_event_loop(sqlite_store):
    """Stopped (SIGSTOP), the process reads nothing: handing over waits, the loop runs on,
    memory stays bounded; resumed, it writes every result."""
    put(sqlite_store, [exchange()])
    with sqlite_store.begin() as session:
        [row] = store_replays.replay_rows(session, ExchangeFilter())
        run_id = store_replays.create_run(session).id
    sample = Sample.from_row(row)
    url = sqlite_store.kw["bind"].url.render_as_string(hide_password=False)
    big = json.dumps({**OK_BODY, "pad": "x" * 8000}).encode()
    n = 1200

    async def scenario() -> tuple[int, int, bool]:
        sink = ProcessSink.spawn()
        await sink.start(Config(url, run_id, plan_for(), frozenset(), batch=200))
        os.kill(sink.proc.pid, signal.SIGSTOP)
        try:
            handed = 0

            async def feed() -> None:
                nonlocal handed
                for i in range(n):  # distinct bodies: a frame pickles a repeated one once
                    await sink.answer(sample, "staging", _answer(big + b" " * (i % 7)))
                    handed += 1

            feeder = asyncio.create_task(feed())
            ticks = 0
            while sink.buffered < PIPE_HIGH_WATER and not feeder.done():
                ticks += 1
                await asyncio.sleep(0)
            for _ in range(50):  # the loop keeps turning while the feeder waits
                ticks += 1
                await asyncio.sleep(0)
            held_back = not feeder.done() and handed < n
            most = sink.buffered
        finally:
            os.kill(sink.proc.pid, signal.SIGCONT)
        await feeder
        await sink.close()
        return ticks, most, held_back

    ticks, most, held_back = asyncio.run(scenario())
    assert held_back and ticks > 50
    assert most < PIPE_HIGH_WATER + 256 * (len(big) + 1024)  # at most one frame beyond
    with sqlite_store() as session:
        written = session.scalar(select(func.count()).select_from(ReplayResult))
    assert written == n


def test_a_locked_store_holds_back_the_inline_writer_not_the_event_loop(sqlite_store):
    """While another connection holds SQLite's write lock, ``add`` waits (the writer thread
    is busy) and the event loop runs on; once the lock goes, every row is written."""
    put(sqlite_store, [exchange()])
    with sqlite_store.begin() as session:
        [row] = store_replays.replay_rows(session, ExchangeFilter())
        run_id = store_replays.create_run(session).id
    sample = Sample.from_row(row)
    path = sqlite_store.kw["bind"].url.database
    blocker = sqlite3.connect(path, isolation_level=None)

    async def scenario() -> tuple[int, bool]:
        writer = BatchWriter(sqlite_store, run_id, batch=1, depth=2)
        added = 0

        async def feed() -> None:
            nonlocal added
            for _ in range(10):
                await writer.add(_row(sample))
                added += 1

        blocker.execute("BEGIN IMMEDIATE")
        feeder = asyncio.create_task(feed())
        ticks = 0
        while added < 1:  # the first batch goes to the writer thread, which the lock holds
            await asyncio.sleep(0)
        for _ in range(200):
            ticks += 1
            await asyncio.sleep(0)
        held_back = not feeder.done() and added < 10
        blocker.execute("ROLLBACK")
        await feeder
        await writer.close()
        return ticks, held_back

    try:
        ticks, held_back = asyncio.run(scenario())
    finally:
        blocker.close()
    assert held_back and ticks == 200
    with sqlite_store() as session:
        assert session.scalar(select(func.count()).select_from(ReplayResult)) == 10


def test_the_recording_process_does_not_import_the_http_client():
    code = (
        "import sys, harness.replay.worker; print(sorted({'aiohttp', 'typer'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_run_leaves_garbage_collection_as_it_found_it(sqlite_store):
    put(sqlite_store, [exchange() for _ in range(3)])
    frozen = gc.get_freeze_count()
    with recording(lax_staging) as staging:
        replay(sqlite_store, {"staging": staging.url}, plan=plan_for())
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_progress_is_reported_in_bounded_steps(sqlite_store, monkeypatch):
    monkeypatch.setattr(engine, "TICKS", 4)
    put(sqlite_store, [exchange() for _ in range(20)])
    calls: list[tuple[int, int]] = []
    with recording(lax_staging) as staging:
        replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(),
            progress=lambda done, total: calls.append((done, total)),
            settings=Settings(repeat_noise=0),
        )
    assert calls[0] == (0, 20) and calls[-1] == (20, 20)
    assert len(calls) <= 4 + 2
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_unknown_recording_is_refused():
    with pytest.raises(ConfigError, match="unknown recording 'elsewhere'"):
        Settings(recording="elsewhere")


def _answer(body: bytes) -> RawAnswer:
    return RawAnswer(200, [("Content-Type", "application/json")], body, None, 1.0)


def _row(sample: Sample) -> dict[str, Any]:
    from harness.replay.assess import Assessor

    return Assessor(plan_for()).record(sample, "staging", _answer(b'{"code":"000000"}'))
