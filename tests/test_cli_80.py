"""The main commands in an 80-column terminal: every line fits, no rule text is cut, and
lists say when --limit cut them. The real command, in a subprocess, over a real store."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from rich.cells import cell_len

from harness.rules import RuleSpec, describe
from harness.store.rules import load_rules, save_rules
from tests.support.procs import HARNESS
from tests.test_report import fill

UPDATE = "POST /openapi/v1/enterprise/{id}/update"
LONG_RULES = [
    RuleSpec(
        UPDATE,
        "Request.Body.RegisteredBusinessAddressLine",
        "forbidden_chars",
        {
            "classes": ["ascii_lower", "ascii_punct", "ascii_upper", "fullwidth_space"],
            "chars": "()",
        },
        code="EX0041",
        message="注册地址格式不正确",
        state="confirmed",
        support=12,
        evidence={"bracket": {"accepted": 60, "rejected": 61}, "support_ids": list(range(30))},
    ),
    RuleSpec(
        UPDATE,
        "Request.Body.Purpose",
        "enum",
        {"values": ["工资", "往来款", "报销款", "服务费", "租金", "货款", "差旅费", "其他"]},
        code="EX0074",
    ),
    RuleSpec(UPDATE, "Request.Body.Amount", "decimal", {"scale": 2, "min": "0.01", "max": "5e6"}),
]


@pytest.fixture
def db(tmp_path) -> str:
    from harness.store import open_store

    path = tmp_path / "harness.db"
    factory = open_store(str(path))
    fill(factory)
    with factory.begin() as s:
        save_rules(s, LONG_RULES)
    factory.kw["bind"].dispose()
    return str(path)


def harness(*args: str) -> str:
    env = {**os.environ, "COLUMNS": "80", "LINES": "50", "TERM": "dumb"}
    done = subprocess.run([HARNESS, *args], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def _fits(text: str) -> None:
    for line in text.splitlines():
        assert cell_len(line) <= 80, line
        # An ellipsis only where an endpoint's shared path was shortened ("POST …/open").
        assert "…" not in line.replace(" …/", " /"), line


def _column(line: str, start: int, end: int | None) -> str:
    """The characters of ``line`` in terminal cells [start, end) (CJK takes two cells)."""
    out, pos = [], 0
    for ch in line:
        if pos >= start and (end is None or pos < end):
            out.append(ch)
        pos += cell_len(ch)
    return "".join(out)


def rule_texts(listing: str) -> dict[int, str]:
    """Rule id -> the text of its ``rule`` column, joined over its wrapped lines."""
    found: dict[int, str] = {}
    head: str | None = None
    current: int | None = None
    for line in listing.splitlines():
        if line.lstrip().startswith("id ") and " rule " in line:
            head, current = line, None
            continue
        if head is None or not line.strip() or not line.startswith((" ", *"0123456789")):
            head = None if line and not line.startswith(" ") and not line[0].isdigit() else head
            continue
        rule_at = cell_len(head[: head.index(" rule ") + 1])
        state_at = cell_len(head[: head.index(" state ") + 1])
        ident = _column(line, 0, cell_len(head[: head.index(" field ")])).strip()
        if ident.isdigit():
            current = int(ident)
            found[current] = ""
        if current is not None:
            found[current] += _column(line, rule_at, state_at).strip()
    return found


def squash(text: str) -> str:
    return "".join(text.split())


def test_rules_list_fits_80_columns_and_cuts_no_rule(db):
    listing = harness("rules", "list", "--db", db, "--all")
    _fits(listing)
    from harness.store import opened

    with opened(db) as factory, factory.begin() as s:
        rules = load_rules(s, include_retired=True)
    texts = rule_texts(listing)
    assert set(texts) == {r.id for r in rules}
    for rule in rules:
        assert squash(texts[rule.id]) == squash(describe(rule)), rule.field
    assert "Endpoints are shown under /openapi/v1." in listing
    assert "(fields under Request.Body)" in listing
    wide = harness("rules", "list", "--db", db, "--wide")
    assert "POST /openapi/v1/enterprise/{id}/update" in wide and "confidence" in wide


def test_rules_show_in_words(db):
    from harness.store import opened

    with opened(db) as factory, factory.begin() as s:
        rule = next(r for r in load_rules(s) if r.field.endswith("AddressLine"))
    shown = harness("rules", "show", str(rule.id), "--db", db)
    _fits(shown)
    assert squash(describe(rule)) in squash(shown)
    assert "{'" not in shown and "['" not in shown  # no Python reprs
    assert "bracket (accepted vs rejected extremes): accepted 60, rejected 61" in shown
    assert "supporting exchanges: #0, #1, #2" in shown and "and 22 more (30 in all)" in shown


def test_lists_fit_and_say_what_the_limit_cut(db):
    flows = harness("flows", "--db", db, "--limit", "3")
    _fits(flows)
    assert flows.splitlines()[0].startswith("showing 3 of 10 exchanges (raise --limit)")
    every = harness("flows", "--db", db, "--outcome", "rejected")
    _fits(every)
    assert every.splitlines()[0].startswith("7 rejected exchanges")
    for args in (["stats"], ["runs"], ["runs", "show", "1", "--limit", "2"]):
        _fits(harness(*args, "--db", db))
    shown = harness("runs", "show", "1", "--db", db, "--limit", "2")
    assert "showing 2 of 6 results (raise --limit)" in shown
    page = json.loads(harness("flows", "--db", db, "--limit", "3", "--json"))
    assert (page["total"], page["limit"], len(page["items"])) == (10, 3, 3)
    assert page["items"][0]["ts"] == "2026-11-25T03:07:00+00:00"  # ISO 8601, with a T


def test_help_fits_and_shows_no_type_noise():
    for args in (
        ["--help"],
        ["flows", "--help"],
        ["rules", "list", "--help"],
        ["report", "--help"],
    ):
        text = harness(*args)
        _fits(text)
        for noise in ("<bool>", "<str>", "<int>", "<float>"):
            assert noise not in text, (args, noise)
    assert harness("--version").startswith("harness (bank-shadow-harness) ")
    assert "complete" in harness("--show-completion", "bash")
    jargon = harness("rules", "--help")
    assert "Support:" in jargon and "Contradictions:" in jargon and "Confidence:" in jargon
