"""Replay commands: ``harness replay``, ``harness runs``, ``harness runs show ID``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from harness.cli import layout
from harness.cli.common import (
    DayOpt,
    DbOpt,
    EndpointOpt,
    JsonOpt,
    PlanOpt,
    SinceOpt,
    UntilOpt,
    WideOpt,
    console,
    err_console,
    iso,
    json_list,
    out,
    print_json,
    progress_bar,
)
from harness.errors import ConfigError
from harness.vocab import VERDICTS

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).

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
    target_header: Annotated[
        list[str] | None,
        typer.Option(
            "--target-header",
            metavar="[TARGET:]NAME=VALUE",
            help="A header every target (or TARGET only) gets instead of the captured one, "
            "e.g. Authorization=env:STAGING_TOKEN (repeatable; env:VAR reads the environment).",
        ),
    ] = None,
    target_ca: Annotated[
        str | None,
        typer.Option(
            "--target-ca",
            metavar="FILE",
            help="CA bundle (PEM) the targets' TLS certificates are checked against (default: the plan's, else the system store).",
        ),
    ] = None,
    target_cert: Annotated[
        str | None,
        typer.Option(
            "--target-cert",
            metavar="FILE",
            help="Client certificate (PEM) to present to the targets (mutual TLS).",
        ),
    ] = None,
    target_key: Annotated[
        str | None,
        typer.Option("--target-key", metavar="FILE", help="Private key (PEM) of --target-cert."),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="I/N",
            help="Replay only share I of N of the selection (by exchange id): N workers given 1/N..N/N split it with no overlap and no gap.",
        ),
    ] = None,
    repeat_noise: Annotated[
        int,
        typer.Option(
            "--repeat-noise",
            help="Per endpoint, this many exchanges are sent twice to learn noise paths (0: off).",
        ),
    ] = 5,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Replay captured exchanges (production's rejections by default) against staging and mocks.

    Each sanitized request is signed afresh (the plan's signer), sent to every target, and
    judged against production's answer: production_only (staging accepted what production
    rejected), reproducible, different_rejection, mock_agrees / mock_disagrees,
    target_error. Production targets are refused. Results are stored as a run. When more
    exchanges match than --limit allows, the oldest --limit are replayed and the output
    says how many matched.

    Captured secrets are stored redacted: a target that needs its own token gets it from
    the plan (targets.NAME.headers, values env:VAR) or --target-header; https targets are
    verified against the system store, the plan's targets.NAME.tls or --target-ca. N
    workers split one selection with --shard 1/N .. N/N.

    Example: harness replay --plan replays/simbank.yaml --day 2026-11-24 --target staging=http://127.0.0.1:18081
    """
    from harness.plan import load_plan
    from harness.replay import Selection, Settings, parse_target
    from harness.replay import replay as run_replay
    from harness.replay.selection import parse_shard
    from harness.store import opened
    from harness.targets.resolve import resolve
    from harness.targets.tls import TlsSettings
    from harness.timeutil import window

    loaded = load_plan(plan) if plan else None
    given = dict(parse_target(t) for t in target or ())
    if not given and (loaded is None or not loaded.targets):
        raise ConfigError("no replay targets: give --target NAME=URL or a plan with 'targets'")
    if target_key and not target_cert:
        raise ConfigError("--target-key needs --target-cert")
    tls = TlsSettings(target_ca, target_cert, target_key) if target_ca or target_cert else None
    # Credentials are resolved (env: variables read, TLS files checked) before anything.
    targets = resolve(loaded, given or None, headers=target_header or (), tls=tls)
    start, end = window(day, since, until)
    selection = Selection(
        start=start,
        end=end,
        outcome=outcome,
        endpoint=endpoint,
        code=code,
        limit=limit,
        shard=parse_shard(shard) if shard else None,
    )
    settings = Settings(
        concurrency=concurrency, rate=rate, timeout=timeout, repeat_noise=repeat_noise
    )
    with opened(db) as factory:
        matched = _matched(factory, selection)
        if as_json:
            report = run_replay(
                factory, targets, plan=loaded, selection=selection, settings=settings
            )
            print_json(
                {
                    "run_id": report.run_id,
                    "matched": matched,
                    "limit": limit,
                    "shard": shard,
                    "summary": report.summary,
                }
            )
            return
        with progress_bar("replaying") as progress:
            report = run_replay(
                factory,
                targets,
                plan=loaded,
                selection=selection,
                settings=settings,
                progress=progress,
            )
    screen = out(wide)
    screen.print(replayed_line(report.summary.get("selected", 0), matched, shard), highlight=False)
    render_summary(report.run_id, report.summary, screen, wide)


