"""`harness rules export` as a real process over a real store."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from harness.export import load_rules_yaml, validate
from harness.rules import RuleSpec
from harness.store.models import Exchange, ReplayResult, ReplayRun
from harness.store.rules import save_rules
from tests.support.procs import HARNESS

ROOT = Path(__file__).resolve().parent.parent
PLAN = str(ROOT / "replays" / "simbank.yaml")
OPEN = "POST /openapi/v1/vaccount/open"
NAME = RuleSpec(
    OPEN,
    "enterpriseName",
    "forbidden_chars",
    {"classes": ["ascii_upper", "ascii_lower"], "chars": "()"},
    code="ED0012",
    message="企业名称含有非法字符",
    state="confirmed",
    support=1,
)
ADDRESS = RuleSpec(
    OPEN, "businessAddress", "forbidden_chars", {"classes": ["ascii_upper"]}, source="analogy"
)
OLD = RuleSpec(OPEN, "remark", "max_length", {"max": 3})


@pytest.fixture
def db(tmp_path) -> str:
    from harness.store import open_store
    from harness.store.rules import set_state

    path = tmp_path / "harness.db"
    factory = open_store(str(path))
    with factory.begin() as s:
        saved = save_rules(s, [NAME, ADDRESS, OLD])
        set_state(s, saved[2].id, "retired", by="test")
        ex = Exchange(
            ts=datetime(2026, 11, 24, tzinfo=UTC),
            method="POST",
            host="h",
            path="/openapi/v1/vaccount/open",
            endpoint=OPEN,
            status=200,
            outcome="rejected",
            code="ED0012",
            message="企业名称含有非法字符",
            request_fields={"enterpriseName": "A(B)"},  # breaks NAME: the rule explains it
        )
        run = ReplayRun(
            kind="replay", started_at=datetime(2026, 11, 25, tzinfo=UTC), targets={"staging": "x"}
        )
        s.add_all([ex, run])
        s.flush()
        s.add(
            ReplayResult(
                run_id=run.id,
                exchange_id=ex.id,
                target="staging",
                sent_at=run.started_at,
                outcome="accepted",
                verdict="production_only",
            )
        )
    factory.kw["bind"].dispose()
    return str(path)


def export(db: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HARNESS, "rules", "export", "--db", db, "--plan", PLAN, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_jsonschema_to_stdout(db):
    done = export(db, "--format", "jsonschema")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    Draft202012Validator.check_schema(document)
    body = document["$defs"][OPEN]
    assert set(body["properties"]) == {"enterpriseName"}  # confirmed rules only by default
    assert body["properties"]["enterpriseName"]["title"] == "企业名称"
    assert validate(document, OPEN, {"enterpriseName": "A(B)"}) != []
    strict = json.loads(export(db, "--format", "jsonschema", "--strict").stdout)
    props = set(strict["$defs"][OPEN]["properties"])
    assert props == {"enterpriseName", "businessAddress"}  # suspected too; retired never


def test_yaml_to_file_loads_back(db, tmp_path):
    out = tmp_path / "out" / "rules.yaml"
    done = export(db, "--format", "yaml", "-o", str(out), "--include-retired")
    assert done.returncode == 0, done.stderr
    assert f"wrote 2 rule(s) as yaml to {out}" in done.stderr
    text = out.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["plan"] == "simbank"
    assert {r.field for r in load_rules_yaml(text)} == {"enterpriseName", "businessAddress"}
    assert "#   field: remark" in text


def test_markdown_names_what_only_production_verifies(db):
    done = export(db, "--format", "markdown")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "### 企业名称 (`enterpriseName`)" in text
    only = text.split("## Only verifiable in production", 1)[1]
    assert "企业名称 (`enterpriseName`)" in only and "1 production-only rejection(s)" in only
    assert "经营地址 (`businessAddress`)" in text.split("## Suspected on analogous fields", 1)[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "unknown export format 'xml'"),
        (["--format", "yaml", "-o", "/proc/nope/rules.yaml"], "cannot write"),
    ],
)
def test_bad_input_is_one_line(db, args, message):
    done = export(db, *args)
    assert done.returncode == 1
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_every_command_has_help_with_an_example():
    for command in (["rules", "export"], ["mock"], ["report"]):
        done = subprocess.run(
            [HARNESS, *command, "--help"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0 and "Example:" in done.stdout, command
