"""`harness demo` end to end: real simulated bank, proxy, replay, learn, export, mock, report."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from sqlalchemy import func, select

from harness.store import Exchange, ReplayResult, opened
from harness.store.rules import load_rules
from tests.support.procs import HARNESS

pytestmark = pytest.mark.slow


def test_demo_runs_every_stage_and_leaves_its_files(tmp_path):
    # A user's own store in the working directory: the demo must leave it alone.
    own = tmp_path / "harness.db"
    own.write_bytes(b"a user's replay runs")
    db, out = tmp_path / "out" / "demo.db", tmp_path / "out"
    proc = subprocess.run(
        [HARNESS, "demo", "--count", "600", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200", "HARNESS_DB": str(own)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert own.read_bytes() == b"a user's replay runs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["harness.db", "out"]
    text = proc.stdout
    assert "production-only" in text and "mock agrees" in text.lower()
    assert f"export HARNESS_DB={db}" in text
    names = ("rules.schema.json", "rules.yaml", "openapi.json", "checklist.md", "report.md")
    for name in (*names, "report.html", "notice.md"):
        assert (out / name).stat().st_size > 0, name
    schema = json.loads((out / "rules.schema.json").read_text())
    assert "POST /openapi/v1/vaccount/open" in schema["$defs"]

    with opened(str(db)) as factory, factory.begin() as s:
        assert s.scalar(select(func.count()).select_from(Exchange)) == 600
        verdicts = dict(
            s.execute(
                select(ReplayResult.verdict, func.count()).group_by(ReplayResult.verdict)
            ).all()
        )
        rules = load_rules(s)
    assert verdicts.get("production_only", 0) > 0 and verdicts.get("mock_agrees", 0) > 0
    learned = {(r.field, r.kind) for r in rules if r.source == "learned"}
    assert ("enterpriseName", "forbidden_chars") in learned
    assert any(r.source == "analogy" for r in rules)
    # The report names what only production enforces (from the staging replay, though the
    # mock was replayed later), by count, never a raw value; the notice says it alone.
    report = (out / "report.md").read_text()
    found = re.search(r"\*\*([1-9][0-9]*) of them only production rejects\*\*", report)
    assert found, report[:600]
    notice = (out / "notice.md").read_text()
    assert notice.startswith("# Notice before the next release")
    assert "This happened " in notice and "production answers `ED0012`" in notice


def test_demo_with_a_broken_plan_is_one_line(tmp_path):
    plan = tmp_path / "broken.yaml"
    plan.write_text("upstreem: http://127.0.0.1:1\n")
    proc = subprocess.run(
        [
            HARNESS,
            "demo",
            "--plan",
            str(plan),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "upstreem" in proc.stderr
    assert not (tmp_path / "out" / "demo.db").exists()
