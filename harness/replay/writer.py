"""Writing replay results: batches from one thread, and store errors as one line."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from harness.errors import StoreError
from harness.store import replays as store


class store_errors:
    """Turns SQLAlchemy errors into a one-line StoreError naming the step."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, SQLAlchemyError):
            reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
            raise StoreError(
                f"cannot {self.what}: {reason[0] if reason else type(exc).__name__}"
            ) from None


class BatchWriter:
    """Writes result rows in batches from one thread; at most ``depth`` batches pending."""

    def __init__(
        self, factory: sessionmaker[Session], run_id: int, batch: int = 500, depth: int = 4
    ) -> None:
        self.factory = factory
        self.run_id = run_id
        self.batch = max(1, batch)
        self.depth = depth
        self.written = 0
        self._buffer: list[dict[str, Any]] = []
        self._pending: list[Future[int]] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-writer")

    async def add(self, row: dict[str, Any]) -> None:
        row["run_id"] = self.run_id
        self._buffer.append(row)
        if len(self._buffer) >= self.batch:
            self._submit()
            while len(self._pending) >= self.depth:
                await asyncio.wrap_future(self._pending[0])
                self._reap()

    def flush(self) -> None:
        """Hand what is buffered to the writer thread now (without waiting)."""
        self._reap()
        self._submit()

    def _submit(self) -> None:
        if self._buffer:
            rows, self._buffer = self._buffer, []
            self._pending.append(self._pool.submit(self._write, rows))

    def _write(self, rows: list[dict[str, Any]]) -> int:
        with store_errors("write replay results"), self.factory.begin() as session:
            return store.insert_results(session, rows)

    def _reap(self) -> None:
        still = []
        for fut in self._pending:
            if fut.done():
                self.written += fut.result()  # re-raises a StoreError from the thread
            else:
                still.append(fut)
        self._pending = still

    async def close(self) -> None:
        self._submit()
        try:
            for fut in list(self._pending):
                await asyncio.wrap_future(fut)
            self._reap()
        finally:
            self._pool.shutdown(wait=True)
