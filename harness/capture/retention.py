"""Retention applied by the capture itself: once a day, a batch at a time, between inserts.

:class:`Pruner` lives in the ingest process (``python -m harness.capture.ingest``), which owns the
store's writes: each :meth:`Pruner.step` deletes at most one batch (see
:mod:`harness.store.retention`) and only when a prune is due, so the ingest interleaves
them with its own batches and capture never waits for a long delete. The first prune runs
a minute after start, then every :data:`EVERY` seconds. A store that fails is retried at
the next due time; a prune never stops the capture.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from harness.store.retention import BATCH, prune_batch
from harness.timeutil import utcnow

log = logging.getLogger("harness.capture.ingest")

EVERY = 86400.0  # seconds between prunes
FIRST_AFTER = 60.0  # seconds after start: the store is migrated and back-filled first


class Pruner:
    """Deletes exchanges older than ``keep``, one batch per :meth:`step`, once a day."""

    def __init__(
        self,
        keep: timedelta,
        engine: Callable[[], Engine],
        *,
        batch: int = BATCH,
        every: float = EVERY,
        first_after: float = FIRST_AFTER,
    ) -> None:
        self.keep = keep
        self.engine = engine
        self.batch = batch
        self.every = every
        self.next_at = time.monotonic() + first_after
        self.deleted = 0  # exchanges, since start
        self.results = 0  # replay results, since start
        self._cutoff: datetime | None = None  # the running prune's cutoff, fixed at its start
        self._this_run = 0

    def step(self) -> bool:
        """One batch when a prune is due; True when it deleted something."""
        if self._cutoff is None:
            if time.monotonic() < self.next_at:
                return False
            self._cutoff = utcnow() - self.keep
            self._this_run = 0
        try:
            n, r = prune_batch(self.engine(), self._cutoff, self.batch)
        except SQLAlchemyError as exc:
            log.error("retention: prune failed (%s); next try in a day", type(exc).__name__)
            n = r = 0
        self.deleted += n
        self.results += r
        self._this_run += n
        if n == 0:
            if self._this_run:
                log.info("retention: deleted %d exchanges older than %s", self._this_run, self.keep)
            self._cutoff = None
            self.next_at = time.monotonic() + self.every
            return False
        return True
