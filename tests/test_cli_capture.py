"""`harness flows`, `harness flows show`, `harness stats`, `harness proxy`: output and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from harness.store import open_store
from harness.store.queries import EXCHANGE_COLUMNS, insert_exchanges
from tests.support.procs import HARNESS, free_port

DAY = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
OPEN = "POST /openapi/v1/account/open"
XML = "POST /gbk/open"
PSEUDO = "某某恒通(某某)有限公司"


def _row(i: int, **kw) -> dict:
    r = {c: None for c in EXCHANGE_COLUMNS}
    body = json.dumps({"enterpriseName": PSEUDO, "amount": "1.00"}, ensure_ascii=False).encode()
    r.update(
        ts=DAY + timedelta(minutes=i),
        client="127.0.0.1:5000",
        method="POST",
        scheme="http",
        host="127.0.0.1:18080",
        path="/openapi/v1/account/open",
        endpoint=OPEN,
        request_headers=[["content-type", "application/json"], ["x-signature", "[redacted]"]],
        request_body=body,
        request_format="json",
        request_charset="utf-8",
        request_fields={"enterpriseName": PSEUDO, "amount": "1.00"},
        request_size=len(body),
        request_truncated=False,
        status=200,
        response_headers=[["content-type", "application/json"]],
        response_body='{"code":"000000","msg":"成功"}'.encode(),
        response_format="json",
        response_charset="utf-8",
        response_size=33,
        response_truncated=False,
        outcome="accepted",
        code="000000",
        message="成功",
        duration_ms=12.5,
    )
    r.update(kw)
    return r


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "cli.db")
    factory = open_store(path)
    xml = f'<?xml version="1.0" encoding="GBK"?><Request><Body><EntName>{PSEUDO}</EntName></Body></Request>'.encode(
        "gbk"
    )
    rows = [_row(i, instance="side-a") for i in range(3)]
    rows.append(
        _row(
            3,
            outcome="rejected",
            code="ED0012",
            message=f"企业名称含有非法字符: {PSEUDO}",
            instance="side-b",
        )
    )
    rows.append(
        _row(
            4,
            instance="side-b",
            endpoint=XML,
            path="/gbk/open",
            request_body=xml,
            request_format="xml",
            request_charset="gbk",
            request_fields={"Request.Body.EntName": PSEUDO},
            outcome="rejected",
            code="ED0012",
            message="企业名称含有非法字符",
        )
    )
    rows.append(
        _row(
            60 * 24 + 5,
            outcome="upstream_error",
            code=None,
            message=None,
            status=None,
            error="Connection refused",
        )
    )
    with factory.begin() as s:
        insert_exchanges(s, rows)
    factory.kw["bind"].dispose()
    return path


def cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the real entry point in-process; returns (exit code, stdout, stderr)."""
    from harness.cli import main

    monkeypatch.setattr(sys, "argv", ["harness", *args])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_flows_lists_newest_first_as_a_table(db, monkeypatch, capsys):
    code, out, _ = cli(monkeypatch, capsys, "flows", "--db", db)
    assert code == 0
    assert "6 exchanges" in out
    assert out.index("upstream_error") < out.index("ED0012")  # newest first
    assert "企业名称含有非法字符" in out and "Connection refused" in out
    code, out, _ = cli(monkeypatch, capsys, "flows", "--db", db, "--wide")
    assert code == 0 and "12.5" in out  # --wide adds the status and the duration


def test_flows_filters_and_json(db, monkeypatch, capsys):
    code, out, _ = cli(
        monkeypatch,
        capsys,
        "flows",
        "--db",
        db,
        "--day",
        "2026-11-24",
        "--outcome",
        "rejected",
        "--json",
    )
    assert code == 0
    listed = json.loads(out)
    assert (listed["total"], listed["limit"]) == (2, 50)
    data = listed["items"]
    assert [d["endpoint"] for d in data] == [XML, OPEN]
    assert {d["code"] for d in data} == {"ED0012"}
    code, out, _ = cli(
        monkeypatch,
        capsys,
        "flows",
        "--db",
        db,
        "--endpoint",
        OPEN,
        "--code",
        "000000",
        "--limit",
        "2",
        "--json",
    )
    listed = json.loads(out)
    assert [d["code"] for d in listed["items"]] == ["000000", "000000"]
    assert (listed["total"], listed["limit"]) == (3, 2)  # 3 matched, the limit cut one
    code, out, _ = cli(monkeypatch, capsys, "flows", "--db", db, "--since", "2026-11-25", "--json")
    assert [d["outcome"] for d in json.loads(out)["items"]] == ["upstream_error"]


