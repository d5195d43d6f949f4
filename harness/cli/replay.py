"""Replay commands: ``harness replay``, ``harness runs``, ``harness runs show ID``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.cli.common import (
    DayOpt,
    DbOpt,
    EndpointOpt,
    JsonOpt,
    PlanOpt,
    SinceOpt,
    UntilOpt,
    console,
    err_console,
    print_json,
)
from harness.errors import ConfigError

runs_app = typer.Typer(
    invoke_without_command=True,
    pretty_exceptions_show_locals=False,
)


def replay(
    db: DbOpt = None,
    plan: PlanOpt = None,
    day: DayOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    outcome: Annotated[
        str, typer.Option("--outcome", help="rejected, accepted, upstream_error or all.")
    ] = "rejected",
    endpoint: EndpointOpt = None,
    code: Annotated[str | None, typer.Option("--code", help="Production's rejection code.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many exchanges.")] = 1000,
    target: Annotated[
        list[str] | None,
        typer.Option("--target", help="NAME=URL (repeatable); default: the plan's targets."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Requests in flight at most.")
    ] = 32,
    rate: Annotated[
        float, typer.Option("--rate", help="Requests per second at most (0: unlimited).")
    ] = 0.0,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 10.0,
    repeat_noise: Annotated[
        int,
        typer.Option(
            "--repeat-noise",
            help="Per endpoint, this many exchanges are sent twice to learn noise paths (0: off).",
        ),
    ] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Replay captured exchanges (production's rejections by default) against staging and mocks.

    Each sanitized request is signed afresh (the plan's signer), sent to every target, and
    judged against production's answer: production_only (staging accepted what production
    rejected), reproducible, different_rejection, mock_agrees / mock_disagrees,
    target_error. Production targets are refused. Results are stored as a run.

    Example: harness replay --plan replays/simbank.yaml --day 2026-11-24 --target staging=http://127.0.0.1:18081
    """
    from harness.plan import load_plan
    from harness.replay import Selection, Settings, parse_target
    from harness.replay import replay as run_replay
    from harness.store import opened
    from harness.timeutil import window

    loaded = load_plan(plan) if plan else None
    targets = dict(parse_target(t) for t in target or ())
    if not targets and loaded is not None:
        targets = dict(loaded.targets)
    if not targets:
        raise ConfigError("no replay targets: give --target NAME=URL or a plan with 'targets'")
    start, end = window(day, since, until)
    selection = Selection(
        start=start, end=end, outcome=outcome, endpoint=endpoint, code=code, limit=limit
    )
    settings = Settings(
        concurrency=concurrency, rate=rate, timeout=timeout, repeat_noise=repeat_noise
    )
    with opened(db) as factory:
        if as_json:
            report = run_replay(
                factory, targets, plan=loaded, selection=selection, settings=settings
            )
            print_json({"run_id": report.run_id, "summary": report.summary})
            return
        # Started on the first tick, so an error before the run (a refused target, a bad
        # option) prints as one clean line.
        bar = Progress(
            TextColumn("replaying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        task: list[Any] = []

        def progress(done: int, total: int) -> None:
            if not task:
                bar.start()
                task.append(bar.add_task("replay", total=total))
            bar.update(task[0], completed=done, total=total)

        try:
            report = run_replay(
                factory,
                targets,
                plan=loaded,
                selection=selection,
                settings=settings,
                progress=progress,
            )
        finally:
            if task:
                bar.stop()
    render_summary(report.run_id, report.summary)


@runs_app.callback()
def runs(ctx: typer.Context, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List replay runs, newest first (replay and live shadow runs alike).

    Example: harness runs --db harness.db
    """
    if ctx.invoked_subcommand is not None:
        return
    from harness.store import opened
    from harness.store.replays import list_runs

    with opened(db) as factory, factory() as session:
        rows = list_runs(session)
        data: list[dict[str, Any]] = [
            {
                **_run_json(run),
                "results": n,
                "verdicts": {
                    name: info.get("verdicts", {})
                    for name, info in ((run.summary or {}).get("targets") or {}).items()
                },
            }
            for run, n in rows
        ]
    if as_json:
        print_json(data)
        return
    if not data:
        err_console.print("no replay runs yet: try 'harness replay --help'")
        return
    table = Table(title="replay runs")
    for heading in ("id", "kind", "state", "started", "plan", "targets", "results", "verdicts"):
        table.add_column(heading, justify="right" if heading in ("id", "results") else "left")
    for row in data:
        verdicts = "; ".join(
            f"{name}: " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items()))
            for name, counts in row["verdicts"].items()
        )
        table.add_row(
            str(row["id"]),
            row["kind"],
            row["state"],
            row["started_at"] or "",
            row["plan"] or "",
            ", ".join(row["targets"]),
            str(row["results"]),
            verdicts,
        )
    console.print(table)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[int, typer.Argument(help="The run's id (see 'harness runs').")],
    db: DbOpt = None,
    verdict: Annotated[
        str | None, typer.Option("--verdict", help="Only results with this verdict.")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many results.")] = 200,
    as_json: JsonOpt = False,
) -> None:
    """Show one run: its summary table, then its results (exchange, target, codes, verdict).

    Example: harness runs show 3 --verdict production_only
    """
    from harness.store import opened
    from harness.store.replays import get_run, run_results
    from harness.verdicts import VERDICTS

    if verdict is not None and verdict not in VERDICTS:
        raise ConfigError(f"unknown verdict {verdict!r} (want one of {', '.join(VERDICTS)})")
    with opened(db) as factory, factory() as session:
        run = get_run(session, run_id)
        pairs = run_results(session, run_id, verdict=verdict, target=target, limit=limit)
        results: list[dict[str, Any]] = [
            {
                "id": r.id,
                "exchange_id": e.id,
                "endpoint": e.endpoint,
                "target": r.target,
                "production": {
                    "status": e.status,
                    "outcome": e.outcome,
                    "code": e.code,
                    "message": e.message,
                },
                "result": {
                    "status": r.status,
                    "outcome": r.outcome,
                    "code": r.code,
                    "message": r.message,
                    "error": r.error,
                },
                "verdict": r.verdict,
                "latency_ms": r.latency_ms,
                "diff": r.diff,
            }
            for r, e in pairs
        ]
        head: dict[str, Any] = {
            **_run_json(run),
            "selection": run.selection,
            "summary": run.summary or {},
        }
    if as_json:
        print_json({**head, "results": results})
        return
    console.print(
        f"run {head['id']} ({head['kind']}, {head['state']}), started {head['started_at']}, "
        f"plan {head['plan'] or '-'}"
    )
    render_summary(run_id, head["summary"])
    table = Table(title=f"results ({len(results)} shown)")
    for heading in (
        "exchange",
        "endpoint",
        "target",
        "production",
        "target answer",
        "verdict",
        "diffs",
    ):
        table.add_column(heading)
    for row in results:
        prod, res = row["production"], row["result"]
        answer = res["error"] or f"{res['status']} {res['code'] or ''} {res['message'] or ''}"
        table.add_row(
            str(row["exchange_id"]),
            row["endpoint"],
            row["target"],
            f"{prod['code'] or prod['status']} {prod['message'] or ''}",
            answer.strip(),
            row["verdict"] or "",
            str(sum(len(v) for v in (row["diff"] or {}).values())),
        )
    console.print(table)


def render_summary(run_id: int, summary: dict[str, Any]) -> None:
    from harness.replay.summary import table_columns

    columns = table_columns(summary)
    table = Table(title=f"replay run {run_id}: production's answers x targets' verdicts")
    table.add_column("endpoint")
    table.add_column("code")
    table.add_column("production", justify="right")
    for heading, _, _ in columns:
        table.add_column(heading, justify="right")
    for row in summary.get("table", []):
        cells = [row["endpoint"], row["code"] or row["outcome"] or "", str(row["exchanges"])]
        for _, name, verdict in columns:
            counts = row["verdicts"].get(name, {})
            value = counts.get(verdict or "", 0)
            if verdict == "mock_agrees":
                cells.append(f"{value}/{sum(counts.values())}")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    console.print(table)
    noise = summary.get("noise") or {}
    if noise:
        for endpoint, paths in noise.items():
            console.print(f"noise for {endpoint}: {', '.join(paths)}")
    skipped = summary.get("skipped") or {}
    for reason, n in skipped.items():
        console.print(f"skipped {n}: {reason}")
    if "requests" in summary:
        console.print(
            f"{summary.get('exchanges', 0)} exchanges, {summary['requests']} requests in "
            f"{summary.get('duration_s', 0)} s ({summary.get('requests_per_s') or 0} requests/s)"
        )
    console.print(f"details: harness runs show {run_id}")


def _run_json(run: Any) -> dict[str, Any]:
    """What runs and runs show both say of a run."""
    return {
        "id": run.id,
        "kind": run.kind,
        "state": run.state,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "plan": run.plan_name,
        "targets": run.targets,
    }


def _iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    if ts.tzinfo is None:  # SQLite hands back naive UTC
        ts = ts.replace(tzinfo=UTC)
    return ts.isoformat(timespec="seconds")


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)
    app.add_typer(runs_app, name="runs")
