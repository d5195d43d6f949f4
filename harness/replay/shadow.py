"""Live shadow: mirror each sanitized exchange to staging (or a mock) as it is captured.

Off the hot path: the ingest process hands over rows it has just inserted; a thread of this
module, with its own asyncio loop and aiohttp session, replays them (re-signed) to the
shadow targets, classifies, diffs against production's answer and records verdicts under
one ``replay_runs`` row of kind ``shadow`` per ingest process. A production-only rejection
is flagged the minute it happens (``harness runs show ID --verdict production_only``).

Fail-open on purpose, like the capture: production traffic must never wait for the
harness. The queue is bounded; when it is full, rows are dropped and counted, and
:meth:`ShadowSender.submit` never blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.errors import SafetyError
from harness.plan import Plan, default_plan
from harness.replay.assess import Assessor, probes_of
from harness.replay.client import Sender
from harness.replay.request import Sample
from harness.replay.safety import check_targets, origin_of
from harness.replay.sending import Sending
from harness.replay.step import Step
from harness.replay.summary import build_summary
from harness.replay.writer import BatchWriter
from harness.store import open_store
from harness.store import replays as store
from harness.targets.resolve import Target, as_targets, urls

log = logging.getLogger(__name__)


class ShadowSender:
    """Mirrors inserted exchange rows to shadow targets from a background thread.

    Interface with the ingest process (the caller)::

        sender = ShadowSender({"staging": "http://127.0.0.1:18081"}, plan, db_url)
        ...
        # after a batch of sanitized rows is inserted AND committed:
        sender.submit(rows)   # rows: dicts keyed by ``exchanges`` column names, incl. "id"
        ...
        stats = sender.close(timeout=10.0)  # flush: finish in-flight work, write results

    - ``targets``: name -> base URL (the plan's settings of that name apply: headers,
      signer, TLS; see :mod:`harness.targets`) or a resolved ``Target``; a header whose
      environment variable is missing is a ``ConfigError`` here. Production targets are
      refused here with
      :class:`~harness.errors.SafetyError`, exactly as for ``harness replay``
      (:mod:`harness.replay.safety`). Pass ``production=[upstream_url]`` when the proxy's
      upstream comes from the command line rather than the plan, so that it is refused
      too. Each row's own origin (the host it was captured from) is checked as well: a
      target that reaches it is never sent that row (counted in ``refused``).
    - ``plan``: the same plan the capture classifies with (``None``: the default plan, and
      no production check); its signer signs each request afresh (a missing key raises
      :class:`~harness.errors.SignerError` here, not later).
    - ``db_url``: the store the rows were inserted into (migrated already).
    - Each row needs ``id``, ``endpoint``, ``method``, ``path``, ``request_headers``,
      ``request_body``, ``status``, ``response_headers``, ``response_body``, ``outcome``,
      ``code`` and ``message``; ``request_truncated``, ``request_format``,
      ``request_size`` and ``error`` are read when present. The rows are not modified.
    - :meth:`submit` returns how many rows it accepted; it never blocks and never raises
      (after :meth:`close`, everything is dropped). At most ``queue_size`` rows wait or
      are in flight; the rest are dropped and counted.
    - The first ``repeat_noise`` exchanges of each endpoint go twice to each target, to
      learn that endpoint's noise paths (Diffy's idea), as in ``harness replay``.
    """

    def __init__(
        self,
        targets: Mapping[str, str | Target],
        plan: Plan | None,
        db_url: str,
        queue_size: int = 1000,
        *,
        concurrency: int = 16,
        rate: float = 0.0,
        timeout: float = 10.0,
        repeat_noise: int = 3,
        environ: Mapping[str, str] | None = None,
        production: Sequence[str] = (),
    ) -> None:
        check_targets(urls(targets), plan, production)
        self.plan = plan or default_plan()
        resolved = as_targets(plan, targets, environ)
        self.targets = urls(resolved)
        self.step = Step(self.targets, self.plan, Sending.of(resolved, self.plan, environ))
        self.queue_size = max(1, int(queue_size))
        self.concurrency = max(1, int(concurrency))
        self.rate = rate
        self.timeout = timeout
        self.repeat_noise = max(0, int(repeat_noise))
        # Classifies, learns noise, judges and tallies, as for harness replay.
        self.assessor = Assessor(self.plan, probes_of(self.targets, self.plan))
        self.factory = open_store(db_url)  # migrates if the ingest has not yet
        with self.factory.begin() as session:
            self.run_id = store.create_run(
                session,
                kind="shadow",
                plan_name=plan.name if plan else None,
                selection={"live": True},
                targets=self.targets,
            ).id
        self.submitted = 0
        self.dropped = 0
        self.failures = 0
        self.skipped = 0
        self.refused = 0  # (row, target) pairs not sent: the target reaches the row's origin
        self._refused_for: dict[str, frozenset[str]] = {}  # origin -> targets refused for it
        self._queued = 0  # waiting + in flight
        self._rows: deque[Mapping[str, Any]] = deque()
        self._lock = threading.Lock()
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._noise_seen: Counter[tuple[str, str]] = Counter()
        self._sender: Sender | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="harness-shadow", daemon=True)
        self._thread.start()
        self._started.wait(10)

    # -- the caller's side (ingest thread) --------------------------------------------------

    def submit(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Queue rows for mirroring; returns how many were accepted (the rest are dropped)."""
        accepted = 0
        with self._lock:
            for row in rows:
                self.submitted += 1
                if self._closing or self._queued >= self.queue_size:
                    self.dropped += 1
                    continue
                self._rows.append(row)
                self._queued += 1
                accepted += 1
        if accepted:
            self._poke()
        return accepted

    def close(self, timeout: float = 10.0) -> dict[str, Any]:
        """Finish queued and in-flight work (up to ``timeout`` s), write results and summary."""
        with self._lock:
            already = self._closing
            self._closing = True
        if not already:
            self._poke()
        self._thread.join(max(0.0, timeout))
        if self._thread.is_alive() and self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._cancel_all)
            self._thread.join(5.0)
        stats = self.stats()
        try:
            with self.factory.begin() as session:
                store.finish_run(session, self.run_id, state="done", summary=self.summary())
        except Exception as exc:  # fail-open: the ingest must still exit cleanly
            log.error(
                "shadow run %d: cannot write its summary: %s", self.run_id, type(exc).__name__
            )
        self.factory.kw["bind"].dispose()
        return stats

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "run_id": self.run_id,
                "submitted": self.submitted,
                "dropped": self.dropped,
                "queued": self._queued,
                "results": len(self.assessor.findings.tallies),
                "skipped": self.skipped,
                "refused": self.refused,
                "failures": self.failures,
                "requests": self._sender.sent if self._sender else 0,
            }

    def summary(self) -> dict[str, Any]:
        findings = self.assessor.findings
        return build_summary(
            list(findings.tallies),
            self.targets,
            self.assessor.probes,
            noise=findings.noise,
            extra={"shadow": self.stats(), "plan_noise": list(self.plan.noise)},
        )

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed
            loop.call_soon_threadsafe(wake.set)

    # -- the shadow thread --------------------------------------------------------------------

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve(loop))
        except BaseException as exc:  # never let the thread take the ingest down
            log.error("shadow thread stopped: %s", type(exc).__name__)
        finally:
            self._started.set()
            loop.close()

    def _cancel_all(self) -> None:
        for task in asyncio.all_tasks():
            task.cancel()

    async def _serve(self, loop: asyncio.AbstractEventLoop) -> None:
        self._wake = asyncio.Event()
        self._loop = loop
        self._started.set()
        writer = BatchWriter(self.factory, self.run_id, batch=200)
        sem = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            sem.release()
            tasks.discard(task)
            self._done()

        async with Sender(self.concurrency, self.rate, self.timeout) as sender:
            self._sender = sender
            flusher = asyncio.create_task(self._flush_every(writer, 1.0))
            try:
                while True:
                    await self._wake.wait()
                    self._wake.clear()
                    while True:
                        with self._lock:
                            row = self._rows.popleft() if self._rows else None
                            closing = self._closing
                        if row is None:
                            break
                        await sem.acquire()
                        task = asyncio.create_task(self._mirror(sender, writer, row))
                        tasks.add(task)
                        task.add_done_callback(finished)
                    if closing:
                        break
                if tasks:
                    await asyncio.wait(list(tasks))
            finally:
                flusher.cancel()
                try:
                    await writer.close()
                except Exception as exc:
                    self.failures += 1
                    log.error(
                        "shadow run %d: cannot write results: %s", self.run_id, type(exc).__name__
                    )

    def _done(self) -> None:
        with self._lock:
            self._queued -= 1

    async def _flush_every(self, writer: BatchWriter, period: float) -> None:
        last_summary = time.monotonic()
        while True:
            await asyncio.sleep(period)
            try:
                writer.flush()
                if time.monotonic() - last_summary > 5.0:
                    last_summary = time.monotonic()
                    summary = self.summary()
                    await asyncio.to_thread(self._write_summary, summary)
            except Exception as exc:  # fail-open
                self.failures += 1
                log.error("shadow run %d: cannot write: %s", self.run_id, type(exc).__name__)

    def _write_summary(self, summary: dict[str, Any]) -> None:
        with self.factory.begin() as session:
            store.update_summary(session, self.run_id, summary)

    async def _mirror(self, sender: Sender, writer: BatchWriter, row: Mapping[str, Any]) -> None:
        try:
            sample = Sample.from_row(row)
        except (KeyError, TypeError, ValueError):
            self.failures += 1
            return
        if sample.skip:
            self.skipped += 1
            return
        refused = self._refused(row)
        try:
            for target in self.targets:
                if target in refused:
                    self.refused += 1
                    continue
                noise = self._noise_seen[(sample.endpoint, target)] < self.repeat_noise
                if noise:  # counted before sending: mirrors run concurrently
                    self._noise_seen[(sample.endpoint, target)] += 1
                sent = await self.step(sender, sample, target, times=2 if noise else 1)
                if sent.failure is not None:
                    results = [self.assessor.record(sample, target, None, sent.failure)]
                elif noise:
                    self.assessor.pair(sample, target, *sent.answers)
                    results = self.assessor.firsts()  # this pair's first answer, assessed
                else:
                    results = [self.assessor.record(sample, target, sent.answers[0])]
                for result in results:
                    await writer.add(result)
        except Exception as exc:  # fail-open: one bad row must not stop the shadow
            self.failures += 1
            log.error("shadow: exchange %s failed: %s", row.get("id"), type(exc).__name__)

    def _refused(self, row: Mapping[str, Any]) -> frozenset[str]:
        """Targets that reach the origin ``row`` was captured from (checked once per origin)."""
        origin = origin_of(row)
        if origin is None:
            return frozenset()
        refused = self._refused_for.get(origin)
        if refused is None:
            names = set()
            for name, url in self.targets.items():
                try:
                    check_targets({name: url}, None, captured=[origin])
                except SafetyError as exc:
                    log.error("shadow: %s", exc)
                    names.add(name)
            refused = self._refused_for[origin] = frozenset(names)
        return refused
