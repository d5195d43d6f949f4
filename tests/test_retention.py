"""Retention: ``harness prune`` deletes old exchanges and their replay results in batches
while a real capture proxy keeps writing to the same SQLite file; rules survive. And the
daily prune of the plan's ``retention`` inside the ingest."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import threading
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from harness.capture.retention import Pruner
from harness.errors import ConfigError
from harness.plan import parse_plan
from harness.rules import RuleSpec
from harness.store import Exchange, make_engine, open_store
from harness.store import replays as store_replays
from harness.store.queries import insert_exchanges
from harness.store.rules import load_rules, save_rules
from harness.timeutil import parse_duration, utcnow
from tests.support.procs import HARNESS, free_port, running, stop
from tests.support.upstream import upstream
from tests.test_replay import exchange

ENV = {"HARNESS_KEY": "9e" * 32}
OLD = 2500


def _seed(db: str) -> None:
    """OLD exchanges 40 days old with a replay run's results, and a learned rule."""
    factory = open_store(db)
    old = utcnow() - timedelta(days=40)
    rows = [exchange(ts=old + timedelta(seconds=i)) for i in range(OLD)]
    with factory.begin() as s:
        insert_exchanges(s, rows)
        run = store_replays.create_run(s, kind="replay", selection={}, targets={"t": "x"})
        ids = list(s.scalars(select(Exchange.id).order_by(Exchange.id)))
        store_replays.insert_results(
            s,
            [
                {
                    "run_id": run.id,
                    "exchange_id": i,
                    "target": "t",
                    "variant": "sanitized",
                    "sent_at": old,
                    "status": 200,
                    "headers": [],
                    "body": None,
                    "fields": None,
                    "latency_ms": 1.0,
                    "outcome": "accepted",
                    "code": None,
                    "message": None,
                    "error": None,
                    "diff": None,
                    "verdict": "production_only",
                }
                for i in ids[:100]
            ],
        )
        save_rules(
            s,
            [
                RuleSpec(
                    "POST /v1/account/open",
                    "enterpriseName",
                    "forbidden_chars",
                    {"chars": "()"},
                    code="ED0012",
                    support=40,
                    evidence={"support_ids": ids[:5], "bracket": {"rejected": 40}},
                )
            ],
        )
    factory.kw["bind"].dispose()


async def _traffic(base: str, stop_at: threading.Event) -> int:
    sent = 0
    async with aiohttp.ClientSession() as session:
        while not stop_at.is_set():
            async with session.post(f"{base}/echo", json={"rid": f"r{sent}"}) as r:
                assert r.status == 200
                await r.read()
            sent += 1
    return sent


def test_prune_deletes_in_batches_while_capture_runs_and_rules_survive(tmp_path):
    db = tmp_path / "h.db"
    _seed(str(db))
    port = free_port()
    with upstream() as up:
        args = [HARNESS, "proxy", "--upstream", up, "--listen-port", str(port), "--db", str(db)]
        with running(args, port=port, env=ENV) as proc:
            done = threading.Event()
            result: list[int] = []
            sender = threading.Thread(
                target=lambda: result.append(
                    asyncio.run(_traffic(f"http://127.0.0.1:{port}", done))
                )
            )
            sender.start()
            try:
                dry = subprocess.run(
                    [
                        HARNESS,
                        "prune",
                        "--older-than",
                        "30d",
                        "--db",
                        str(db),
                        "--dry-run",
                        "--json",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                pruned = subprocess.run(
                    [
                        HARNESS,
                        "prune",
                        "--older-than",
                        "30d",
                        "--db",
                        str(db),
                        "--batch",
                        "100",
                        "--json",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
            finally:
                done.set()
                sender.join(60)
            assert stop(proc) == 0
            log = proc.stdout.read()
            proc.stdout.close()
    assert dry.returncode == 0 and json.loads(dry.stdout)["exchanges"] == OLD
    assert pruned.returncode == 0, pruned.stderr
    report = json.loads(pruned.stdout)
    assert report["exchanges"] == OLD and report["replay_results"] == 100
    assert report["batches"] == OLD // 100
    sent = result[0]
    assert sent > 0
    assert f"{sent} captured, 0 dropped" in log  # capture never lost a beat
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from exchanges").fetchone() == (sent,)
        assert conn.execute("select count(*) from replay_results").fetchone() == (0,)
        assert conn.execute("select count(*) from replay_runs").fetchone() == (1,)
    factory = open_store(str(db), create=False)
    with factory() as s:
        [rule] = load_rules(s)
    factory.kw["bind"].dispose()
    assert rule.support == 40 and rule.evidence["bracket"] == {"rejected": 40}
    shown = subprocess.run(
        [HARNESS, "rules", "show", "1", "--db", str(db)], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr


def test_the_ingest_applies_the_plans_retention_a_batch_at_a_time(tmp_path):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    _seed(db)
    engine = make_engine(db)
    pruner = Pruner(timedelta(days=30), lambda: engine, batch=1000, first_after=0.0)
    steps = 0
    while pruner.step():
        steps += 1
    engine.dispose()
    assert steps == 3 and pruner.deleted == OLD and pruner.results == 100
    assert not pruner.step()  # done until tomorrow
    with sqlite3.connect(tmp_path / "h.db") as conn:
        assert conn.execute("select count(*) from exchanges").fetchone() == (0,)
        assert conn.execute("select count(*) from rules").fetchone() == (1,)


@pytest.mark.parametrize(
    "text, seconds", [("30d", 30 * 86400), ("12h", 43200), ("2w", 1209600), ("90m", 5400)]
)
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds
    assert parse_plan({"retention": text}).retention == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["30", "d", "-1d", "0d", "30 days", "1y"])
def test_bad_durations_are_one_line(bad):
    with pytest.raises(ConfigError) as info:
        parse_duration(bad, "--older-than")
    assert "--older-than" in str(info.value) and "\n" not in str(info.value)


def test_prune_with_a_bad_age_says_so_in_one_line_and_deletes_nothing(tmp_path):
    db = tmp_path / "h.db"
    _seed(str(db))
    res = subprocess.run(
        [HARNESS, "prune", "--older-than", "30", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "'30'" in res.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from exchanges").fetchone() == (OLD,)
