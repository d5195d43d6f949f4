"""Files in and out: ``harness import FILE`` and ``harness flows export --format har``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from harness.cli.capture import CodeOpt, OutcomeOpt, _filter, flows_app
from harness.cli.common import (
    DayOpt,
    DbOpt,
    EndpointOpt,
    JsonOpt,
    KeyFileOpt,
    PlanOpt,
    SinceOpt,
    UntilOpt,
    err_console,
    out,
    print_json,
)
from harness.errors import ConfigError

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).


def import_(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="A mitmproxy flow file or a HAR file.")
    ],
    db: DbOpt = None,
    plan: PlanOpt = None,
    key_file: KeyFileOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="auto|har|mitm", help="The file's kind.")
    ] = "auto",
    instance: Annotated[
        str, typer.Option("--instance", metavar="NAME", help="Stored with each exchange.")
    ] = "import",
    max_body: Annotated[
        int,
        typer.Option(
            "--max-body", help="Bodies above this many bytes are truncated (and flagged)."
        ),
    ] = 1024 * 1024,
    as_json: JsonOpt = False,
) -> None:
    """Import a mitmproxy flow file (mitmdump -w) or a HAR file into the store, sanitized.

    Every exchange takes the live capture's path: decoded, classified by the plan,
    sanitized under the deployment's key, so nothing raw reaches the store, and equal
    values get the same pseudonyms as in live capture. Exchanges keep their times.

    Example: harness import flows.mitm --plan replays/simbank.yaml --db harness.db
    """
    from harness.capture.imports import import_file
    from harness.plan import load_plan
    from harness.sanitize import load_key
    from harness.store import opened

    loaded = load_plan(plan)
    key = load_key(key_file)
    if max_body < 0:
        raise ConfigError(f"--max-body must be >= 0, got {max_body!r}")
    with opened(db, create=True) as factory:
        done = import_file(
            file,
            factory.kw["bind"],
            loaded,
            key,
            fmt=fmt,
            instance=instance,
            max_body=max_body,
        )
    if as_json:
        print_json(
            {
                "file": file,
                "format": done.format,
                "read": done.read,
                "stored": done.stored,
                "skipped": done.skipped,
                "errors": done.errors,
            }
        )
        return
    extra = f", {done.skipped:,} non-HTTP flows skipped" if done.skipped else ""
    errors = f", {done.errors:,} with a stage that failed" if done.errors else ""
    out().print(
        f"imported {done.stored:,} exchanges from {file} ({done.format}){extra}{errors}",
        highlight=False,
    )


@flows_app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", metavar="har", help="Output format.")] = "har",
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here (default: stdout)."),
    ] = None,
    db: DbOpt = None,
    day: DayOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    endpoint: EndpointOpt = None,
    outcome: OutcomeOpt = None,
    code: CodeOpt = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many, oldest first.")
    ] = None,
) -> None:
    """Write stored exchanges as a HAR 1.2 file: sanitized, as the store holds them.

    Bodies carry pseudonyms and secret headers read [redacted]; each entry's _harness
    member adds the id, endpoint, outcome, code and message. Browsers' developer tools and
    HTTP tools open it; harness import reads it back.

    Example: harness flows export --format har --day 2026-11-24 --outcome rejected -o rejected.har
    """
    from harness.capture.har import CREATOR, entry
    from harness.store import opened
    from harness.store.queries import iter_exchanges

    if fmt != "har":
        raise ConfigError(f"unknown export format {fmt!r} (want har)")
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {limit!r}")
    db = db or (ctx.obj or {}).get("db")
    f = _filter(day, since, until, endpoint, outcome, code)
    target = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
    n = 0
    try:
        target.write(
            '{"log": {"version": "1.2", "creator": ' + json.dumps(CREATOR) + ', "entries": [\n'
        )
        with opened(db) as factory, factory() as session:
            for x in iter_exchanges(session, f, limit=limit):
                target.write((",\n" if n else "") + json.dumps(entry(x), ensure_ascii=False))
                n += 1
        target.write("\n]}}\n")
    finally:
        if output:
            target.close()
    if output:
        err_console.print(f"wrote {n:,} exchanges to {output}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
