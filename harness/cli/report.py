"""``harness report`` (the incident report) and ``harness rules export`` (JSON Schema, YAML,
Markdown)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.cli.common import DayOpt, DbOpt, PlanOpt, SinceOpt, UntilOpt
from harness.errors import ConfigError

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
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="JSON Schema: enforce suspected rules too, not only confirmed ones.",
        ),
    ] = False,
) -> None:
    """Export the stored rules: JSON Schema (2020-12), a YAML list, or a Markdown checklist.

    JSON Schema: one request-body schema per endpoint under $defs, with x- keywords for what
    JSON Schema cannot say (docs/rules-format.md). YAML: the rule list for review, loadable
    by harness mock --rules. Markdown: the checklist to agree on with the bank in writing,
    with the rules only production can verify (from the latest replay run). The schema
    enforces confirmed rules (suspected ones too with --strict, as harness mock --strict);
    retired rules never. Prints to stdout unless -o is given.

    Example: harness rules export --format markdown --plan replays/simbank.yaml -o rules.md
    """
    from harness.jobs import export_rules
    from harness.plan import load_plan
    from harness.store import opened

    the_plan = load_plan(plan)
    with opened(db) as factory:
        text, live = export_rules(
            factory, the_plan, fmt, include_retired=include_retired, strict=strict
        )
    path = write_out(text, out)
    if path is not None:
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
    from harness.jobs import incident_report
    from harness.plan import load_plan
    from harness.report import default_path
    from harness.store import opened
    from harness.timeutil import utcnow, window

    the_plan = load_plan(plan)
    start, end = window(day, since, until)
    with opened(db) as factory:
        text = incident_report(
            factory, the_plan, day=day, start=start, end=end, fmt=fmt, generated_at=utcnow()
        )
    path = write_out(text, out or str(default_path(day, fmt)))
    typer.echo(f"wrote the incident report to {path}", err=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    try:
        from harness.cli.rules import rules_app
    except ImportError:  # the rules command group has not landed: no export command yet
        return
    rules_app.command("export")(export)
