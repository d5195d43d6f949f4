"""What the commands do over a store, callable from the CLI and the demo alike.

Each function takes a session factory (see :func:`harness.store.open_store`) and returns
values or text; none prints. The CLI opens the store, calls one of these, renders.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from harness.errors import ConfigError
from harness.plan import Plan

EXPORT_FORMATS = ("jsonschema", "yaml", "markdown")
REPORT_FORMATS = ("markdown", "html")


def export_rules(
    factory: sessionmaker[Session], plan: Plan, fmt: str, *, include_retired: bool = False
) -> tuple[str, int]:
    """The stored rules as JSON Schema, YAML or Markdown; returns (text, live rule count)."""
    from harness.export import to_jsonschema, to_markdown, to_yaml
    from harness.store.reporting import rule_verdicts
    from harness.store.rules import load_rules

    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r} (want {', '.join(EXPORT_FORMATS)})")
    with factory.begin() as session:
        rules = load_rules(session, include_retired=include_retired)
        verdicts = rule_verdicts(session, rules) if fmt == "markdown" else {}
    if fmt == "jsonschema":
        text = json.dumps(to_jsonschema(rules, plan), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "yaml":
        text = to_yaml(rules, plan_name=plan.name, include_retired=include_retired)
    else:
        text = to_markdown(rules, plan, verdicts=verdicts, include_retired=include_retired)
    return text, sum(r.state != "retired" for r in rules)


def incident_report(
    factory: sessionmaker[Session],
    plan: Plan,
    *,
    day: str | None,
    start: datetime | None,
    end: datetime | None,
    fmt: str = "markdown",
    generated_at: datetime | None = None,
) -> str:
    """The incident report for a window, as Markdown or self-contained HTML."""
    from harness.report import render
    from harness.store.reporting import load_report_data

    if fmt not in REPORT_FORMATS:
        raise ConfigError(f"unknown report format {fmt!r} (want {', '.join(REPORT_FORMATS)})")
    with factory.begin() as session:
        data = load_report_data(session, plan_name=plan.name, day=day, start=start, end=end)
    return render(data, plan, fmt, generated_at=generated_at)
