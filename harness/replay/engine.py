"""The replay engine: selected exchanges -> every target -> results, diffs, verdicts.

One run, in order:

1. refuse production targets (:mod:`harness.replay.safety`), load the signer;
2. select the exchanges and record a ``replay_runs`` row (state ``running``);
3. noise: for up to ``repeat_noise`` exchanges per endpoint, send the same request twice to
   each target; the paths that differ between two answers of the same outcome and code are
   that endpoint's noise for the run (Diffy's idea), on top of the plan's ``noise``;
4. send the rest, at most ``concurrency`` requests in flight and ``rate`` per second;
5. each answer is handed to the run's :class:`~harness.replay.assess.Assessor`, which
   classifies, diffs and judges it; result rows are written in batches, never one
   transaction per result. A large run assesses in a second process
   (:mod:`harness.replay.worker`), so that the process that sends does little more than
   the HTTP client; a small one in the event loop, with a writer thread
   (:mod:`harness.replay.sinks`);
6. the run gets its summary and state ``done`` (or ``failed``).

The event loop is uvloop's when it is installed (a faster loop for the same client).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from harness.errors import ConfigError
from harness.loops import loop_factory
from harness.plan import Plan, default_plan
from harness.replay import worker
from harness.replay.assess import Assessor, probes_of
from harness.replay.client import Sender
from harness.replay.request import Sample
from harness.replay.safety import captured_origins, check_targets
from harness.replay.selection import OUTCOMES, RECORDINGS, Selection, Settings, parse_shard
from harness.replay.sending import Sending
from harness.replay.sinks import InlineSink, ProcessSink, Sink
from harness.replay.step import Step
from harness.replay.summary import Findings, build_summary
from harness.replay.writer import BatchWriter, store_errors
from harness.store import replays as store
from harness.store.queries import ExchangeFilter
from harness.targets.resolve import Target, as_targets, urls

Progress = Callable[[int, int], None]
# "auto" assesses in a second process from this many results on: below it, that process's
# start-up (about half a second of imports, on the other core) does not pay for itself.
PROCESS_FROM = 5000
TICKS = 1000  # progress calls per run, at most (plus the first)


@dataclass
class RunReport:
    run_id: int
    summary: dict[str, Any] = field(default_factory=dict)


__all__ = ["OUTCOMES", "RECORDINGS", "RunReport", "Selection", "Settings", "parse_shard", "replay"]


def replay(
    factory: sessionmaker[Session],
    targets: Mapping[str, str | Target],
    *,
    plan: Plan | None = None,
    selection: Selection | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
) -> RunReport:
    """Replay the selected exchanges against every target; returns the run's id and summary.

    ``plan`` None means no plan: nothing is known about production, so targets are not
    checked against it (they are explicit all the same), and classification uses the
    default plan.

    ``targets`` maps a name to a URL (the plan's settings of that name apply: headers,
    signer, TLS; :mod:`harness.targets`) or to a resolved :class:`Target`. A header whose
    environment variable is missing, a signer without its key, a TLS file that does not
    serve: each is one error before anything is sent.
    """
    selection = selection or Selection()
    settings = settings or Settings()
    if not targets:
        raise ConfigError("no replay targets: give --target NAME=URL or a plan with 'targets'")
    check_targets(urls_of(targets), plan)
    used = plan or default_plan()
    resolved = as_targets(plan, targets, environ)
    sending = Sending.of(resolved, used, environ)
    targets = urls(resolved)
    process = _process_sink(factory, settings, selection.limit * len(targets))
    with _selected_heap() as settle:
        try:
            with store_errors("select exchanges"), factory.begin() as session:
                rows = _select(session, selection)
                check_targets(targets, plan, captured=captured_origins(session))  # their origin
                samples = [Sample.from_row(r) for r in rows]
                run_id = store.create_run(
                    session,
                    kind="replay",
                    plan_name=plan.name if plan else None,
                    selection=selection.as_json(),
                    targets=targets,
                ).id
            del rows
        except BaseException:
            if process is not None:
                process.abandon()
            raise
        settle()
        small = len(samples) * len(targets) < PROCESS_FROM
        if process is not None and settings.recording == "auto" and small:
            process.abandon()
            process = None
        job = _Job(factory, run_id, targets, used, sending, settings, progress)
        try:
            summary = _run_loop(job.run(samples, process))
        except BaseException:
            with store_errors("mark the run failed"), factory.begin() as session:
                store.finish_run(session, run_id, state="failed", summary=job.partial_summary())
            raise
    with store_errors("finish the run"), factory.begin() as session:
        store.finish_run(session, run_id, state="done", summary=summary)
    return RunReport(run_id, summary)


def _process_sink(
    factory: sessionmaker[Session], settings: Settings, most: int
) -> ProcessSink | None:
    """The recording process, started before the selection so that its start-up overlaps
    it; None when answers are assessed in this process (see :data:`PROCESS_FROM`).
    """
    if settings.recording == "inline" or (settings.recording == "auto" and most < PROCESS_FROM):
        return None
    database = factory.kw["bind"].url.database
    if factory.kw["bind"].dialect.name == "sqlite" and database in (None, "", ":memory:"):
        return None  # another process cannot see a private in-memory database
    return ProcessSink.spawn()


@contextmanager
def _selected_heap() -> Iterator[Callable[[], None]]:
    """No garbage collection while the selection is read, then none that walks it.

    Reading a large selection allocates hundreds of thousands of objects, none of them in a
    cycle, and each full collection meanwhile walks them all (a fifth of a large run's
    time). The block runs with the collector paused; calling the ``settle`` it yields
    freezes what exists (the samples, the modules) and resumes collection for what the run
    allocates. Afterwards everything returns to the collector's care.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    frozen = False

    def settle() -> None:
        nonlocal frozen
        gc.freeze()
        frozen = True
        if was_enabled:
            gc.enable()

    try:
        yield settle
    finally:
        if frozen:
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def _run_loop(main: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """Run the replay's event loop to the end: uvloop's when installed, else asyncio's."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)  # type: ignore[arg-type]


def _select(session: Session, selection: Selection) -> list[Any]:
    f = ExchangeFilter(
        start=selection.start,
        end=selection.end,
        endpoint=selection.endpoint,
        outcome=None if selection.outcome == "all" else selection.outcome,
        code=selection.code,
    )
    return store.replay_rows(session, f, limit=selection.limit, shard=selection.shard)


def urls_of(targets: Mapping[str, str | Target]) -> dict[str, str]:
    return {n: t if isinstance(t, str) else t.url for n, t in targets.items()}


class _Job:
    def __init__(
        self,
        factory: sessionmaker[Session],
        run_id: int,
        targets: dict[str, str],
        plan: Plan,
        sending: Sending,
        settings: Settings,
        progress: Progress | None,
    ) -> None:
        self.factory = factory
        self.run_id = run_id
        self.targets = targets
        self.plan = plan
        self.step = Step(targets, plan, sending, plan.secret_headers)
        self.settings = settings
        self.progress = progress
        self.probes = probes_of(targets, plan)
        self.findings = Findings()
        self.skipped: Counter[str] = Counter()
        self.selected = 0
        self.total = 0
        self.done = 0
        self._ticked = 0
        self._tick_every = 1
        self.sender: Sender | None = None
        self.recording = "inline"  # where answers were assessed: inline | process
        self.started = time.perf_counter()

    # -- the run ----------------------------------------------------------------------------

    async def run(self, samples: list[Sample], process: ProcessSink | None) -> dict[str, Any]:
        """Send every ready sample to every target; ``process`` records, when given."""
        self.selected = len(samples)
        ready = []
        for s in samples:
            if s.skip:
                self.skipped[s.skip] += 1
            else:
                ready.append(s)
        self.total = len(ready) * len(self.targets)
        self._tick_every = max(1, self.total // TICKS)
        self._tick()
        sink = await self._sink(process)
        try:
            async with Sender(
                self.settings.concurrency, self.settings.rate, self.settings.timeout
            ) as sender:
                self.sender = sender
                sampled, rest = self._noise_sample(ready)
                await self._noise_phase(sender, sink, sampled)
                await self._main_phase(sender, sink, rest)
        finally:
            try:
                await sink.close()
            finally:
                self.findings = sink.findings
        return self.partial_summary()

    async def _sink(self, process: ProcessSink | None) -> Sink:
        if process is None:
            return InlineSink(
                Assessor(self.plan, self.probes),
                BatchWriter(self.factory, self.run_id, self.settings.batch),
            )
        self.recording = "process"
        url = self.factory.kw["bind"].url.render_as_string(hide_password=False)
        try:
            await process.start(
                worker.Config(url, self.run_id, self.plan, self.probes, self.settings.batch)
            )
        except BaseException:
            process.abandon()
            raise
        return process

    def _noise_sample(self, ready: list[Sample]) -> tuple[list[Sample], list[Sample]]:
        per_endpoint: Counter[str] = Counter()
        sampled, rest = [], []
        for s in ready:
            if per_endpoint[s.endpoint] < self.settings.repeat_noise:
                per_endpoint[s.endpoint] += 1
                sampled.append(s)
            else:
                rest.append(s)
        return sampled, rest

    async def _noise_phase(self, sender: Sender, sink: Sink, sampled: list[Sample]) -> None:
        """Each sampled exchange twice to each target; the first answers become results."""

        async def twice(sample: Sample, target: str) -> None:
            sent = await self.step(sender, sample, target, times=2)
            if sent.failure is not None:
                await sink.failed(sample, target, sent.failure)
            else:
                await sink.pair(sample, target, *sent.answers)
            self._answered()

        await self._spread(twice, sampled)
        await sink.end_noise()

    async def _main_phase(self, sender: Sender, sink: Sink, rest: list[Sample]) -> None:
        async def once(sample: Sample, target: str) -> None:
            sent = await self.step(sender, sample, target)
            if sent.failure is not None:
                await sink.failed(sample, target, sent.failure)
            else:
                await sink.answer(sample, target, sent.answers[0])
            self._answered()

        await self._spread(once, rest)

    async def _spread(
        self, step: Callable[[Sample, str], Awaitable[None]], samples: list[Sample]
    ) -> None:
        """``step`` for every sample and target, ``concurrency`` at a time, in order.

        Workers take the next (sample, target) as they finish one, so no more than
        ``concurrency`` requests are ever in flight; the first failure stops them all.
        """
        work = ((sample, target) for sample in samples for target in self.targets)

        async def worker_loop() -> None:
            for sample, target in work:
                await step(sample, target)

        n = min(self.settings.concurrency, len(samples) * len(self.targets))
        if n == 0:
            return
        tasks = [asyncio.create_task(worker_loop()) for _ in range(n)]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- steps --------------------------------------------------------------------------------

    def _answered(self) -> None:
        self.done += 1
        if self.done - self._ticked >= self._tick_every or self.done == self.total:
            self._tick()

    def _tick(self) -> None:
        self._ticked = self.done
        if self.progress is not None:
            self.progress(self.done, self.total)

    def partial_summary(self) -> dict[str, Any]:
        elapsed = time.perf_counter() - self.started
        requests = self.sender.sent if self.sender else 0
        return build_summary(
            self.findings.tallies,
            self.targets,
            self.probes,
            noise=self.findings.noise,
            extra={
                "selected": self.selected,
                "skipped": dict(self.skipped),
                "noise_unstable": dict(self.findings.unstable),
                "plan_noise": list(self.plan.noise),
                "requests": requests,
                "duration_s": round(elapsed, 3),
                "requests_per_s": round(requests / elapsed, 1) if elapsed > 0 else None,
                "recording": self.recording,
            },
        )
