"""Operating the store and the sidecar: ``harness db upgrade|current``, ``harness prune``,
``harness status``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from harness.cli import layout
from harness.cli.common import DbOpt, JsonOpt, PlanOpt, WideOpt, iso, out, print_json
from harness.errors import ConfigError, StoreError

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).

db_app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)


@db_app.callback()
def db() -> None:
    """The store's schema, for teams whose DDL runs apart from the service.

    harness proxy creates and upgrades the schema itself unless --no-migrate is given;
    then harness db upgrade runs the migrations (Alembic) and harness db current says
    where a store stands.

    Example: harness db current --db harness.db
    """


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Create or upgrade the store's schema to this harness's newest revision.

    Safe to run while sidecars capture (PostgreSQL: migrations take turns under a lock).
    A store written by a newer harness is refused and left as it is.

    Example: harness db upgrade --db harness.db
    """
    from harness.store import make_engine, migrate
    from harness.store.engine import current_revision, head_revision, redact_url

    engine = make_engine(db)
    try:
        before = current_revision(engine)
        migrate(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    where = redact_url(str(engine.url))
    if as_json:
        print_json({"store": where, "before": before, "after": after, "head": head_revision()})
        return
    if before == after:
        out().print(f"store {where}: already at revision {after}", highlight=False)
    else:
        out().print(
            f"store {where}: upgraded from {before or 'an empty store'} to revision {after}",
            highlight=False,
        )


@db_app.command("current")
def db_current(
    db: DbOpt = None,
    as_json: JsonOpt = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when the store is not at the newest revision.")
    ] = False,
) -> None:
    """The store's schema revision and whether it is this harness's newest.

    Example: harness db current --db harness.db --check
    """
    from harness.store import make_engine
    from harness.store.engine import (
        check_revision,
        current_revision,
        head_revision,
        redact_url,
        sqlite_path,
    )

    engine = make_engine(db, create=False)
    path = sqlite_path(engine)
    if path is not None and not path.is_file():
        engine.dispose()
        raise StoreError(f"no harness store at {str(path)!r} (the file does not exist)")
    try:
        check_revision(engine)
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    where = redact_url(str(engine.url))
    if as_json:
        print_json(
            {"store": where, "current": current, "head": head, "up_to_date": current == head}
        )
    elif current == head:
        out().print(f"store {where}: revision {current} (current)", highlight=False)
    else:
        out().print(
            f"store {where}: revision {current or 'none (empty)'}; this harness needs "
            f"{head}: run harness db upgrade",
            highlight=False,
        )
    if check and current != head:
        raise typer.Exit(1)


