"""``harness report`` (the incident report) and ``harness rules export`` (JSON Schema, YAML,
Markdown)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.cli.common import DayOpt, DbOpt, PlanOpt, SinceOpt, UntilOpt
from harness.cli.rules import rules_app
from harness.errors import ConfigError

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).

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
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="yaml, jsonschema, openapi or markdown."
        ),
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
            help="JSON Schema, OpenAPI: enforce suspected rules too, not only confirmed ones.",
        ),
    ] = False,
    provenance: Annotated[
        bool,
        typer.Option(
            "--provenance",
            help="Keep rule ids, exchange ids and times (YAML, JSON Schema, OpenAPI); "
            "without it the same evidence gives the same file.",
        ),
    ] = False,
) -> None:
    """Export the stored rules: YAML, JSON Schema (2020-12), OpenAPI 3.1 or a Markdown checklist.

    YAML: the rule list for review in git and for harness mock --rules; sorted, without
    store ids or run times (unless --provenance), so a diff shows only rule changes. JSON
    Schema: one request-body schema per endpoint under $defs, with x- keywords for what JSON
    Schema cannot say (docs/rules-format.md). OpenAPI: a path per endpoint with those
    schemas as its request body, the request's media type and production's statuses, for
    mock servers (Prism) and API test tools. Markdown: the checklist to agree on with the
    bank in writing, with the rules only production can verify (from the latest replay
    run). The schemas enforce confirmed rules (suspected ones too with --strict, as harness
    mock --strict); retired rules never. Prints to stdout unless -o is given.

    Example: harness rules export --format openapi --plan replays/simbank.yaml -o openapi.json
    """
    from harness.app.jobs import export_rules
    from harness.plan import load_plan
    from harness.store import opened

    the_plan = load_plan(plan)
    with opened(db) as factory:
        text, live = export_rules(
            factory,
            the_plan,
            fmt,
            include_retired=include_retired,
            strict=strict,
            provenance=provenance,
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
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="html, markdown, or notice (the notice alone)."
        ),
    ] = "markdown",
) -> None:
    """Write the incident report for a day: what broke, what to do, what is still at risk.

    A headline (what broke, since when, how many requests and customers, what is still at
    risk), actions ranked by risk with an owner (developers, operations, customer service),
    the notice to send operations and customer service before the next release (what only
    production rejects), charts (rejections by hour or day, by endpoint and by field,
    production-only vs reproducible, accepted requests at risk), then the details. HTML is
    one self-contained page that fits a 1280-pixel window and prints on A4; Markdown suits
    chat and mail; --format notice writes the notice alone. Ids and counts only, never a
    field value. Written to harness-out/report-DAY.md (.html; notice-DAY.md) unless -o
    says otherwise.

    Example: harness report --day 2026-11-24 --plan replays/simbank.yaml --format html
    """
    from harness.app.jobs import incident_report
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
    what = "the notice" if fmt == "notice" else "the incident report"
    typer.echo(f"wrote {what} to {path}", err=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    rules_app.command("export")(export)
