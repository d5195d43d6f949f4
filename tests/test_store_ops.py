"""The store as a deployable thing: ``harness db upgrade|current``, ``--no-migrate``, and
``harness replay --shard I/N`` (N workers, one selection, no overlap and no gap)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text

from harness.replay import Selection, Settings, replay
from harness.store import make_engine, open_store
from harness.store.engine import _alembic_config, head_revision
from harness.store.queries import insert_exchanges
from harness.store.replays import run_results
from tests.support.procs import HARNESS, free_port
from tests.support.upstream import upstream
from tests.test_replay import DAY, exchange

ENV_KEY = {"HARNESS_KEY": "5e" * 32}


def harness(*args: str, db: str | None = None) -> subprocess.CompletedProcess:
    """The real command; ``db`` goes by HARNESS_DB (a URL with a password never on argv)."""
    env = {**os.environ, **ENV_KEY, **({"HARNESS_DB": db} if db else {})}
    return subprocess.run([HARNESS, *args], capture_output=True, text=True, timeout=120, env=env)


def _old_store(url: str) -> None:
    """A store at the first revision, as an older harness left it."""
    engine = make_engine(url)
    command.upgrade(_alembic_config(engine), "0001")
    engine.dispose()


def test_db_current_upgrade_and_no_migrate(db_url):
    _old_store(db_url)
    res = harness("db", "current", "--json", "--check", db=db_url)
    assert res.returncode == 1
    state = json.loads(res.stdout)
    assert (state["current"], state["head"], state["up_to_date"]) == (
        "0001",
        head_revision(),
        False,
    )
    assert "harness:harness@" not in res.stdout  # a password never shows
    # Reading commands and --no-migrate refuse an old schema in one line, changing nothing.
    for args in (
        ["flows"],
        ["proxy", "--upstream", "http://127.0.0.1:9", "--listen-port", str(free_port()),
         "--no-migrate"],
    ):  # fmt: skip
        res = harness(*args, db=db_url)
        assert res.returncode == 1, (args, res.stderr)
        assert res.stderr.count("\n") == 1 and "run: harness db upgrade" in res.stderr
        assert "'0001'" in res.stderr
    assert json.loads(harness("db", "current", "--json", db=db_url).stdout)["current"] == "0001"
    res = harness("db", "upgrade", db=db_url)
    assert res.returncode == 0 and f"upgraded from 0001 to revision {head_revision()}" in res.stdout
    res = harness("db", "upgrade", db=db_url)
    assert res.returncode == 0 and "already at revision" in res.stdout
    res = harness("db", "current", "--check", db=db_url)
    assert res.returncode == 0 and "(current)" in res.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        conn.execute(text("select instance from exchanges"))  # the new column is there
    engine.dispose()


def test_no_migrate_captures_into_a_current_store(tmp_path):
    db = tmp_path / "h.db"
    assert harness("db", "upgrade", "--db", str(db)).returncode == 0
    from tests.support.procs import running, stop

    port = free_port()
    with upstream() as up:
        args = [HARNESS, "proxy", "--upstream", up, "--listen-port", str(port)]
        with running([*args, "--db", str(db), "--no-migrate"], port=port, env=ENV_KEY) as proc:
            import urllib.request

            req = urllib.request.Request(f"http://127.0.0.1:{port}/echo", data=b"{}", method="POST")
            with urllib.request.urlopen(req, timeout=30) as r:
                assert r.status == 200
            assert stop(proc) == 0
            out = proc.stdout.read()
            proc.stdout.close()
    assert "1 captured, 0 dropped" in out


def test_db_current_on_a_missing_file_is_one_line(tmp_path):
    res = harness("db", "current", "--db", str(tmp_path / "none.db"))
    assert res.returncode == 1 and res.stderr.count("\n") == 1
    assert not (tmp_path / "none.db").exists() or (tmp_path / "none.db").stat().st_size == 0


@pytest.mark.parametrize("bad", ["0/3", "4/3", "x/y", "3", "1/0"])
def test_a_bad_shard_is_one_line(tmp_path, bad):
    res = harness("replay", "--db", str(tmp_path / "h.db"), "--target", "t=http://127.0.0.1:9",
                  "--shard", bad)  # fmt: skip
    assert res.returncode == 1 and "--shard" in res.stderr and res.stderr.count("\n") == 1


def test_shards_split_one_selection_with_no_overlap_and_no_gap(db_url):
    factory = open_store(db_url)
    rows = [
        exchange(ts=DAY + timedelta(seconds=i), outcome="rejected" if i % 5 else "accepted")
        for i in range(97)
    ]
    with factory.begin() as s:
        insert_exchanges(s, rows)
    selection = dict(outcome="rejected", limit=50)
    shares: list[set[int]] = []
    with upstream() as target:
        whole = replay(
            factory,
            {"t": target},
            selection=Selection(**selection),
            settings=Settings(repeat_noise=0),
        )
        for i in (1, 2, 3):
            report = replay(
                factory,
                {"t": target},
                selection=Selection(**selection, shard=(i, 3)),
                settings=Settings(repeat_noise=0),
            )
            with factory() as s:
                shares.append({e.id for _, e in run_results(s, report.run_id, limit=None)})
    with factory() as s:
        everything = {e.id for _, e in run_results(s, whole.run_id, limit=None)}
    factory.kw["bind"].dispose()
    assert len(everything) == 50
    assert all(shares) and sum(len(x) for x in shares) == 50
    assert set().union(*shares) == everything  # no gap
    assert all(not (a & b) for a in shares for b in shares if a is not b)  # no overlap
