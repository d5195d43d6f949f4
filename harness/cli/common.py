"""Options shared by many commands, defined once so they behave the same everywhere.

Also what every command's output has in common: JSON for scripts (ISO 8601 timestamps, lists
as ``{"total", "limit", "items"}``), a console that fits the terminal (80 columns included)
unless ``--wide`` asks for every column at full width, and help without type noise.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


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
    # start-up: SQLAlchemy (~0.2 s) loads only when a URL is given, not for --help
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
        metavar="FILE|URL",
        help="Store: a SQLite file path or a SQLAlchemy URL (default: ./harness.db). "
        "Put a URL with a password in HARNESS_DB, not on the command line.",
    ),
]
KeyFileOpt = Annotated[
    str | None,
    typer.Option(
        "--key-file",
        envvar="HARNESS_KEY_FILE",
        metavar="FILE",
        help="The sanitization key (default: HARNESS_KEY, else ~/.config/harness/key, "
        "created 0600 when missing). Keep one per deployment.",
    ),
]
PlanOpt = Annotated[
    str | None,
    typer.Option(
        "--plan", envvar="HARNESS_PLAN", metavar="FILE", help="Gateway plan YAML (see replays/)."
    ),
]
DayOpt = Annotated[
    str | None,
    typer.Option(
        "--day",
        metavar="YYYY-MM-DD",
        help="One calendar day (in HARNESS_TZ, default UTC); also today, yesterday.",
    ),
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", metavar="WHEN", help="From this ISO date/time on.")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", metavar="WHEN", help="Before this ISO date/time.")
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="'METHOD /PATH'",
        help='Endpoint key, e.g. "POST /openapi/v1/vaccount/open".',
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        help='Print JSON for scripts instead of a table (lists: {"total", "limit", "items"}).',
    ),
]
WideOpt = Annotated[
    bool,
    typer.Option(
        "--wide", help="Every column at full width, whatever the terminal's width (for pipes)."
    ),
]

console = Console()
err_console = Console(stderr=True)
WIDE = 400  # columns of the --wide console: wide enough that no table wraps


def out(wide: bool = False) -> Console:
    """The console a command prints its tables on: the terminal's, or an unbounded one."""
    return Console(width=WIDE, soft_wrap=True) if wide else console


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A callback ``(done, total)`` that draws a transient bar on stderr. The bar starts on
    the first call, so an error before any work prints as one clean line."""
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    task: list[Any] = []

    def update(done: int, total: int) -> None:
        if not task:
            bar.start()
            task.append(bar.add_task(label, total=total))
        bar.update(task[0], completed=done, total=total)

    try:
        yield update
    finally:
        if task:
            bar.stop()


def iso(ts: datetime | date | None) -> str | None:
    """ISO 8601 with a UTC offset (naive datetimes are UTC, as SQLite hands them back)."""
    if ts is None:
        return None
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        return ts.isoformat()
    return ts.isoformat()


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return iso(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def print_json(data: Any) -> None:
    """JSON on stdout, for --json; datetimes in ISO 8601, bytes as text."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def json_list(items: Sequence[Any], total: int | None = None, limit: int | None = None) -> Any:
    """A list for --json: the items shown, how many matched in all, and the limit applied."""
    return {"total": len(items) if total is None else total, "limit": limit, "items": list(items)}


# --- help without type noise ------------------------------------------------------------

_METAVARS = {"integer": "N", "int": "N", "float": "NUMBER", "path": "PATH"}


def _type_name(param: Any) -> str:
    """The value type's name, from click's ``type`` or typer's ``type_descriptor``."""
    kind = getattr(param, "type", None)
    if kind is not None:
        return str(getattr(kind, "name", "text")).lower()
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    return str(getattr(annotation, "__name__", "text")).lower()


def _reflow(text: str) -> str:
    """Docstring paragraphs as single lines (the terminal wraps them); list items kept."""
    paragraphs = []
    for para in text.split("\n\n"):
        lines = para.split("\n")
        merged = [lines[0]]
        for line in lines[1:]:
            if line.lstrip().startswith("- "):
                merged.append(line)
            else:
                merged[-1] = f"{merged[-1].rstrip()} {line.strip()}"
        paragraphs.append("\n".join(merged))
    return "\n\n".join(paragraphs)


def tidy_help(command: Any) -> Any:
    """Help that says what to type: flags show no ``<bool>``, values a name, not a type.

    Options declared with a ``metavar`` keep it; other values get ``N``, ``NUMBER`` or
    ``TEXT``; docstring paragraphs are reflowed to the terminal's width. Applied to the
    whole command tree once, by :func:`harness.cli.main`.
    """
    if command.help:
        command.help = _reflow(inspect.cleandoc(command.help))
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option" or param.metavar is not None:
            continue
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
        else:
            param.metavar = _METAVARS.get(_type_name(param), "TEXT")
    make_help_option = command.get_help_option

    def help_option(ctx: Any) -> Any:  # --help is built per context: a flag, no type either
        option = make_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)
    return command
