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
    db, out = tmp_path / "harness.db", tmp_path / "out"
    proc = subprocess.run(
        [HARNESS, "demo", "--count", "600", "--db", str(db), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = proc.stdout
    assert "production-only" in text and "mock agrees" in text.lower()
    for name in ("rules.schema.json", "rules.yaml", "checklist.md", "report.md", "report.html"):
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
    # mock was replayed later), by count and id, never a raw value.
    report = (out / "report.md").read_text()
    found = re.search(r"\n- [1-9][0-9]* signature\(s\) only production enforces", report)
    assert found, report[:600]


def test_demo_with_a_broken_plan_is_one_line(tmp_path):
    plan = tmp_path / "broken.yaml"
    plan.write_text("upstreem: http://127.0.0.1:1\n")
    proc = subprocess.run(
        [
            HARNESS,
            "demo",
            "--plan",
            str(plan),
            "--db",
            str(tmp_path / "h.db"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "upstreem" in proc.stderr
    assert not (tmp_path / "h.db").exists()
