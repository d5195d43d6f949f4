"""``harness demo``: the whole pipeline on the simulated bank (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.cli.common import console


def demo(
    count: Annotated[int, typer.Option("--count", help="Requests in the simulated day.")] = 3000,
    day: Annotated[
        str, typer.Option("--day", help="The simulated day, YYYY-MM-DD.")
    ] = "2026-11-24",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated traffic.")] = 7,
    db: Annotated[Path, typer.Option("--db", help="Store file (replaced).")] = Path("harness.db"),
    out: Annotated[Path, typer.Option("--out", help="Where exports, report and logs go.")] = Path(
        "harness-out"
    ),
    plan: Annotated[
        Path | None, typer.Option("--plan", help="Gateway plan [default: replays/simbank.yaml].")
    ] = None,
) -> None:
    """Run the whole pipeline on the simulated bank and show what it found.

    Starts the simulated production gateway and its lax staging twin, the capture proxy in
    front of production, sends a simulated day of traffic, then replays the day's
    rejections against staging, learns the field rules, exports them, replays against a
    mock gateway that enforces them, and writes the incident report. Replaces the store
    file (--db); every server runs on 127.0.0.1 and is stopped on exit.

    Example: harness demo --count 3000 --day 2026-11-24
    """
    from harness.demo import DemoConfig, run_demo

    cfg = DemoConfig(db=db, out=out, plan=plan, count=count, day=day, seed=seed)
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
        table = Table(title="Captured (production's answers)")
        for name in ("endpoint", "outcome", "code", "count"):
            table.add_column(name, justify="right" if name == "count" else "left")
        for row in stats:
            table.add_row(row.endpoint, row.outcome, row.code or "", str(row.count))
        console.print(table)

    def on_replayed(self, run_id: int, summary: dict[str, Any]) -> None:
        console.print(f"[bold]Replay run {run_id}[/]: {summary.get('targets')}")

    def finish(self, result: Any) -> None:
        console.print("[bold]Files[/]:")
        for name, path in result.files.items():
            console.print(f"  {name}: {path}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
