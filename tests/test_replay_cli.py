"""`harness replay`, `harness runs`, `harness runs show`: real processes, real store."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from harness.store import open_store
from tests.support.procs import HARNESS, free_port
from tests.test_replay import exchange, put, strict_on_parens
from tests.test_replay_recorder import recording


def harness(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [HARNESS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "harness.db"
    factory = open_store(str(path))
    put(factory, [exchange("某某(某某)有限公司"), exchange("某某（某某）有限公司")])
    factory.kw["bind"].dispose()
    return str(path)


def plan_file(tmp_path, **data) -> str:
    base = {
        "name": "clibank",
        "success": {"status": [200], "code": ["000000"]},
        "response": {"code": ["code"], "message": ["msg"]},
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({**base, **data}, allow_unicode=True))
    return str(path)


@pytest.mark.slow
def test_replay_then_runs_and_runs_show(db, tmp_path):
    with recording(strict_on_parens) as staging:
        plan = plan_file(tmp_path, targets={"staging": staging.url})
        done = harness("replay", "--db", db, "--plan", plan, "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    run_id = out["run_id"]
    assert out["summary"]["targets"]["staging"]["verdicts"] == {
        "reproducible": 1,
        "production_only": 1,
    }

    listed = harness("runs", "--db", db, "--json")
    assert listed.returncode == 0, listed.stderr
    [run] = json.loads(listed.stdout)["items"]
    assert (run["id"], run["kind"], run["state"], run["results"]) == (run_id, "replay", "done", 2)

    shown = harness(
        "runs", "show", str(run_id), "--db", db, "--json", "--verdict", "production_only"
    )
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert (data["results"]["total"], data["results"]["limit"]) == (1, 200)
    [result] = data["results"]["items"]
    assert result["verdict"] == "production_only"
    assert result["production"]["code"] == "ED0012"
    assert result["result"]["code"] == "000000"

    table = harness("runs", "show", str(run_id), "--db", db)
    assert table.returncode == 0, table.stderr
    assert "staging" in table.stdout and "prod only" in table.stdout
    assert "POST /v1/account/open" in table.stdout


def test_replay_says_what_the_limit_left_out(db):
    with recording(strict_on_parens) as staging:
        done = harness(
            "replay",
            "--db",
            db,
            "--target",
            f"staging={staging.url}",
            "--repeat-noise",
            "0",
            "--limit",
            "1",
        )
        assert done.returncode == 0, done.stderr
        assert "replayed 1 of 2 selected (--limit)" in done.stdout
        out = json.loads(
            harness(
                "replay", "--db", db, "--target", f"staging={staging.url}", "--limit", "1", "--json"
            ).stdout
        )
    assert (out["matched"], out["limit"], out["summary"]["selected"]) == (2, 1, 1)


def test_replay_table_output(db):
    with recording(strict_on_parens) as staging:
        done = harness(
            "replay", "--db", db, "--target", f"staging={staging.url}", "--repeat-noise", "0"
        )
    assert done.returncode == 0, done.stderr
    assert "reproduced" in done.stdout and "replayed 2 exchange(s)" in done.stdout
    assert "harness runs show" in done.stdout
    listed = harness("runs", "--db", db)
    assert "replay" in listed.stdout and "done" in listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "nourl"], "a target is NAME=URL"),
        (["--target", "s=ftp://x"], "needs an http(s) URL"),
        ([], "no replay targets"),
        (["--target", "s=http://127.0.0.1:1", "--outcome", "maybe"], "unknown outcome 'maybe'"),
        (["--target", "s=http://127.0.0.1:1", "--day", "24/11/2026"], "not a day"),
    ],
)
def test_bad_input_is_one_line(db, args, message, capsys, monkeypatch):
    """In-process through the console script's main(): exit 1 and one line on stderr."""
    code, err = run_main(["replay", "--db", db, *args], capsys, monkeypatch)
    assert code == 1
    assert err.count("\n") == 1 and message in err, err


def test_production_target_is_refused(db, tmp_path):
    port = free_port()
    plan = plan_file(tmp_path, upstream=f"http://127.0.0.1:{port}")
    done = harness(
        "replay", "--db", db, "--plan", plan, "--target", f"prod=http://localhost:{port}"
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: refusing replay target 'prod'")
    assert done.stderr.count("\n") == 1


def test_unknown_run_and_verdict(db, capsys, monkeypatch):
    code, err = run_main(["runs", "show", "999", "--db", db], capsys, monkeypatch)
    assert code == 1 and "no replay run with id 999" in err
    code, err = run_main(
        ["runs", "show", "1", "--db", db, "--verdict", "maybe"], capsys, monkeypatch
    )
    assert code == 1 and "unknown verdict 'maybe'" in err


@pytest.mark.parametrize("command", [["replay"], ["runs"], ["runs", "show"]])
def test_help_ends_with_an_example(command):
    from typer.testing import CliRunner

    from harness.cli import app

    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Example: harness " in result.output


def run_main(argv: list[str], capsys, monkeypatch) -> tuple[int, str]:
    """Run the console script's main() in this process; (exit code, stderr)."""
    import sys

    from harness.cli import main

    monkeypatch.setattr(sys, "argv", ["harness", *argv])
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err
