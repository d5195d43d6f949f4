"""The ``harness`` command: a thin adapter over the library.

Each command group lives in its own module and registers itself on the app. Library errors
(:class:`harness.errors.HarnessError`) become one line on stderr and exit 1; anything else
is a bug and keeps its traceback (without local variables, which may hold payloads).
"""

from __future__ import annotations

import os
import sys

import typer

from harness.errors import HarnessError

app = typer.Typer(
    name="harness",
    help="Shadow-replay harness for bank gateways: capture, replay, learn, export.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

# One module per command group; each defines register(app).
_GROUPS = ("capture", "sim", "replay", "rules", "mock", "report", "plan", "demo")


def _register() -> None:
    import importlib

    for name in _GROUPS:
        importlib.import_module(f"harness.cli.{name}").register(app)


_register()


def main() -> None:
    # Everything the harness writes (the store and its WAL, spools, keys, exports, reports)
    # is bank data or derived from it: readable by this user only.
    os.umask(0o077)
    try:
        app()  # standalone: typer reports its own usage errors with exit 2
    except HarnessError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
