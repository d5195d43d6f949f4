"""``harness sim``: the simulated banks (serve) and a day of their traffic (traffic)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.cli.common import DayOpt, JsonOpt, console, err_console, print_json
from harness.errors import ConfigError
from harness.sim.signature import DEMO_KEY, KEY_ENV, resolve_key

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).

sim_app = typer.Typer(
    name="sim",
    help=(
        "Simulated banks (simbank, eurobank, zenginbank): a production gateway, its lax "
        "staging twin, and a day of traffic.\n\nExample: harness sim serve --role prod --port 18080"
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

SignKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--sign-key",
        help=f"HMAC-SHA256 key for simbank's X-Signature header (default: ${KEY_ENV}, else the public demo key {DEMO_KEY!r}).",
    ),
]
BankOpt = Annotated[
    str | None,
    typer.Option(
        "--bank",
        help="A packaged bank (simbank, eurobank, zenginbank) or a bank file (YAML). Default: simbank.",
    ),
]


@sim_app.command("serve")
def serve(
    role: Annotated[
        str,
        typer.Option(
            "--role", help="Which deployment: prod (enforces every rule) or staging (only a few)."
        ),
    ] = "prod",
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(
            "--port", help="Port (default: the bank file's; simbank 18080 prod, 18081 staging)."
        ),
    ] = None,
    bank: BankOpt = None,
    verify_signature: Annotated[
        bool,
        typer.Option(
            "--verify-signature", help="Reject requests whose X-Signature is missing or wrong."
        ),
    ] = False,
    sign_key: SignKeyOpt = None,
    error_rate: Annotated[
        float,
        typer.Option(
            "--error-rate", help="Share of requests answered 'system busy' (the bank file's, 0..1)."
        ),
    ] = 0.0,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", help="Seed: which requests get the busy answers, and serial numbers."
        ),
    ] = 0,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log one line per request (debug level).")
    ] = False,
) -> None:
    """Serve a simulated bank's gateway until Ctrl-C or SIGTERM.

    Example: harness sim serve --bank eurobank --role staging --port 18181
    """
    from harness.sim import banks

    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
    loaded = banks.load(bank)
    checks = "on" if verify_signature else "off"

    def ready(url: str) -> None:
        console.print(
            f"{loaded.name} {role} listening on {url} (signature check {checks}; Ctrl-C stops)",
            highlight=False,
            soft_wrap=True,
        )

    banks.serve(
        loaded,
        role,
        host,
        port,
        ready=ready,
        error_rate=error_rate,
        seed=seed,
        sign_key=resolve_key(sign_key) if verify_signature else None,
    )


@sim_app.command("traffic")
def traffic(
    through: Annotated[
        str, typer.Option("--through", help="Base URL to send to: the capture proxy, or a gateway.")
    ],
    count: Annotated[int, typer.Option("--count", help="Number of requests.")] = 1000,
    day: DayOpt = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed: the same seed sends the same requests.")
    ] = 0,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Requests in flight at once.")
    ] = 16,
    sign_key: SignKeyOpt = None,
    flaw_rate: Annotated[
        float,
        typer.Option(
            "--flaw-rate", help="Share of requests that break a production rule on purpose."
        ),
    ] = 0.05,
    bank: BankOpt = None,
    edge: Annotated[
        bool,
        typer.Option(
            "--edge",
            help="An edge day: valid values come close to every true limit, and are new.",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Send a day of a simulated bank's synthetic traffic (simulated times in header X-Sim-Time).

    Example: harness sim traffic --bank eurobank --through http://127.0.0.1:8080 --count 2000 --day 2026-11-24 --seed 7 --edge
    """
    from harness.sim import banks
    from harness.sim.client import answer_paths, check_url, send

    check_url(through)
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1, not {concurrency!r}")
    loaded = banks.load(bank)
    requests = banks.generate(
        loaded, count, day, seed, edge=edge, flaw_rate=flaw_rate, key=sign_key
    )
    with Progress(
        TextColumn("[bold]traffic"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=json_out,
        disable=not err_console.is_terminal,  # a bar only where someone watches
    ) as bar:
        task = bar.add_task("send", total=len(requests))
        summary = send(
            requests,
            through,
            concurrency,
            progress=lambda n: bar.advance(task, n),
            paths=answer_paths(loaded),
        )
    if summary.sent and summary.errors == summary.sent:
        raise ConfigError(f"no answer from {through!r}: every request failed")
    if json_out:
        print_json(summary.as_dict())
        return
    rate = summary.sent / summary.seconds if summary.seconds else 0.0
    console.print(
        f"sent {summary.sent} requests to {through} in {summary.seconds:.1f}s ({rate:.0f}/s); "
        f"{summary.errors} without an answer",
        highlight=False,
        soft_wrap=True,
    )
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(summary.statuses.items()))
    console.print(f"HTTP statuses: {statuses or 'none'}", highlight=False, soft_wrap=True)
    table = Table("code", "count", "message")
    for code, n in summary.codes.most_common():
        table.add_row(code, str(n), summary.messages.get(code, ""))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")