def _matched(factory: Any, selection: Any) -> int:
    """How many stored exchanges the selection matches before --limit (and --shard)."""
    from harness.store.queries import ExchangeFilter, count_exchanges

    f = ExchangeFilter(
        start=selection.start,
        end=selection.end,
        endpoint=selection.endpoint,
        outcome=None if selection.outcome == "all" else selection.outcome,
        code=selection.code,
    )
    with factory() as session:
        return count_exchanges(session, f)


def replayed_line(selected: int, matched: int, shard: str | None = None) -> str:
    """``replayed 1,000 of 2,469 selected (--limit)``, or ``replayed 175 exchanges``; with
    ``--shard``: ``replayed 58 exchange(s), shard 2/4 of 231 selected``."""
    if shard:
        return f"replayed {selected:,} exchange(s), shard {shard} of {matched:,} selected"
    if selected < matched:
        return f"replayed {selected:,} of {matched:,} selected (--limit)"
    return f"replayed {selected:,} exchange(s)"


@runs_app.callback()
def runs(
    ctx: typer.Context, db: DbOpt = None, as_json: JsonOpt = False, wide: WideOpt = False
) -> None:
    """List replay runs, newest first (replay and live shadow runs alike).

    Verdicts per target: production_only (staging accepted what production rejected),
    reproducible (staging rejected it the same way), different_rejection, mock_agrees /
    mock_disagrees, target_error; --wide adds the plan and finish time.

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
        print_json(json_list(data))
        return
    if not data:
        err_console.print("no replay runs yet: try 'harness replay --help'")
        return
    columns = [
        layout.Column("id", "right"),
        layout.Column("kind"),
        layout.Column("state"),
        layout.Column("started"),
        *([layout.Column("plan"), layout.Column("finished")] if wide else []),
        layout.Column("results", "right"),
        layout.Column("verdicts by target", grow=True),
    ]
    cells = []
    for row in data:
        verdicts = "; ".join(
            f"{name}: " + ", ".join(f"{v} {n:,}" for v, n in sorted(counts.items()))
            for name, counts in row["verdicts"].items()
        )
        cells.append(
            [
                str(row["id"]),
                row["kind"],
                row["state"],
                _short_time(row["started_at"]),
                *([row["plan"] or "", _short_time(row["finished_at"])] if wide else []),
                f"{row['results']:,}",
                verdicts,
            ]
        )
    layout.show(out(wide), columns, cells, wide, title="replay runs")


def _short_time(text: str | None) -> str:
    """An ISO timestamp as ``2026-11-24 03:12`` (local time), for tables."""
    if not text:
        return ""
    from harness.timeutil import local_tz

    return datetime.fromisoformat(text).astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")


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
    wide: WideOpt = False,
) -> None:
    """Show one run: its summary table, then its results (exchange, target, codes, verdict).

    The verdicts are explained in harness runs --help; --wide adds the endpoint, the
    messages and the number of differing answer paths to each result.

    Example: harness runs show 3 --verdict production_only
    """
    from harness.report.gather import count_results
    from harness.store import opened
    from harness.store.replays import get_run, run_results

    if verdict is not None and verdict not in VERDICTS:
        raise ConfigError(f"unknown verdict {verdict!r} (want one of {', '.join(VERDICTS)})")
    with opened(db) as factory, factory() as session:
        run = get_run(session, run_id)
        pairs = run_results(session, run_id, verdict=verdict, target=target, limit=limit)
        total = (
            count_results(session, run_id, verdict=verdict, target=target)
            if len(pairs) >= limit
            else len(pairs)
        )
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
        print_json({**head, "results": json_list(results, total, limit)})
        return
    screen = out(wide)
    screen.print(
        f"run {head['id']} ({head['kind']}, {head['state']}), started "
        f"{_short_time(head['started_at'])}, plan {head['plan'] or '-'}",
        highlight=False,
    )
    render_summary(run_id, head["summary"], screen, wide)
    _results_table(screen, results, total, wide)


def _results_table(console: Console, results: list[dict[str, Any]], total: int, wide: bool) -> None:
    console.print(layout.shown_line(len(results), total, "results"), highlight=False)
    if not results:
        return
    prefix = "" if wide else layout.path_prefix(r["endpoint"] for r in results)
    columns = [
        layout.Column("exchange", "right"),
        *([layout.Column("endpoint")] if wide else []),
        layout.Column("target"),
        layout.Column("production"),
        layout.Column("target answer", grow=not wide),
        layout.Column("verdict"),
        *([layout.Column("diffs", "right")] if wide else []),
    ]
    rows = []
    for row in results:
        prod, res = row["production"], row["result"]
        answer = res["error"] or " ".join(
            str(x) for x in (res["code"] or res["status"], res["message"] if wide else None) if x
        )
        production = " ".join(
            str(x) for x in (prod["code"] or prod["status"], prod["message"] if wide else None) if x
        )
        rows.append(
            [
                str(row["exchange_id"]),
                *([layout.short_endpoint(row["endpoint"], prefix)] if wide else []),
                row["target"],
                production,
                answer,
                row["verdict"] or "",
                *([str(sum(len(v) for v in (row["diff"] or {}).values()))] if wide else []),
            ]
        )
    layout.show(console, columns, rows, wide)


VERDICT_WORDS = {
    "reproducible": "reproduced",
    "production_only": "prod only",
    "different_rejection": "other rej.",
    "consistent": "consistent",
    "target_only": "stricter",
    "target_error": "errors",
    "mock_agrees": "agrees",
}


def render_summary(
    run_id: int, summary: dict[str, Any], screen: Console | None = None, wide: bool = False
) -> None:
    """The run's table (production's answers x each target's verdicts), grouped by endpoint
    so that it fits 80 columns; then noise, skips and throughput."""
    from harness.replay.summary import table_columns

    screen = screen or console
    columns = table_columns(summary)
    rows_by_endpoint: dict[str, list[list[str]]] = {}
    for row in summary.get("table", []):
        cells = [row["code"] or row["outcome"] or "", f"{row['exchanges']:,}"]
        for _, name, verdict in columns:
            counts = row["verdicts"].get(name, {})
            value = counts.get(verdict or "", 0)
            if verdict == "mock_agrees":
                cells.append(f"{value:,}/{sum(counts.values()):,}")
            else:
                cells.append(f"{value:,}")
        rows_by_endpoint.setdefault(row["endpoint"], []).append(cells)
    heads = [
        layout.Column("code"),
        layout.Column("production", "right"),
        *(
            layout.Column(f"{name}\n{VERDICT_WORDS.get(verdict or '', heading)}", "right")
            for heading, name, verdict in columns
        ),
    ]
    screen.rule(f"replay run {run_id}: production's rejections x targets' verdicts", align="left")
    prefix = "" if wide else layout.path_prefix(rows_by_endpoint)
    for endpoint, rows in rows_by_endpoint.items():
        screen.print(f"[bold]{escape(layout.short_endpoint(endpoint, prefix))}[/bold]")
        layout.show(screen, heads, rows, wide)
    if prefix:
        screen.print(f"Endpoints are shown under {prefix}.", highlight=False)
    for endpoint, paths in (summary.get("noise") or {}).items():
        screen.print(f"noise for {endpoint}: {', '.join(paths)}", highlight=False)
    for reason, n in (summary.get("skipped") or {}).items():
        screen.print(f"skipped {n}: {reason}", highlight=False)
    if "requests" in summary:
        screen.print(
            f"{summary.get('exchanges', 0):,} exchanges, {summary['requests']:,} requests in "
            f"{summary.get('duration_s', 0)} s ({summary.get('requests_per_s') or 0} requests/s)",
            highlight=False,
        )
    screen.print(f"details: harness runs show {run_id}", highlight=False)


def _run_json(run: Any) -> dict[str, Any]:
    """What runs and runs show both say of a run."""
    return {
        "id": run.id,
        "kind": run.kind,
        "state": run.state,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "plan": run.plan_name,
        "targets": run.targets,
    }


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)
    app.add_typer(runs_app, name="runs")
