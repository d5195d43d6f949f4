"""Queries for replay runs and their results (selection is :mod:`harness.store.queries`).

Functions take a :class:`~sqlalchemy.orm.Session`; the caller frames the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.orm import Session

from harness.errors import NotFoundError
from harness.store.models import Exchange, ReplayResult, ReplayRun
from harness.store.queries import ExchangeFilter
from harness.timeutil import utcnow
from harness.vocab import RunKind, RunState

_RESULTS = cast(Table, ReplayResult.__table__)
RESULT_COLUMNS = tuple(c.name for c in ReplayResult.__table__.columns if c.name != "id")


# What replay reads of an exchange (not the flat field maps: replay decodes the bodies).
REPLAY_COLUMNS = (
    "id",
    "endpoint",
    "method",
    "path",
    "request_headers",
    "request_body",
    "request_format",
    "request_size",
    "request_truncated",
    "status",
    "response_headers",
    "response_body",
    "outcome",
    "code",
    "message",
    "error",
)


def _selected(columns: Any, f: ExchangeFilter, limit: int | None) -> Any:
    """``columns`` of the exchanges matching ``f``, oldest first, at most ``limit``."""
    table = Exchange.__table__
    query = select(*columns)
    if f.start is not None:
        query = query.where(table.c.ts >= f.start)
    if f.end is not None:
        query = query.where(table.c.ts < f.end)
    if f.endpoint is not None:
        query = query.where(table.c.endpoint == f.endpoint)
    if f.outcome is not None:
        query = query.where(table.c.outcome == f.outcome)
    if f.code is not None:
        query = query.where(table.c.code == f.code)
    query = query.order_by(table.c.ts, table.c.id)
    return query.limit(limit) if limit is not None else query


def replay_rows(
    session: Session,
    f: ExchangeFilter,
    limit: int | None = None,
    shard: tuple[int, int] | None = None,
) -> list[Any]:
    """The columns replay needs of the exchanges matching ``f``, oldest first (mappings).

    ``shard`` (I, N): only those of the selection (``limit`` applied first) whose id is
    I-1 modulo N, so that N workers given 1..N share one selection exactly.
    """
    table = Exchange.__table__
    columns = [table.c[name] for name in REPLAY_COLUMNS]
    if shard is None:
        query = _selected(columns, f, limit)
    else:
        index, count = shard
        query = (
            select(*columns)
            .where(table.c.id.in_(_selected([table.c.id], f, limit)))
            .where((table.c.id % count) == index - 1)
            .order_by(table.c.ts, table.c.id)
        )
    return list(session.execute(query).mappings().all())


def exchanges_by_id(session: Session, ids: Iterable[int]) -> dict[int, Exchange]:
    ids = list(ids)
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(Exchange).where(Exchange.id.in_(ids)))}


def create_run(
    session: Session,
    *,
    kind: RunKind = "replay",
    plan_name: str | None = None,
    selection: dict[str, Any] | None = None,
    targets: dict[str, str] | None = None,
) -> ReplayRun:
    """A new run in state ``running``; flushed, so it has its id."""
    run = ReplayRun(
        kind=kind,
        started_at=utcnow(),
        state="running",
        plan_name=plan_name,
        selection=selection or {},
        targets=targets or {},
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run_id: int,
    *,
    state: RunState = "done",
    summary: dict[str, Any] | None = None,
) -> None:
    values: dict[str, Any] = {"state": state, "finished_at": utcnow()}
    if summary is not None:
        values["summary"] = summary
    session.execute(update(ReplayRun).where(ReplayRun.id == run_id).values(**values))


def update_summary(session: Session, run_id: int, summary: dict[str, Any]) -> None:
    session.execute(update(ReplayRun).where(ReplayRun.id == run_id).values(summary=summary))


def insert_results(conn: Connection | Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert result rows (dicts of :data:`RESULT_COLUMNS`) in one Core executemany, in the
    caller's transaction (a Core insert of the table, not the ORM's bulk path: half the
    cost per row).
    """
    if not rows:
        return 0
    conn.execute(insert(_RESULTS), [{k: row.get(k) for k in RESULT_COLUMNS} for row in rows])
    return len(rows)


def list_runs(
    session: Session, *, kind: RunKind | None = None, limit: int = 50
) -> list[tuple[ReplayRun, int]]:
    """Newest runs first, each with its number of results."""
    counts = (
        select(ReplayResult.run_id, func.count().label("n"))
        .group_by(ReplayResult.run_id)
        .subquery()
    )
    query = select(ReplayRun, func.coalesce(counts.c.n, 0)).outerjoin(
        counts, counts.c.run_id == ReplayRun.id
    )
    if kind:
        query = query.where(ReplayRun.kind == kind)
    query = query.order_by(ReplayRun.id.desc()).limit(limit)
    return [(run, int(n)) for run, n in session.execute(query)]


def get_run(session: Session, run_id: int) -> ReplayRun:
    run = session.get(ReplayRun, run_id)
    if run is None:
        raise NotFoundError(f"no replay run with id {run_id!r}")
    return run


def run_results(
    session: Session,
    run_id: int,
    *,
    verdict: str | None = None,
    target: str | None = None,
    limit: int | None = None,
) -> list[tuple[ReplayResult, Exchange]]:
    """A run's results with their exchanges, in exchange order."""
    query = (
        select(ReplayResult, Exchange)
        .join(Exchange, Exchange.id == ReplayResult.exchange_id)
        .where(ReplayResult.run_id == run_id)
    )
    if verdict:
        query = query.where(ReplayResult.verdict == verdict)
    if target:
        query = query.where(ReplayResult.target == target)
    query = query.order_by(ReplayResult.exchange_id, ReplayResult.target, ReplayResult.id)
    if limit is not None:
        query = query.limit(limit)
    return [(r, e) for r, e in session.execute(query)]


def verdict_counts(session: Session, run_id: int) -> dict[str, dict[str, int]]:
    """target -> verdict -> count, from the stored results."""
    query = (
        select(ReplayResult.target, ReplayResult.verdict, func.count())
        .where(ReplayResult.run_id == run_id)
        .group_by(ReplayResult.target, ReplayResult.verdict)
    )
    out: dict[str, dict[str, int]] = {}
    for target, verdict, n in session.execute(query):
        out.setdefault(target, {})[verdict or "none"] = int(n)
    return out