def prune(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="AGE",
            help="Delete exchanges captured longer ago than this: 30d, 12h, 2w.",
        ),
    ],
    db: DbOpt = None,
    batch: Annotated[
        int, typer.Option("--batch", help="Exchanges deleted per transaction.")
    ] = 1000,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete old exchanges and their replay results, in batches, while capture runs.

    Each batch is a short transaction of its own, so a running proxy keeps writing
    meanwhile. Rules and their evidence (counts, signatures) are kept: they outlive the
    exchanges they were learned from; so are replay runs' summaries. A plan's retention
    key makes the proxy do this by itself once a day.

    Example: harness prune --older-than 30d --db harness.db
    """
    from harness.store import opened
    from harness.store.retention import count_older
    from harness.store.retention import prune as run_prune
    from harness.timeutil import parse_duration, utcnow

    if batch < 1:
        raise ConfigError(f"--batch must be at least 1, got {batch!r}")
    cutoff = utcnow() - parse_duration(older_than, "--older-than")
    with opened(db) as factory:
        if dry_run:
            with factory() as session:
                exchanges, results = count_older(session, cutoff)
            batches = None
        else:
            done = run_prune(factory.kw["bind"], cutoff, batch=batch)
            exchanges, results, batches = done.exchanges, done.results, done.batches
    if as_json:
        print_json(
            {
                "cutoff": iso(cutoff),
                "dry_run": dry_run,
                "exchanges": exchanges,
                "replay_results": results,
                "batches": batches,
            }
        )
        return
    verb = "would delete" if dry_run else "deleted"
    out().print(
        f"{verb} {exchanges:,} exchanges and {results:,} replay results captured before "
        f"{iso(cutoff)}" + (f" ({batches} batches)" if batches else "") + "; rules kept",
        highlight=False,
    )


def status(
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            metavar="N",
            help="The proxy's --metrics-port (default: the plan's metrics_port).",
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", metavar="URL", help="The metrics base URL, e.g. http://host:9100."),
    ] = None,
    plan: PlanOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """A running capture proxy's health, for a person: ready or not, counts, queue, lag.

    Reads the proxy's metrics port (harness proxy --metrics-port N): exchanges seen,
    stored, spooled, dropped and lost, the queue, the ingest's lag and restarts, the store,
    the latency the proxy adds, rejections by endpoint and code, upstream errors.

    Example: harness status --metrics-port 9100
    """
    from harness.capture.status import read_status

    if url is None:
        port = metrics_port
        if port is None and plan:
            from harness.plan import load_plan

            port = load_plan(plan).metrics_port
        if port is None:
            raise ConfigError("give --metrics-port N (or --url, or a plan with metrics_port)")
        url = f"http://127.0.0.1:{port}"
    st = read_status(url)
    if as_json:
        print_json(st.as_json())
        return
    _render_status(st, wide)


def _n(value: Any) -> str:
    return "-" if value is None else f"{int(value):,}"


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value * 1000:.1f} ms"


def _render_status(st: Any, wide: bool) -> None:
    screen = out(wide)
    c = st.counts
    state = "ready" if st.ready else "NOT READY (" + "; ".join(st.reasons) + ")"
    screen.print(f"capture {st.instance} at {st.url}: {state}", highlight=False)
    screen.print(
        f"exchanges: {_n(c.get('exchanges_seen'))} seen, {_n(c.get('exchanges_stored'))} "
        f"stored, {_n(c.get('exchanges_spooled'))} spooled, "
        f"{_n(c.get('exchanges_dropped'))} dropped ({_n(c.get('exchanges_lost'))} lost)",
        highlight=False,
    )
    store = {1.0: "up", 0.0: "DOWN (spooling)"}.get(c.get("store_up"), "unknown")
    lag = c.get("ingest_lag_seconds")
    screen.print(
        f"queue {_n(c.get('capture_queue_depth'))}, in flight "
        f"{_n(c.get('capture_in_flight'))}, ingest lag "
        f"{'-' if lag is None else f'{lag:.2f} s'}, ingest restarts "
        f"{_n(c.get('ingest_restarts'))}, store {store}",
        highlight=False,
    )
    added = st.added
    screen.print(
        f"outcomes: {_n(c.get('exchanges_accepted'))} accepted, "
        f"{_n(c.get('exchanges_rejected'))} rejected, "
        f"{_n(c.get('exchanges_upstream_error'))} upstream errors; "
        f"retention deleted {_n(c.get('retention_deleted'))}",
        highlight=False,
    )
    screen.print(
        f"latency added by the proxy: mean {_ms(added.get('mean'))}, half at most "
        f"{_ms(added.get('p50_at_most'))}, 99% at most {_ms(added.get('p99_at_most'))}",
        highlight=False,
    )
    if st.rejections:
        prefix = "" if wide else layout.path_prefix(r["endpoint"] for r in st.rejections)
        rows = [
            [layout.short_endpoint(r["endpoint"], prefix), r["code"], f"{r['count']:,}"]
            for r in st.rejections[: None if wide else 10]
        ]
        screen.print("rejections by endpoint and code" + layout.under(prefix), highlight=False)
        layout.show(
            screen,
            [
                layout.Column("endpoint", grow=True),
                layout.Column("code"),
                layout.Column("count", "right"),
            ],
            rows,
            wide,
        )
    if st.upstream_errors:
        screen.print("upstream errors by endpoint", highlight=False)
        layout.show(
            screen,
            [layout.Column("endpoint", grow=True), layout.Column("count", "right")],
            [
                [r["endpoint"], f"{r['count']:,}"]
                for r in st.upstream_errors[: None if wide else 10]
            ],
            wide,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("prune")(prune)
    app.command("status")(status)
