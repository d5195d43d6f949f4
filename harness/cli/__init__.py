"""The ``harness`` command: a thin adapter over the library.

Each command group lives in its own module and registers itself on the app. Library errors
(:class:`harness.errors.HarnessError`) become one line on stderr and exit 1; anything else
is a bug and keeps its traceback (without local variables, which may hold payloads).

Commands import the library inside their function, on purpose: ``harness --help`` and each
command load only what they use (start-up time is measured). Module tops import only what
loads with the CLI anyway: typer, rich, the ``harness.cli`` helpers, :mod:`harness.errors`.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer

from harness import __version__
from harness.cli.common import tidy_help
from harness.errors import HarnessError

app = typer.Typer(
    name="harness",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
)

# One module per command group; each defines register(app).
_GROUPS = (
    "sidecar",
    "capture",
    "transfer",
    "ops",
    "sim",
    "replay",
    "rules",
    "mock",
    "report",
    "plan",
    "demo",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harness (bank-shadow-harness) {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Shadow-replay harness for bank gateways: capture, replay, learn, export, report.

    Capture production traffic sanitized (proxy), see what production rejected (flows,
    stats), replay it against staging (replay, runs), learn the field rules production
    enforces (learn, rules), serve them as a mock gateway (mock) and write the incident
    report (report). Every command has --help; harness demo runs them all on a simulated
    bank. Shell completion: harness --install-completion.

    Example: harness demo
    """


def _register() -> None:
    for name in _GROUPS:
        importlib.import_module(f"harness.cli.{name}").register(app)


_register()


def main() -> None:
    # Everything the harness writes (the store and its WAL, spools, keys, exports, reports)
    # is bank data or derived from it: readable by this user only.
    os.umask(0o077)
    command = tidy_help(typer.main.get_command(app))
    try:
        command(prog_name="harness")  # standalone: click reports usage errors with exit 2
    except HarnessError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
