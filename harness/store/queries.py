"""Queries over captured exchanges. Functions take a Session (or a Connection for the bulk
insert); the caller frames the transaction: ``with factory.begin() as s: ...``.

The filters map onto the indexes of :class:`harness.store.models.Exchange`: "one day's
rejections for endpoint X" is ``endpoint = ? AND outcome = ? AND ts >= ? AND ts < ?``, a range
scan of ``ix_exchanges_endpoint_outcome_ts``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, ParamSpec, TypeVar, cast

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from harness.errors import ConfigError, NotFoundError, StoreError
from harness.rows import ExchangeRow
from harness.store.models import Exchange
from harness.vocab import OUTCOMES

P = ParamSpec("P")
R = TypeVar("R")

# Every column the ingest fills, in table order (the bulk insert wants one key set).
EXCHANGE_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in Exchange.__table__.columns if c.name != "id"
)


# Columns added after the first release (Alembic 0002 on): a spooled row may lack them.
_LATER_COLUMNS: tuple[Literal["instance"], ...] = ("instance",)


@dataclass(frozen=True)
class ExchangeFilter:
    """A selection of exchanges; ``None`` means "any". The window is [start, end)."""

    start: datetime | None = None
    end: datetime | None = None
    endpoint: str | None = None
    outcome: str | None = None  # checked against OUTCOMES: this is where user input arrives
    code: str | None = None
    instance: str | None = None  # the sidecar that captured it (several may share a store)

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ConfigError(
                f"unknown outcome {self.outcome!r} (want one of {', '.join(OUTCOMES)})"
            )


def _where(stmt: Any, f: ExchangeFilter) -> Any:
    if f.endpoint is not None:
        stmt = stmt.where(Exchange.endpoint == f.endpoint)
    if f.outcome is not None:
        stmt = stmt.where(Exchange.outcome == f.outcome)
    if f.code is not None:
        stmt = stmt.where(Exchange.code == f.code)
    if f.instance is not None:
        stmt = stmt.where(Exchange.instance == f.instance)
    if f.start is not None:
        stmt = stmt.where(Exchange.ts >= f.start)
    if f.end is not None:
        stmt = stmt.where(Exchange.ts < f.end)
    return stmt


def _guard(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: SQLAlchemy errors become a StoreError naming the query, never its data."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except SQLAlchemyError as exc:
                reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
                raise StoreError(
                    f"cannot {what}: {reason[0] if reason else type(exc).__name__}"
                ) from None

        inner.__name__ = fn.__name__
        inner.__doc__ = fn.__doc__
        return inner

    return wrap


@_guard("list exchanges")
def list_exchanges(
    session: Session,
    f: ExchangeFilter | None = None,
    *,
    limit: int | None = 50,
    offset: int = 0,
    newest_first: bool = True,
) -> list[Exchange]:
    """Exchanges matching ``f``, newest first by default (by time, then id)."""
    stmt = _where(select(Exchange), f or ExchangeFilter())
    order = (Exchange.ts.desc(), Exchange.id.desc()) if newest_first else (Exchange.ts, Exchange.id)
    stmt = stmt.order_by(*order).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def iter_exchanges(
    session: Session, f: ExchangeFilter | None = None, *, limit: int | None = None
) -> Iterator[Exchange]:
    """Exchanges matching ``f``, oldest first, streamed in batches (for exports)."""
    stmt = _where(select(Exchange), f or ExchangeFilter()).order_by(Exchange.ts, Exchange.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    try:
        yield from session.scalars(stmt.execution_options(yield_per=500))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read exchanges: {type(exc).__name__}") from None


@_guard("count exchanges")
def count_exchanges(session: Session, f: ExchangeFilter | None = None) -> int:
    """How many exchanges match ``f``."""
    stmt = _where(select(func.count()).select_from(Exchange), f or ExchangeFilter())
    return int(session.execute(stmt).scalar_one())


@_guard("read exchange ids")
def exchange_ids(session: Session, f: ExchangeFilter | None = None) -> list[int]:
    """Ids of the exchanges matching ``f``, oldest first (cheap: reads only the index)."""
    stmt = _where(select(Exchange.id), f or ExchangeFilter()).order_by(Exchange.ts, Exchange.id)
    return list(session.scalars(stmt))


def get_exchange(session: Session, exchange_id: int) -> Exchange:
    """One exchange by id; :class:`NotFoundError` when there is none."""
    try:
        row = session.get(Exchange, exchange_id)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read exchange {exchange_id!r}: {type(exc).__name__}") from None
    if row is None:
        raise NotFoundError(f"no exchange with id {exchange_id!r}")
    return row


def day_rejections(
    session: Session, endpoint: str, start: datetime, end: datetime, *, limit: int | None = None
) -> list[Exchange]:
    """One window's rejections for one endpoint, oldest first: the capture store's hot query."""
    f = ExchangeFilter(start=start, end=end, endpoint=endpoint, outcome="rejected")
    return list_exchanges(session, f, limit=limit, newest_first=False)


@dataclass(frozen=True)
class StatsRow:
    endpoint: str
    outcome: str
    code: str | None
    count: int


@_guard("count exchanges by endpoint")
def stats(session: Session, f: ExchangeFilter | None = None) -> list[StatsRow]:
    """Counts by endpoint x outcome x code, ordered by endpoint then count (largest first)."""
    n = func.count().label("n")
    stmt = _where(
        select(Exchange.endpoint, Exchange.outcome, Exchange.code, n), f or ExchangeFilter()
    ).group_by(Exchange.endpoint, Exchange.outcome, Exchange.code)
    rows = [StatsRow(e, o, c, int(k)) for e, o, c, k in session.execute(stmt)]
    rows.sort(key=lambda r: (r.endpoint, -r.count, r.outcome, r.code or ""))
    return rows


def insert_exchanges(
    conn: Connection | Session, rows: Sequence[ExchangeRow], *, returning_ids: bool = False
) -> int:
    """Bulk insert already-sanitized rows (Core ``insert`` as executemany) in the caller's
    transaction. Every row must carry the keys of :data:`EXCHANGE_COLUMNS`. With
    ``returning_ids`` each row dict gets its new ``id`` (one RETURNING round trip per batch).
    Errors propagate unchanged: the ingest process tells a store that is down from a row it
    refuses.
    """
    if not rows:
        return 0
    for row in rows:
        # Rows spooled by an older version lack the newer columns: one key set per batch.
        for name in _LATER_COLUMNS:
            row.setdefault(name, None)
    table = cast(Table, Exchange.__table__)
    if returning_ids:
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        params = [{k: v for k, v in r.items() if k != "id"} for r in rows]
        ids = conn.execute(stmt, params).scalars().all()
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
    else:
        conn.execute(insert(table), list(rows))
    return len(rows)


_DRAFT_COLUMNS = (
    Exchange.endpoint,
    Exchange.scheme,
    Exchange.host,
    Exchange.status,
    Exchange.outcome,
    Exchange.code,
    Exchange.message,
    Exchange.request_fields,
    Exchange.response_fields,
    Exchange.request_headers,
    Exchange.notes,
)


def draft_rows(session: Session, f: ExchangeFilter | None = None) -> Iterator[dict[str, Any]]:
    """Exchange summaries for :func:`harness.plan.draft.draft`, streamed in batches."""
    names = [c.key for c in _DRAFT_COLUMNS]
    stmt = _where(select(*_DRAFT_COLUMNS).order_by(Exchange.id), f or ExchangeFilter())
    try:
        for row in session.execute(stmt.execution_options(yield_per=2000)):
            yield dict(zip(names, row, strict=True))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read exchanges: {type(exc).__name__}") from None
