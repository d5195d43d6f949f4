"""Options shared by many commands, defined once so they behave the same everywhere."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console


def _warn_password_on_command_line(
    ctx: typer.Context, param: typer.CallbackParam, value: str | None
) -> str | None:
    """A --db URL with a password, typed on the command line: every local user can read it."""
    if value and "://" in value and param.name:
        # By name: typer ships its own copy of click and of its ParameterSource enum.
        source = getattr(ctx.get_parameter_source(param.name), "name", None)
        if source == "COMMANDLINE" and _has_password(value):
            err_console.print(
                "warning: --db carries a password, which other local users can read in the "
                "process list; set HARNESS_DB instead",
                highlight=False,
            )
    return value


# Typer picks the context and parameter arguments by their annotations, which
# ``from __future__ import annotations`` turns into strings it does not resolve.
_warn_password_on_command_line.__annotations__ = {
    "ctx": typer.Context,
    "param": typer.CallbackParam,
    "value": str | None,
    "return": str | None,
}


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password is not None
    except (ArgumentError, ValueError):
        return False


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="HARNESS_DB",
        callback=_warn_password_on_command_line,
        help="Store: a SQLite file path or a SQLAlchemy URL (default: ./harness.db). "
        "Put a URL with a password in HARNESS_DB, not on the command line.",
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
