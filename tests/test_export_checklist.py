"""Markdown checklist: per endpoint and field, the analogy and production-only sections."""

from __future__ import annotations

from harness.export import to_markdown
from harness.export.doc import Bullets, Code, Heading, Para, Table, to_html
from harness.export.doc import to_markdown as render
from harness.plan import parse_plan
from harness.rules import RuleSpec

E = "POST /openapi/v1/vaccount/open"
PLAN = parse_plan(
    {"name": "simbank", "labels": {"enterpriseName": "企业名称", "businessAddress": "经营地址"}}
)
NAME = RuleSpec(
    E,
    "enterpriseName",
    "forbidden_chars",
    {"chars": "()"},
    code="ED0012",
    message="企业名称含有非法字符",
    state="confirmed",
    support=14,
    id=1,
)
ADDRESS = RuleSpec(
    E,
    "businessAddress",
    "forbidden_chars",
    {"chars": "()"},
    source="analogy",
    derived_from=1,
    id=2,
    support=3,
)
MOBILE = RuleSpec(E, "legalMobile", "pattern", {"regex": "1[3-9][0-9]{9}"}, code="ED0020", id=3)
OLD = RuleSpec(E, "remark", "max_length", {"max": 5}, state="retired", id=4)


def test_fields_with_labels_and_one_checkbox_per_rule():
    text = to_markdown([NAME, ADDRESS, MOBILE, OLD], PLAN)
    assert text.startswith("# Field rules checklist: simbank\n")
    assert "## `POST /openapi/v1/vaccount/open`" in text
    assert "### 企业名称 (`enterpriseName`)" in text
    assert "### `legalMobile`" in text
    line = next(
        x
        for x in text.splitlines()
        if "enterpriseName" not in x and "'('" in x and "confirmed" in x
    )
    assert line.startswith("- [ ] **must not contain '(' ')'** — confirmed")
    assert "14 supporting, 0 contradicting" in line and "`ED0012` “企业名称含有非法字符”" in line
    assert text.count("- [ ] ") == 3  # the retired rule is not on the list
    assert "remark" not in text


def test_analogy_section_names_the_origin():
    text = to_markdown([NAME, ADDRESS], PLAN)
    section = text.split("## Suspected on analogous fields", 1)[1].split("## Only verifiable", 1)[0]
    assert (
        "经营地址 (`businessAddress`)" in section
        and "carried from 企业名称 (`enterpriseName`)" in section
    )
    assert "### 经营地址" not in text  # analogy rules are listed only in their own section


def test_production_only_section_from_replay_verdicts():
    verdicts = {
        NAME.key: {"production_only": 14},
        MOBILE.key: {"production_only": 1, "reproducible": 2},
    }
    text = to_markdown([NAME, MOBILE], PLAN, verdicts=verdicts)
    section = text.split("## Only verifiable in production", 1)[1]
    assert "企业名称 (`enterpriseName`)" in section and "14 production-only rejection(s)" in section
    assert "legalMobile" not in section  # staging reproduced it
    assert "Not known yet" in to_markdown([NAME], PLAN)
    assert "None: staging reproduced" in to_markdown([MOBILE], PLAN, verdicts=verdicts)


def test_retired_as_comments_when_asked():
    text = to_markdown([NAME, OLD], PLAN, include_retired=True)
    assert "<!--\nRetired rules" in text and "#4 POST /openapi/v1/vaccount/open remark" in text


def test_markdown_escaping_keeps_messages_from_breaking_layout():
    rule = NAME.but(message="a|b *c* <x> [y]", id=9)
    text = to_markdown([rule], PLAN)
    assert "“a\\|b \\*c\\* \\<x\\> \\[y\\]”" in text


def test_html_is_self_contained_and_escaped():
    page = to_html(
        [
            Heading(1, "Report <1>"),
            Para(["code ", Code("a<b")]),
            Bullets(["x & y"], checkbox=True),
            Table(["h|1"], [[Code("c")]]),
        ],
        "T<>",
    )
    assert page.startswith("<!DOCTYPE html>") and "<title>T&lt;&gt;</title>" in page
    assert "<h1>Report &lt;1&gt;</h1>" in page and "<code>a&lt;b</code>" in page
    assert 'type="checkbox"' in page and "x &amp; y" in page
    assert "http" not in page  # no external assets
    assert render([Table(["a|b"], [["c|d"]])]).splitlines()[2] == "| c\\|d |"
