"""The incident report from a real store (SQLite and PostgreSQL): sections, numbers, no values."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from harness.plan import parse_plan
from harness.report import default_path, render
from harness.rules import RuleSpec
from harness.store.models import Exchange, ReplayResult, ReplayRun
from harness.store.reporting import load_report_data, rule_verdicts
from harness.store.rules import save_rules
from harness.timeutil import parse_day
from tests.support.procs import HARNESS

DAY = "2026-11-24"
OPEN = "POST /openapi/v1/vaccount/open"
XFER = "POST /openapi/v1/transfer"
PLAN = parse_plan(
    {"name": "simbank", "labels": {"enterpriseName": "企业名称", "businessAddress": "经营地址"}}
)
SECRET = "某某SECRETVALUE有限公司"  # a field value: must never reach the report


def exchange(
    i: int, endpoint: str, outcome: str, fields: dict, code=None, message=None, day_offset=0
) -> Exchange:
    ts = datetime(2026, 11, 24, 3, 0, tzinfo=UTC) + timedelta(days=day_offset, minutes=i)
    return Exchange(
        id=i,
        ts=ts,
        method="POST",
        host="bank.example",
        path=endpoint.split(" ", 1)[1],
        endpoint=endpoint,
        request_format="json",
        request_fields=fields,
        request_body=json.dumps(fields, ensure_ascii=False).encode(),
        status=200,
        outcome=outcome,
        code=code,
        message=message,
    )


def fill(factory) -> None:
    rows = [
        exchange(
            1,
            OPEN,
            "accepted",
            {"enterpriseName": "某某（中国）有限公司", "businessAddress": "北京市"},
        ),
        exchange(
            2,
            OPEN,
            "rejected",
            {"enterpriseName": "某某(中国)有限公司", "businessAddress": "北京"},
            "ED0012",
            "企业名称含有非法字符",
        ),
        exchange(
            3,
            OPEN,
            "rejected",
            {"enterpriseName": SECRET, "businessAddress": "x"},
            "ED0012",
            "企业名称含有非法字符",
        ),
        exchange(
            4, OPEN, "accepted", {"enterpriseName": "某某公司", "businessAddress": "Room 5, 北京"}
        ),
        exchange(5, XFER, "rejected", {"amount": "1.001"}, "ED0301", "金额格式错误"),
        exchange(6, XFER, "upstream_error", {"amount": "1.00"}),
        exchange(
            7,
            OPEN,
            "rejected",
            {"enterpriseName": "a"},
            "ED0012",
            "企业名称含有非法字符",
            day_offset=1,
        ),
    ]
    with factory.begin() as s:
        s.add_all(rows)
        s.flush()
        run = ReplayRun(
            kind="replay",
            started_at=datetime(2026, 11, 25, tzinfo=UTC),
            state="done",
            targets={"staging": "http://127.0.0.1:1"},
        )
        s.add(run)
        s.flush()
        for ex_id, verdict in ((2, "production_only"), (3, "production_only"), (5, "reproducible")):
            s.add(
                ReplayResult(
                    run_id=run.id,
                    exchange_id=ex_id,
                    target="staging",
                    sent_at=run.started_at,
                    outcome="accepted",
                    verdict=verdict,
                )
            )
        name = RuleSpec(
            OPEN,
            "enterpriseName",
            "forbidden_chars",
            {"classes": ["ascii_upper", "ascii_lower"], "chars": "()"},
            code="ED0012",
            message="企业名称含有非法字符",
            state="confirmed",
            support=2,
            evidence={"support_ids": [2, 3]},
        )
        amount = RuleSpec(
            XFER,
            "amount",
            "decimal",
            {"scale": 2},
            code="ED0301",
            message="金额格式错误",
            support=1,
            evidence={"support_ids": [5]},
        )
        address = RuleSpec(
            OPEN,
            "businessAddress",
            "forbidden_chars",
            {"classes": ["ascii_upper", "ascii_lower"]},
            source="analogy",
            evidence={"derived_from_key": name.key},
        )
        save_rules(s, [name, amount, address])


def data_for(factory, day=DAY):
    start, end = parse_day(day)
    with factory.begin() as s:
        return load_report_data(s, plan_name="simbank", day=day, start=start, end=end)


def test_report_data_from_the_store(store):
    fill(store)
    data = data_for(store)
    assert (OPEN, "accepted", 2) in data.counts and (OPEN, "rejected", 2) in data.counts
    assert (XFER, "upstream_error", 1) in data.counts
    assert sum(n for _, _, n in data.counts) == 6  # exchange 7 is another day
    top = data.signatures[0]
    assert (top.endpoint, top.code, top.count, top.verdicts) == (
        OPEN,
        "ED0012",
        2,
        {"production_only": 2},
    )
    assert data.run is not None and data.run["targets"] == ["staging"]
    by_field = {r.field: r for r in data.rules}
    assert data.rule_verdicts[by_field["enterpriseName"].key]["production_only"] == 2
    assert data.rule_verdicts[by_field["amount"].key] == {"reproducible": 1}
    risk = data.at_risk[by_field["businessAddress"].key]
    assert risk.by_outcome == {"accepted": 1, "rejected": 1} and risk.ids == [3, 4]


def test_markdown_report_sections_and_no_values(store):
    fill(store)
    text = render(data_for(store), PLAN, "markdown")
    assert text.startswith(f"# Incident report: simbank, {DAY}")
    for heading in (
        "## Summary",
        "## What was captured",
        "## Production rejections by signature",
        "## Rules learned",
        "## Analogous fields at risk",
        "## Recommendations",
    ):
        assert heading in text
    assert "| `POST /openapi/v1/vaccount/open` | 2 | 2 | 0 | 4 |" in text
    assert (
        "| `POST /openapi/v1/vaccount/open` | `ED0012` | 企业名称含有非法字符 | 2 | 2 | 0 | 0 |"
        in text
    )
    assert "production only" in text and "staging too" in text
    assert "经营地址 (`businessAddress`)" in text and "#3, #4" in text
    assert "Check 经营地址 (`businessAddress`)" in text
    assert (
        "Tell operations and customer service which rejections can only happen in production: `POST /openapi/v1/vaccount/open` `ED0012`"
        in text
    )
    assert "harness mock --rules rules.yaml" in text
    for value in (SECRET, "SECRETVALUE", "某某(中国)有限公司", "Room 5", "1.001"):
        assert value not in text


def test_html_report_is_one_page(store):
    fill(store)
    page = render(data_for(store), PLAN, "html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<h2>Analogous fields at risk</h2>" in page and "<table>" in page
    assert "SECRETVALUE" not in page and "<script" not in page and "href=" not in page


def test_report_without_replay_or_rules(sqlite_url):
    from harness.store import open_store

    factory = open_store(sqlite_url)
    with factory.begin() as s:
        s.add(
            exchange(1, OPEN, "rejected", {"enterpriseName": "a"}, "ED0012", "企业名称含有非法字符")
        )
    text = render(data_for(factory), PLAN)
    assert "No replay run covers this period" in text
    assert "No rule has been learned yet" in text
    assert "| ? | ? | ? |" in text
    empty = render(data_for(factory, "2026-01-01"), PLAN)
    assert "No exchange was captured" in empty and "Production rejected nothing" in empty
    factory.kw["bind"].dispose()


def test_rule_verdicts_without_a_run(sqlite_url):
    from harness.store import open_store

    factory = open_store(sqlite_url)
    with factory.begin() as s:
        assert rule_verdicts(s, [RuleSpec(OPEN, "a", "required")]) == {}
    factory.kw["bind"].dispose()


def test_default_path():
    assert str(default_path(DAY)) == "harness-out/report-2026-11-24.md"
    assert str(default_path(None, "html")) == "harness-out/report-all.html"


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([HARNESS, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_cli_writes_the_report(tmp_path, sqlite_url):
    from harness.store import open_store

    factory = open_store(sqlite_url)
    fill(factory)
    factory.kw["bind"].dispose()
    db = sqlite_url.removeprefix("sqlite:///")
    done = run_cli("report", "--db", db, "--day", DAY, "--format", "html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "harness-out" / f"report-{DAY}.html").read_text(encoding="utf-8")
    assert "<h1>Incident report: default, 2026-11-24</h1>" in page
    out = tmp_path / "r.md"
    assert run_cli("report", "--db", db, "--day", DAY, "-o", str(out)).returncode == 0
    assert "## Rules learned" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--day", "yesterdayish"], "not a day"),
        (["--format", "pdf"], "unknown report format 'pdf'"),
        (["--db", "/nonexistent/dir/x.db"], "store"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path, sqlite_url, args, message):
    from harness.store import open_store

    open_store(sqlite_url).kw["bind"].dispose()
    db = sqlite_url.removeprefix("sqlite:///")
    done = run_cli("report", "--db", db, *args, cwd=tmp_path)
    assert done.returncode == 1
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_each_target_keeps_its_latest_run(sqlite_url):
    """A later replay against the mock does not hide the staging replay's verdicts."""
    from datetime import UTC, datetime

    from harness.store import Exchange, ReplayResult, ReplayRun, opened
    from harness.store.reporting import latest_runs, signature_verdicts

    now = datetime(2026, 11, 24, 8, tzinfo=UTC)
    with opened(sqlite_url, create=True) as factory, factory.begin() as s:
        ex = Exchange(
            ts=now,
            method="POST",
            host="h",
            path="/p",
            endpoint="POST /p",
            outcome="rejected",
            code="E1",
            message="企业名称含有非法字符",
        )
        s.add(ex)
        s.flush()
        for target, verdict in (("staging", "production_only"), ("mock", "mock_agrees")):
            run = ReplayRun(started_at=now, targets={target: "http://127.0.0.1:1"})
            s.add(run)
            s.flush()
            s.add(
                ReplayResult(
                    run_id=run.id,
                    exchange_id=ex.id,
                    target=target,
                    sent_at=now,
                    outcome="rejected",
                    verdict=verdict,
                )
            )
    with opened(sqlite_url) as factory, factory.begin() as s:
        runs = latest_runs(s, None, None)
        assert [t for _, t in runs] == ["staging", "mock"]
        verdicts = signature_verdicts(s, runs)
    assert dict(verdicts[("POST /p", "E1", "企业名称含有非法字符")]) == {
        "production_only": 1,
        "mock_agrees": 1,
    }
