"""``harness report`` (the incident report) and ``harness rules export`` (JSON Schema, YAML,
Markdown)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from harness.cli.common import DayOpt, DbOpt, PlanOpt, SinceOpt, UntilOpt
from harness.errors import ConfigError

EXPORT_FORMATS = ("jsonschema", "yaml", "markdown")
REPORT_FORMATS = ("markdown", "html")

OutOpt = Annotated[str | None, typer.Option("--output", "-o", help="Write to this file.")]


def write_out(text: str, out: str | None) -> Path | None:
    """Write ``text`` to ``out`` (parents created) or to stdout when ``out`` is None."""
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return None
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    return path


def export(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="jsonschema, yaml or markdown.")
    ] = "yaml",
    out: OutOpt = None,
    db: DbOpt = None,
    plan: PlanOpt = None,
    include_retired: Annotated[
        bool,
        typer.Option(
            "--include-retired", help="List retired rules too, as comments (YAML, Markdown)."
        ),
    ] = False,
) -> None:
    """Export the stored rules: JSON Schema (2020-12), a YAML list, or a Markdown checklist.

    JSON Schema: one request-body schema per endpoint under $defs, with x- keywords for what
    JSON Schema cannot say (docs/rules-format.md). YAML: the rule list for review, loadable
    by harness mock --rules. Markdown: the checklist to agree on with the bank in writing,
    with the rules only production can verify (from the latest replay run). Retired rules
    are never in the schema. Prints to stdout unless -o is given.

    Example: harness rules export --format markdown --plan replays/simbank.yaml -o rules.md
    """
    from harness.export import to_jsonschema, to_markdown, to_yaml
    from harness.plan import load_plan
    from harness.store import open_store
    from harness.store.reporting import rule_verdicts
    from harness.store.rules import load_rules

    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r} (want {', '.join(EXPORT_FORMATS)})")
    the_plan = load_plan(plan)
    factory = open_store(db, create=False)
    try:
        with factory.begin() as session:
            rules = load_rules(session, include_retired=include_retired)
            verdicts = rule_verdicts(session, rules) if fmt == "markdown" else {}
    finally:
        factory.kw["bind"].dispose()
    if fmt == "jsonschema":
        text = json.dumps(to_jsonschema(rules, the_plan), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "yaml":
        text = to_yaml(rules, plan_name=the_plan.name, include_retired=include_retired)
    else:
        text = to_markdown(rules, the_plan, verdicts=verdicts, include_retired=include_retired)
    path = write_out(text, out)
    if path is not None:
        live = sum(r.state != "retired" for r in rules)
        typer.echo(f"wrote {live} rule(s) as {fmt} to {path}", err=True)


def report(
    db: DbOpt = None,
    plan: PlanOpt = None,
    day: DayOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    out: OutOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown or html.")] = "markdown",
) -> None:
    """Write the incident report for a day: traffic, rejections, rules, risks, what to do.

    What was captured (endpoint x outcome), production's rejections by signature and which
    of them only production enforces (from the latest replay run), the rules learned with
    their evidence, the analogous fields at risk with the requests they flag, and the
    recommendations. Ids and counts only, never a field value. Written to
    harness-out/report-DAY.md (or .html) unless -o says otherwise.

    Example: harness report --day 2026-11-24 --plan replays/simbank.yaml --format html
    """
    from harness.plan import load_plan
    from harness.report import default_path, render
    from harness.store import open_store
    from harness.store.reporting import load_report_data
    from harness.timeutil import utcnow, window

    if fmt not in REPORT_FORMATS:
        raise ConfigError(f"unknown report format {fmt!r} (want {', '.join(REPORT_FORMATS)})")
    the_plan = load_plan(plan)
    start, end = window(day, since, until)
    factory = open_store(db, create=False)
    try:
        with factory.begin() as session:
            data = load_report_data(session, plan_name=the_plan.name, day=day, start=start, end=end)
    finally:
        factory.kw["bind"].dispose()
    text = render(data, the_plan, fmt, generated_at=utcnow())
    path = write_out(text, out or str(default_path(day, fmt)))
    typer.echo(f"wrote the incident report to {path}", err=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    try:
        from harness.cli.rules import rules_app
    except ImportError:  # the rules command group has not landed: no export command yet
        return
    rules_app.command("export")(export)
