"""``harness learn`` and ``harness rules list|show|confirm|retire`` as a user runs them:
the real command in a subprocess, over a real store (SQLite file and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from harness.store.queries import EXCHANGE_COLUMNS, insert_exchanges
from tests.learn_rows import LABELS, OPEN, day_rows
from tests.support.procs import HARNESS


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "240"}  # rich tables at a readable width
    proc = subprocess.run([HARNESS, *args], capture_output=True, text=True, timeout=60, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"harness {' '.join(args)} failed: {proc.stderr}")
    return proc


def fill(store, rows) -> None:
    """Insert learner-shaped rows as captured exchanges (the other columns defaulted)."""
    full = []
    for r in rows:
        method, path = r["endpoint"].split(" ", 1)
        base = {c: None for c in EXCHANGE_COLUMNS}
        base.update(
            client=None,
            method=method,
            scheme="http",
            host="bank.test",
            path=path,
            request_headers=[],
            request_format="json",
            request_size=0,
            request_truncated=False,
            status=200,
            response_headers=[],
            response_format="json",
            response_size=0,
            response_truncated=False,
        )
        base.update({k: v for k, v in r.items() if k != "id"})
        full.append(base)
    with store.begin() as s:
        insert_exchanges(s, full)


@pytest.fixture
def sqlite_store(sqlite_url):
    from harness.store import open_store

    factory = open_store(sqlite_url)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "bank.yaml"
    lines = ["name: testbank", "success: {code: ['000000']}", "labels:"]
    lines += [f"  {k}: {v}" for k, v in LABELS.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_learn_then_manage_rules(store, db_url, plan_file):
    fill(store, day_rows())
    out = json.loads(
        run("learn", "--db", db_url, "--plan", plan_file, "--day", "2026-11-24", "--json").stdout
    )
    learned = [r for r in out["rules"] if r["source"] == "learned"]
    name = next(r for r in learned if r["field"] == "enterpriseName")
    assert name["kind"] == "forbidden_chars" and name["id"]
    assert name["description"].startswith("must not contain '(' ')'")
    assert out["stats"]["rejected"] > 0 and out["stats"]["probes"] == 0
    assert all(r["contradict"] == 0 for r in learned)

    # Learning the same day again updates rather than duplicates.
    again = json.loads(
        run("learn", "--db", db_url, "--plan", plan_file, "--day", "2026-11-24", "--json").stdout
    )
    page = json.loads(run("rules", "list", "--db", db_url, "--all", "--json").stdout)
    listed = page["items"]
    assert page["total"] == len(listed) and page["limit"] is None
    assert len({r["key"] for r in listed}) == len(listed)
    assert {r["id"] for r in again["rules"]} <= {r["id"] for r in listed}
    same = next(r for r in listed if r["id"] == name["id"])
    assert same["support"] == name["support"]

    table = run("rules", "list", "--db", db_url, "--endpoint", OPEN).stdout
    assert "enterpriseName" in table and "must not contain" in table

    shown = json.loads(run("rules", "show", str(name["id"]), "--db", db_url, "--json").stdout)
    assert shown["evidence"]["signature"]["code"] == "ED0012"
    assert "support_ids" in shown["evidence"]
    text = run("rules", "show", str(name["id"]), "--db", db_url).stdout
    assert "evidence:" in text and "ED0012" in text and "supporting exchanges: #" in text
    assert "{'" not in text  # words, not Python reprs

    suspected = next(r for r in listed if r["state"] == "suspected")
    run("rules", "confirm", str(suspected["id"]), "--db", db_url, "--note", "bank agreed")
    after = json.loads(run("rules", "show", str(suspected["id"]), "--db", db_url, "--json").stdout)
    assert after["state"] == "confirmed" and after["source"] == suspected["source"]
    assert after["evidence"]["manual"][-1]["note"] == "bank agreed"

    run("rules", "retire", str(name["id"]), "--db", db_url)
    live = json.loads(run("rules", "list", "--db", db_url, "--json").stdout)["items"]
    assert name["id"] not in {r["id"] for r in live}
    retired = json.loads(
        run("rules", "list", "--db", db_url, "--state", "retired", "--json").stdout
    )["items"]
    assert name["id"] in {r["id"] for r in retired}

    # A manual retirement survives the next learning run.
    run("learn", "--db", db_url, "--plan", plan_file, "--day", "2026-11-24", "--json")
    shown = json.loads(run("rules", "show", str(name["id"]), "--db", db_url, "--json").stdout)
    assert shown["state"] == "retired"


def test_learn_prints_rules_and_risks(sqlite_store, sqlite_url, plan_file):
    fill(sqlite_store, day_rows())
    proc = run("learn", "--db", sqlite_url, "--plan", plan_file)
    assert "Learned from production's rejections" in proc.stdout
    assert "Captured requests a carried rule would reject" in proc.stdout
    assert "at risk: production accepted them" in proc.stdout and "ascii_punct" in proc.stdout
    assert "华瑞" not in proc.stdout  # ids and classes, never a value


@pytest.mark.parametrize(
    "args, message",
    [
        (("rules", "show", "999"), "no rule with id 999"),
        (("rules", "confirm", "999"), "no rule with id 999"),
        (("rules", "list", "--state", "maybe"), "unknown rule state 'maybe'"),
        (("learn", "--day", "2030-01-01"), "no captured exchanges in the window"),
        (("learn", "--day", "tomorrow-ish"), "not a day"),
        (("learn", "--probe"), "--probe needs a plan"),
    ],
)
def test_errors_are_one_line(sqlite_store, sqlite_url, args, message):
    if args[0] == "learn" and "--probe" in args:
        fill(sqlite_store, day_rows(accepted=20))
    proc = run(*args, "--db", sqlite_url, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_every_command_has_help_with_an_example():
    for args in (
        ("learn",),
        ("rules", "list"),
        ("rules", "show"),
        ("rules", "confirm"),
        ("rules", "retire"),
    ):
        proc = run(*args, "--help")
        assert "Example: harness" in proc.stdout
