"""``harness demo``: the whole pipeline on the simulated bank (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.cli.common import console
from harness.cli.replay import render_summary
from harness.cli.rules import print_risks, print_rules

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).


def demo(
    count: Annotated[int, typer.Option("--count", help="Requests in the simulated day.")] = 3000,
    day: Annotated[
        str, typer.Option("--day", help="The simulated day, YYYY-MM-DD.")
    ] = "2026-11-24",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated traffic.")] = 7,
    out: Annotated[
        Path,
        typer.Option("--out", help="Where its store, exports, report and logs go (replaced)."),
    ] = Path("harness-out"),
    plan: Annotated[
        Path | None, typer.Option("--plan", help="Gateway plan (default: replays/simbank.yaml).")
    ] = None,
) -> None:
    """Run the whole pipeline on the simulated bank and show what it found.

    Starts the simulated production gateway and its lax staging twin, the capture proxy in
    front of production, sends a simulated day of traffic, then replays the day's
    rejections against staging, learns the field rules, exports them, replays against a
    mock gateway that enforces them, and writes the incident report. Everything it writes
    is under --out: its own store (demo.db, replaced on each run), the exports, the report
    and the servers' logs; it never touches ./harness.db or HARNESS_DB. Every server runs
    on 127.0.0.1 on a free port and is stopped on exit.

    Example: harness demo --count 3000 --day 2026-11-24
    """
    from harness.app.demo import DemoConfig, run_demo

    cfg = DemoConfig(out=out, plan=plan, count=count, day=day, seed=seed)
    view = _View()
    with view.progress:
        result = run_demo(cfg, view.notify)
    view.finish(result)


class _View:
    """Renders the demo's stage notifications."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: Any = None

    def notify(self, stage: str, facts: dict[str, Any]) -> None:
        handler = getattr(self, f"on_{stage.replace('-', '_')}", None)
        if handler is not None:
            handler(**facts)

    def on_servers(self, urls: dict[str, str], logs: Path) -> None:
        console.print(
            f"[bold]Simulated bank[/]: production {urls['prod']}, staging {urls['staging']}; "
            f"capture proxy {urls['proxy']} (logs in {logs})"
        )

    def on_traffic_start(self, count: int, day: str) -> None:
        self.task = self.progress.add_task(
            f"Sending {day}'s traffic through the proxy", total=count
        )

    def on_traffic_progress(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def on_captured(self, sent: Any, stats: list[Any]) -> None:
        totals: dict[str, int] = {}
        for row in stats:
            totals[row.outcome] = totals.get(row.outcome, 0) + row.count
        console.print(
            f"[bold]Captured[/] {sum(totals.values())} exchanges of {sent.sent} sent: "
            + ", ".join(f"{n} {outcome}" for outcome, n in sorted(totals.items()))
        )

    def on_replayed(self, target: str, run_id: int, summary: dict[str, Any]) -> None:
        console.print(f"[bold]Production's rejections replayed against {target}[/]")
        render_summary(run_id, summary, console)
        verdicts = summary.get("targets", {}).get(target, {}).get("verdicts", {})
        if target == "staging":
            console.print(
                f"[bold red]{verdicts.get('production_only', 0)} production-only[/] rejections "
                f"(staging accepted them), {verdicts.get('reproducible', 0)} reproducible in staging."
            )
        else:
            agree = verdicts.get("mock_agrees", 0)
            console.print(
                f"[bold]The mock agrees with production on {agree} of {sum(verdicts.values())}[/] "
                "rejected requests."
            )

    def on_learned(self, learned: Any) -> None:
        print_rules(console, learned.rules)
        s = learned.stats
        console.print(
            f"{s.get('rejected', 0)} rejections in {s.get('signatures', 0)} signature(s); "
            f"{s.get('explained', 0)} explained; {s.get('probes', 0)} probe(s) sent to the "
            "validating pre-production to confirm them."
        )
        for warning in learned.warnings:
            console.print(f"[yellow]warning: {warning}[/]")
        if learned.risks:
            print_risks(console, learned.risks, {r.id: r for r in learned.rules}, wide=False)

    def finish(self, result: Any) -> None:
        console.rule("[bold]Files")
        for name, path in result.files.items():
            console.print(f"  {name:<16} {path}", highlight=False)
        db = result.files["store"]
        console.print(
            "Look around (the demo's own store; ./harness.db is left alone):\n"
            f"  export HARNESS_DB={db}\n"
            "  harness flows --outcome rejected\n"
            "  harness runs show 1\n"
            "  harness rules list\n"
            f"  open {result.files.get('report-html', 'harness-out/report.html')}",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
