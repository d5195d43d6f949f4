"""``harness plan draft``: a starting gateway plan from what was captured without one."""

from __future__ import annotations

from typing import Annotated

import typer

from harness.cli.common import DayOpt, DbOpt, SinceOpt, UntilOpt
from harness.cli.report import write_out

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).

plan_app = typer.Typer(
    help=(
        "Gateway plans: draft one from a captured store.\n\n"
        "Example: harness plan draft --db harness.db -o replays/mybank.yaml"
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@plan_app.command("draft")
def draft(
    db: DbOpt = None,
    day: DayOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The integration's name (default: the host).")
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Write the plan here instead of stdout.")
    ] = None,
) -> None:
    """Draft a gateway plan from captured exchanges: upstream, success statuses and codes,
    where codes and messages live, sensitive and enumeration-like fields, noise paths and
    endpoint templates, inferred from the traffic. No field value is written; every key is
    a guess to review (labels, targets and the signer are left for you).

    Example: harness plan draft --db harness.db -o replays/mybank.yaml
    """
    from harness.plan.draft import draft as make_draft
    from harness.plan.draft import render
    from harness.store import opened
    from harness.store.queries import ExchangeFilter, draft_rows
    from harness.timeutil import window

    start, end = window(day, since, until)
    with opened(db) as factory, factory.begin() as session:
        plan = make_draft(draft_rows(session, ExchangeFilter(start=start, end=end)), name)
    text = render(plan, "the captured exchanges")
    path = write_out(text, out)
    if path is not None:
        typer.echo(f"wrote a draft plan to {path}: review it before use", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