def test_flows_and_stats_select_one_sidecars_exchanges(db, monkeypatch, capsys):
    code, out, _ = cli(monkeypatch, capsys, "flows", "--db", db, "--instance", "side-b", "--json")
    assert code == 0
    assert [d["endpoint"] for d in json.loads(out)["items"]] == [XML, OPEN]
    code, out, _ = cli(monkeypatch, capsys, "stats", "--db", db, "--instance", "side-a", "--json")
    got = {(d["outcome"], d["code"]): d["count"] for d in json.loads(out)["items"]}
    assert got == {("accepted", "000000"): 3}


def test_flows_show_pretty_prints_decoded_bodies(db, monkeypatch, capsys):
    code, out, _ = cli(monkeypatch, capsys, "flows", "--db", db, "--json")
    by_endpoint = {d["endpoint"]: d["id"] for d in json.loads(out)["items"]}
    code, out, _ = cli(monkeypatch, capsys, "flows", "show", str(by_endpoint[OPEN]), "--db", db)
    assert code == 0
    assert '"enterpriseName": "某某恒通(某某)有限公司"' in out  # pretty JSON, decoded
    assert "x-signature: [redacted]" in out
    code, out, _ = cli(
        monkeypatch, capsys, "flows", "show", str(by_endpoint[XML]), "--db", db, "--json"
    )
    data = json.loads(out)
    assert data["request"]["charset"] == "gbk"
    assert f"<EntName>{PSEUDO}</EntName>" in data["request"]["body"]  # GBK decoded


def test_stats_counts_by_endpoint_outcome_code(db, monkeypatch, capsys):
    code, out, _ = cli(monkeypatch, capsys, "stats", "--db", db, "--json")
    assert code == 0
    got = {(d["endpoint"], d["outcome"], d["code"]): d["count"] for d in json.loads(out)["items"]}
    assert got == {
        (OPEN, "accepted", "000000"): 3,
        (OPEN, "rejected", "ED0012"): 1,
        (OPEN, "upstream_error", None): 1,
        (XML, "rejected", "ED0012"): 1,
    }
    code, out, _ = cli(monkeypatch, capsys, "stats", "--db", db, "--day", "2026-11-24")
    assert code == 0 and "5 exchanges" in out and "upstream_error" not in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["flows", "show", "999"], "no exchange with id 999"),
        (["flows", "--day", "2026-13-01"], "not a day"),
        (["flows", "--since", "tomorrowish"], "not a date"),
        (["flows", "--outcome", "maybe"], "unknown outcome"),
        (["stats", "--until", "2026-11-01", "--since", "2026-11-02"], "window is empty"),
    ],
)
def test_bad_input_is_one_line_on_stderr(db, monkeypatch, capsys, args, fragment):
    code, out, err = cli(monkeypatch, capsys, *args, "--db", db)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: ") and fragment in err
    assert "Traceback" not in err + out


def test_missing_or_unreachable_store_is_one_line(tmp_path, monkeypatch, capsys):
    code, _, err = cli(monkeypatch, capsys, "flows", "--db", str(tmp_path / "none.db"))
    assert code == 1 and "no harness store" in err and err.count("\n") == 1
    assert not (tmp_path / "none.db").exists()  # looking does not create it
    dead = f"postgresql+psycopg://h:pw@127.0.0.1:{free_port()}/h?connect_timeout=2"
    monkeypatch.setenv("HARNESS_DB", dead)  # where a URL with a password belongs
    code, _, err = cli(monkeypatch, capsys, "stats")
    assert code == 1 and "cannot reach store" in err and "pw" not in err and err.count("\n") == 1


def test_a_password_in_db_on_the_command_line_is_warned_about(monkeypatch, capsys):
    dead = f"postgresql+psycopg://h:pw@127.0.0.1:{free_port()}/h?connect_timeout=2"
    code, _, err = cli(monkeypatch, capsys, "stats", "--db", dead)
    warning, error = err.splitlines()
    assert warning.startswith("warning: --db carries a password") and "HARNESS_DB" in warning
    assert code == 1 and error.startswith("error: ") and "pw" not in err
    monkeypatch.setenv("HARNESS_DB", dead)
    assert "warning" not in cli(monkeypatch, capsys, "stats")[2]  # from the environment: fine


def test_proxy_with_a_malformed_plan_fails_before_serving(tmp_path):
    plan = tmp_path / "bad.yaml"
    plan.write_text("name: x\nsensitive: [1, 2\n")
    res = subprocess.run(
        [
            HARNESS,
            "proxy",
            "--plan",
            str(plan),
            "--db",
            str(tmp_path / "p.db"),
            "--listen-port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0 and "not valid YAML" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("command", [["proxy"], ["flows"], ["flows", "show"], ["stats"]])
def test_every_command_has_help_with_an_example(monkeypatch, capsys, command):
    code, out, _ = cli(monkeypatch, capsys, *command, "--help")
    assert code == 0
    assert "Example:" in out
