"""Retention: delete exchanges older than a cutoff, with their replay results, in batches.

Each batch is one short transaction (``batch`` exchanges by id, their replay results
first), so a capture writing to the same store waits a few milliseconds at most: on
SQLite the ingest's write lock is free again between batches, on PostgreSQL inserts
never wait for these deletes. Rules are never touched: a rule's evidence is a summary
(counts, signatures, example ids), which outlives the exchanges it came from; an example
id may then name an exchange that is gone. Replay runs keep their summaries too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Engine, Table, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from harness.errors import StoreError
from harness.store.models import Exchange, ReplayResult

__all__ = ["Pruned", "count_older", "prune", "prune_batch"]

BATCH = 1000
PAUSE = 0.05  # seconds between batches: room for the capture's own writes


@dataclass
class Pruned:
    """What a prune deleted."""

    exchanges: int = 0
    results: int = 0
    batches: int = 0

    def add(self, exchanges: int, results: int) -> None:
        self.exchanges += exchanges
        self.results += results
        self.batches += 1


def count_older(session: Session, cutoff: datetime) -> tuple[int, int]:
    """(exchanges, replay results) a prune at ``cutoff`` would delete."""
    old = select(Exchange.id).where(Exchange.ts < cutoff)
    exchanges = session.execute(
        select(func.count()).select_from(Exchange).where(Exchange.ts < cutoff)
    ).scalar_one()
    results = session.execute(
        select(func.count()).select_from(ReplayResult).where(ReplayResult.exchange_id.in_(old))
    ).scalar_one()
    return int(exchanges), int(results)


def prune_batch(engine: Engine, cutoff: datetime, batch: int = BATCH) -> tuple[int, int]:
    """Delete up to ``batch`` of the oldest exchanges before ``cutoff`` and their replay
    results, in one transaction; returns (exchanges, results) deleted (0 when done)."""
    exchanges = cast(Table, Exchange.__table__)
    results = cast(Table, ReplayResult.__table__)
    with engine.begin() as conn:
        ids = list(
            conn.execute(
                select(exchanges.c.id)
                .where(exchanges.c.ts < cutoff)
                .order_by(exchanges.c.id)
                .limit(batch)
            ).scalars()
        )
        if not ids:
            return 0, 0
        gone_results = conn.execute(delete(results).where(results.c.exchange_id.in_(ids)))
        gone = conn.execute(delete(exchanges).where(exchanges.c.id.in_(ids)))
        return int(gone.rowcount or 0), int(gone_results.rowcount or 0)


def prune(
    engine: Engine,
    cutoff: datetime,
    *,
    batch: int = BATCH,
    pause: float = PAUSE,
    progress: Callable[[Pruned], None] | None = None,
) -> Pruned:
    """Delete every exchange before ``cutoff`` (and its replay results), batch by batch.

    Raises :class:`harness.errors.StoreError` when the store fails; what earlier batches
    deleted stays deleted (each batch commits on its own).
    """
    if batch < 1:
        raise StoreError(f"a prune batch must hold at least 1 exchange, got {batch!r}")
    done = Pruned()
    while True:
        try:
            n, r = prune_batch(engine, cutoff, batch)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
            raise StoreError(
                f"cannot prune exchanges (after deleting {done.exchanges}): "
                f"{reason[0] if reason else type(exc).__name__}"
            ) from None
        if n == 0:
            return done
        done.add(n, r)
        if progress is not None:
            progress(done)
        if pause > 0:
            time.sleep(pause)
