"""Options shared by many commands, defined once so they behave the same everywhere."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="HARNESS_DB",
        help="Store: a SQLite file path or a SQLAlchemy URL (default: ./harness.db).",
    ),
]
PlanOpt = Annotated[
    str | None,
    typer.Option("--plan", envvar="HARNESS_PLAN", help="Gateway plan YAML (see replays/)."),
]
DayOpt = Annotated[
    str | None,
    typer.Option("--day", help="One calendar day, YYYY-MM-DD (HARNESS_TZ, default UTC)."),
]
SinceOpt = Annotated[str | None, typer.Option("--since", help="From this ISO date/time on.")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Before this ISO date/time.")]
EndpointOpt = Annotated[
    str | None,
    typer.Option("--endpoint", help='Endpoint key, e.g. "POST /openapi/v1/vaccount/open".'),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]

console = Console()
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """JSON on stdout, for --json; datetimes and bytes become strings."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
