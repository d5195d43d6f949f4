"""The incident report from a real store (SQLite and PostgreSQL): figures counted right,
front page, notice, charts, and never a field value."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from harness.plan import parse_plan
from harness.report import default_path, render
from harness.report.charts import Bar, Series, fit, hbars, text_bars
from harness.report.gather import load_report_data, rule_verdicts
from harness.rules import RuleSpec
from harness.store.models import Exchange, ReplayResult, ReplayRun
from harness.store.rules import save_rules
from harness.timeutil import parse_day
from tests.support.procs import HARNESS

DAY = "2026-11-24"
OPEN = "POST /openapi/v1/vaccount/open"
XFER = "POST /openapi/v1/transfer"
PLAN = parse_plan(
    {
        "name": "simbank",
        "labels": {"enterpriseName": "企业名称", "businessAddress": "经营地址"},
        "sensitive": {"fields": ["enterpriseName", "payeeAccount"]},
    }
)
SECRET = "某某SECRETVALUE有限公司"  # a field value: must never reach the report
GOOD_CARD, BAD_CARD = "79927398713", "79927398710"  # Luhn valid / invalid


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


NAME_MSG, GENERIC = "企业名称含有非法字符", "参数校验失败"
ROWS = [
    (1, OPEN, "accepted", {"enterpriseName": "某某（中国）有限公司", "businessAddress": "北京市"}),
    (2, OPEN, "rejected", {"enterpriseName": "某某(中国)有限公司", "businessAddress": "北京"}),
    (3, OPEN, "rejected", {"enterpriseName": SECRET, "businessAddress": "x"}),
    (4, OPEN, "accepted", {"enterpriseName": "某某公司", "businessAddress": "Room 5, 北京"}),
    (5, XFER, "rejected", {"amount": "1.001"}),
    (6, XFER, "upstream_error", {"amount": "1.00"}),
    # One generic code for two rules: each rule counts only the rejections it explains.
    (8, XFER, "rejected", {"remark": " padded", "payeeAccount": GOOD_CARD}),
    (9, XFER, "rejected", {"remark": "ok", "payeeAccount": BAD_CARD}),
    (10, XFER, "rejected", {"remark": "ok", "payeeAccount": BAD_CARD}),  # the same customer
]
CODES = {2: ("ED0012", NAME_MSG), 3: ("ED0012", NAME_MSG), 5: ("ED0301", "金额格式错误")}
CODES |= {i: ("ED0099", GENERIC) for i in (8, 9, 10)}
VERDICTS = {2: "production_only", 3: "production_only", 5: "reproducible"}
VERDICTS |= {i: "production_only" for i in (8, 9, 10)}


def rules() -> list[RuleSpec]:
    name = RuleSpec(
        OPEN,
        "enterpriseName",
        "forbidden_chars",
        {"classes": ["ascii_upper", "ascii_lower"], "chars": "()"},
        code="ED0012",
        message=NAME_MSG,
        state="confirmed",
        support=2,
    )
    return [
        name,
        RuleSpec(
            XFER, "amount", "decimal", {"scale": 2}, code="ED0301", state="confirmed", support=1
        ),
        RuleSpec(XFER, "remark", "no_surrounding_space", code="ED0099", support=1),
        RuleSpec(XFER, "payeeAccount", "checksum", {"algorithm": "luhn"}, code="ED0099", support=2),
        RuleSpec(
            OPEN,
            "businessAddress",
            "forbidden_chars",
            {"classes": ["ascii_upper", "ascii_lower"]},
            source="analogy",
            evidence={"derived_from_key": name.key},
        ),
    ]


def fill(factory) -> None:
    with factory.begin() as s:
        for i, endpoint, outcome, fields in ROWS:
            code, message = CODES.get(i, (None, None))
            s.add(exchange(i, endpoint, outcome, fields, code, message))
        s.add(exchange(7, OPEN, "rejected", {"enterpriseName": "a"}, "ED0012", NAME_MSG, 1))
        s.flush()
        run = ReplayRun(
            kind="replay",
            started_at=datetime(2026, 11, 25, tzinfo=UTC),
            state="done",
            targets={"staging": "http://127.0.0.1:1"},
        )
        s.add(run)
        s.flush()
        for ex_id, verdict in VERDICTS.items():
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
        save_rules(s, rules())


def data_for(factory, day=DAY):
    start, end = parse_day(day)
    with factory.begin() as s:
        return load_report_data(
            s, plan_name="simbank", day=day, start=start, end=end, plan=PLAN, tz=UTC
        )


def by_field(data) -> dict[str, RuleSpec]:
    return {r.field: r for r in data.rules}


def test_every_figure_is_counted_once_and_right(store):
    fill(store)
    data = data_for(store)
    assert data.total == 9 and data.rejected == 6  # exchange 7 is another day
    top = data.signatures[0]
    assert (top.endpoint, top.code, top.count, top.verdicts) == (
        XFER,
        "ED0099",
        3,
        {"production_only": 3},
    )
    name_sig = next(s for s in data.signatures if s.code == "ED0012")
    assert name_sig.first_seen == datetime(2026, 11, 24, 3, 2, tzinfo=UTC)
    rules_ = by_field(data)
    # Rules that share the generic code ED0099 each count their own rejections.
    assert data.impact(rules_["remark"]).count == 1
    assert data.impact(rules_["payeeAccount"]).count == 2
    assert data.impact(rules_["payeeAccount"]).customers == 1  # one customer, retried
    assert data.impact(rules_["enterpriseName"]).by_category == {"production_only": 2}
    assert data.impact(rules_["amount"]).by_category == {"reproducible": 1}
    # At risk: accepted requests only; exchange 3 was rejected for its name.
    risk = data.risk(rules_["businessAddress"])
    assert risk.accepted == 1 and risk.by_outcome == {"accepted": 1, "rejected": 1}
    assert risk.ids == [4, 3]  # accepted first
    assert data.by_category() == {"production_only": 5, "reproducible": 1}
    assert data.customers == 4 and data.unexplained.count == 0
    assert data.rule_verdicts[rules_["payeeAccount"].key] == {"production_only": 2}


def test_markdown_front_page_then_details_and_no_values(store):
    fill(store)
    text = render(data_for(store), PLAN, "markdown")
    assert text.startswith(f"# Incident report: simbank, {DAY}")
    first = text.split("\n\n")[1]
    assert first.startswith("Production rejected 6 of 9 requests (67%) from 4 customers")
    assert "**5 of them only production rejects**" in first
    assert "Still at risk: 1 accepted requests carry values" in first
    order = [
        "## What to do, most urgent first",
        "> ## Notice before the next release",
        "## Pictures",
        "## Production rejections by signature",
        "## Rules learned",
        "## Analogous fields at risk",
        "## What was captured",
        "## How this report counts",
    ]
    assert [text.index(h) for h in order] == sorted(text.index(h) for h in order)
    actions = text.split("## What to do", 1)[1].split("> ## Notice", 1)[0]
    rows = [line for line in actions.splitlines() if re.match(r"\| \d+ \|", line)]
    owners = {line.split(" | ")[2] for line in rows}
    assert owners <= {"developers", "operations", "customer service"} and len(owners) == 3
    # Ranked: the notice (5 production-only + 1 at risk) before the name (2 + 2) before
    # agreeing in writing (no count of its own).
    assert rows[0].startswith("| 1 | Send the notice")
    assert actions.index("企业名称 (`enterpriseName`)") < actions.index("Agree on the rules")
    assert "| `ED0099` | 参数校验失败 | 3 | 3 | 0 | 0 | 2026-11-24 03:08 |" in text
    for value in (SECRET, "SECRETVALUE", "某某(中国)有限公司", "Room 5", "1.001", BAD_CARD):
        assert value not in text


def test_html_is_one_self_contained_page_with_charts(store):
    fill(store)
    page = render(data_for(store), PLAN, "html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg ") == 4 and "<h2>Pictures</h2>" in page
    assert "@page{size:A4" in page and 'class="lead"' in page
    assert "SECRETVALUE" not in page and "<script" not in page and "href=" not in page
    assert "src=" not in page and "@import" not in page and "url(" not in page


def test_notice_alone(store):
    fill(store)
    text = render(data_for(store), PLAN, "notice")
    assert text.startswith("# Notice before the next release: simbank")
    assert "## " not in text and "Pictures" not in text
    assert "企业名称 (`enterpriseName`)" in text and "`ED0012` “企业名称含有非法字符”" in text
    assert "`amount`" not in text  # staging reproduces it: not a production-only risk
    assert "经营地址 (`businessAddress`)" in text.split("at risk", 1)[1]


def test_report_without_replay_or_rules(sqlite_url):
    from harness.store import open_store

    factory = open_store(sqlite_url)
    with factory.begin() as s:
        s.add(exchange(1, OPEN, "rejected", {"enterpriseName": "a"}, "ED0012", NAME_MSG))
    text = render(data_for(factory), PLAN)
    assert "They have not been replayed against staging yet" in text
    assert "No rule has been learned yet" in text and "| ? | ? | ? |" in text
    assert "1 rejections are not explained by any rule yet" in text
    empty = render(data_for(factory, "2026-01-01"), PLAN)
    assert "No exchange was captured" in empty and "Production rejected nothing" in empty
    assert "Production rejected none of the 0 requests" in empty
    factory.kw["bind"].dispose()


def test_rule_verdicts_without_a_run(sqlite_url):
    from harness.store import open_store

    factory = open_store(sqlite_url)
    with factory.begin() as s:
        assert rule_verdicts(s, [RuleSpec(OPEN, "a", "required")]) == {}
    factory.kw["bind"].dispose()


def test_charts_escape_and_align():
    series = [Series("a", "<a>", "#111"), Series("b", "b", "#222")]
    bars = [Bar("企业名称 <x>", {"a": 3, "b": 1}), Bar("amount", {"a": 1})]
    svg = hbars("t & t", bars, series, "none")
    assert "<x>" not in svg and "&lt;x&gt;" in svg and "t &amp; t" in svg
    assert svg.startswith("<svg ") and 'viewBox="0 0 ' in svg and 'width="100%"' in svg
    lines = text_bars(bars, series, width=8)
    assert lines[0].endswith(" 4 (3 + 1)") and lines[1].endswith(" 1")
    # CJK counts two cells: the bars start in the same column.
    assert lines[0].index("█") + 4 == lines[1].index("█")  # 4 wide characters in the label
    assert "none" in hbars("t", [], series, "none")
    path = "POST /openapi/v1/enterprise/{id}/update"
    assert fit(path, 100, 12) == "POST /openapi…"  # labels: cut at the end
    assert fit(path, 100, 12, keep_end=True) == "…e/{id}/update"  # paths: at the start
    assert fit("企业名称", 100, 12) == "企业名称"


def test_default_path():
    assert str(default_path(DAY)) == "harness-out/report-2026-11-24.md"
    assert str(default_path(None, "html")) == "harness-out/report-all.html"
    assert str(default_path(DAY, "notice")) == "harness-out/notice-2026-11-24.md"


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([HARNESS, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_cli_writes_the_report_and_the_notice(tmp_path, sqlite_url):
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
    done = run_cli("report", "--db", db, "--day", DAY, "--format", "notice", cwd=tmp_path)
    assert done.returncode == 0 and "wrote the notice to" in done.stderr
    notice = (tmp_path / "harness-out" / f"notice-{DAY}.md").read_text(encoding="utf-8")
    assert notice.startswith("# Notice before the next release: default")


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
    from harness.report.gather import latest_runs, signature_verdicts
    from harness.store import opened

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
            message=NAME_MSG,
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
    assert dict(verdicts[("POST /p", "E1", NAME_MSG)]) == {
        "production_only": 1,
        "mock_agrees": 1,
    }
