"""The replay engine: selected exchanges -> every target -> results, diffs, verdicts.

One run, in order:

1. refuse production targets (:mod:`harness.replay.safety`), load the signer;
2. select the exchanges and record a ``replay_runs`` row (state ``running``);
3. noise: for up to ``repeat_noise`` exchanges per endpoint, send the same request twice to
   each target; the paths that differ between two answers of the same outcome and code are
   that endpoint's noise for the run (Diffy's idea), on top of the plan's ``noise``;
4. send the rest, at most ``concurrency`` requests in flight and ``rate`` per second;
5. each answer is classified, diffed and judged in the event loop; result rows are written
   in batches by one writer thread, never one transaction per result;
6. the run gets its summary and state ``done`` (or ``failed``).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from harness import verdicts
from harness.classify import Classifier
from harness.errors import ConfigError, SignerError
from harness.plan import Plan, default_plan
from harness.replay.assess import assess, failed, learn_noise
from harness.replay.client import RawAnswer, Sender
from harness.replay.request import Sample, build_request
from harness.replay.safety import captured_origins, check_targets
from harness.replay.summary import Tally, build_summary
from harness.replay.writer import BatchWriter, store_errors
from harness.signers import Signer, fresh_headers, load_signer
from harness.store import replays as store
from harness.store.queries import ExchangeFilter

Progress = Callable[[int, int], None]
OUTCOMES = ("rejected", "accepted", "upstream_error", "all")


@dataclass(frozen=True)
class Selection:
    """Which exchanges to replay."""

    start: datetime | None = None
    end: datetime | None = None
    outcome: str = "rejected"  # rejected | accepted | upstream_error | all
    endpoint: str | None = None
    code: str | None = None
    limit: int = 1000

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ConfigError(f"unknown outcome {self.outcome!r} (want {', '.join(OUTCOMES)})")
        if self.limit < 1:
            raise ConfigError(f"limit must be at least 1, got {self.limit!r}")

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"] = self.start.isoformat() if self.start else None
        out["end"] = self.end.isoformat() if self.end else None
        return out


@dataclass(frozen=True)
class Settings:
    """How to send: concurrency, rate (requests/s, 0 = unlimited), timeout (s), noise sample."""

    concurrency: int = 32
    rate: float = 0.0
    timeout: float = 10.0
    repeat_noise: int = 5
    batch: int = 500

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {self.concurrency!r}")
        if self.rate < 0:
            raise ConfigError(f"rate must not be negative, got {self.rate!r}")
        if self.repeat_noise < 0:
            raise ConfigError(f"repeat-noise must not be negative, got {self.repeat_noise!r}")


@dataclass
class RunReport:
    run_id: int
    summary: dict[str, Any] = field(default_factory=dict)


def replay(
    factory: sessionmaker[Session],
    targets: Mapping[str, str],
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
    """
    selection = selection or Selection()
    settings = settings or Settings()
    targets = dict(targets)
    if not targets:
        raise ConfigError("no replay targets: give --target NAME=URL or a plan with 'targets'")
    check_targets(targets, plan)
    used = plan or default_plan()
    signer = load_signer(used.signer, environ)
    fresh = fresh_headers(used.signer, environ)
    with store_errors("select exchanges"), factory.begin() as session:
        rows = _select(session, selection)
        check_targets(targets, plan, captured=captured_origins(session))  # where they came from
        samples = [Sample.from_row(r) for r in rows]
        run = store.create_run(
            session,
            kind="replay",
            plan_name=plan.name if plan else None,
            selection=selection.as_json(),
            targets=targets,
        )
        run_id = run.id
    job = _Job(factory, run_id, targets, used, signer, fresh, settings, progress)
    try:
        summary = asyncio.run(job.run(samples))
    except BaseException:
        with store_errors("mark the run failed"), factory.begin() as session:
            store.finish_run(session, run_id, state="failed", summary=job.partial_summary())
        raise
    with store_errors("finish the run"), factory.begin() as session:
        store.finish_run(session, run_id, state="done", summary=summary)
    return RunReport(run_id, summary)


def _select(session: Session, selection: Selection) -> list[Any]:
    f = ExchangeFilter(
        start=selection.start,
        end=selection.end,
        endpoint=selection.endpoint,
        outcome=None if selection.outcome == "all" else selection.outcome,
        code=selection.code,
    )
    return store.replay_rows(session, f, limit=selection.limit)


class _Job:
    def __init__(
        self,
        factory: sessionmaker[Session],
        run_id: int,
        targets: dict[str, str],
        plan: Plan,
        signer: Signer,
        fresh: Mapping[str, str],
        settings: Settings,
        progress: Progress | None,
    ) -> None:
        self.factory = factory
        self.run_id = run_id
        self.targets = targets
        self.plan = plan
        self.signer = signer
        self.fresh = fresh
        self.settings = settings
        self.progress = progress
        self.classifier = Classifier(plan)
        self.secret = plan.secret_headers
        self.probes = {name for name in targets if verdicts.is_probe(name, plan.probe_targets)}
        self.noise: dict[str, set[str]] = defaultdict(set)
        self.unstable: Counter[str] = Counter()
        self.tallies: list[Tally] = []
        self.skipped: Counter[str] = Counter()
        self.selected = 0
        self.total = 0
        self.done = 0
        self.sender: Sender | None = None
        self.started = time.perf_counter()
        self._failure: BaseException | None = None

    # -- the run ----------------------------------------------------------------------------

    async def run(self, samples: list[Sample]) -> dict[str, Any]:
        self.selected = len(samples)
        ready = []
        for s in samples:
            if s.skip:
                self.skipped[s.skip] += 1
            else:
                ready.append(s)
        self.total = len(ready) * len(self.targets)
        self._tick()
        writer = BatchWriter(self.factory, self.run_id, self.settings.batch)
        try:
            async with Sender(
                self.settings.concurrency, self.settings.rate, self.settings.timeout
            ) as sender:
                self.sender = sender
                sampled, rest = self._noise_sample(ready)
                await self._noise_phase(sender, writer, sampled)
                await self._main_phase(sender, writer, rest)
        finally:
            await writer.close()
        return self.partial_summary()

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

    async def _noise_phase(
        self, sender: Sender, writer: BatchWriter, sampled: list[Sample]
    ) -> None:
        """Each sampled exchange twice to each target; the first answers become results."""
        firsts: list[tuple[Sample, str, RawAnswer]] = []
        sem = asyncio.Semaphore(self.settings.concurrency)

        async def twice(sample: Sample, target: str) -> None:
            async with sem:
                request = self._request(sample, target)
                if isinstance(request, str):
                    await self._record(writer, sample, target, None, request)
                    return
                first = await sender.send(*request)
                second = await sender.send(*request)
            firsts.append((sample, target, first))
            self._learn_noise(sample.endpoint, first, second)

        await asyncio.gather(*(twice(s, t) for s in sampled for t in self.targets))
        for sample, target, first in firsts:
            await self._record(writer, sample, target, first)

    async def _main_phase(self, sender: Sender, writer: BatchWriter, rest: list[Sample]) -> None:
        sem = asyncio.Semaphore(self.settings.concurrency)
        tasks: set[asyncio.Task[None]] = set()

        async def one(sample: Sample, target: str) -> None:
            request = self._request(sample, target)
            if isinstance(request, str):
                await self._record(writer, sample, target, None, request)
                return
            answer = await sender.send(*request)
            await self._record(writer, sample, target, answer)

        def finished(task: asyncio.Task[None]) -> None:
            sem.release()
            tasks.discard(task)
            if not task.cancelled() and task.exception() is not None and self._failure is None:
                self._failure = task.exception()

        for sample in rest:
            for target in self.targets:
                await sem.acquire()
                if self._failure is not None:
                    sem.release()
                    break
                task = asyncio.create_task(one(sample, target))
                tasks.add(task)
                task.add_done_callback(finished)
        if tasks:
            await asyncio.wait(list(tasks))
        if self._failure is not None:
            raise self._failure

    # -- steps --------------------------------------------------------------------------------

    def _request(self, sample: Sample, target: str) -> tuple[str, str, dict[str, str], bytes] | str:
        """The signed request, or the reason it could not be built."""
        try:
            return build_request(
                sample, self.targets[target], self.plan, self.signer, self.fresh, self.secret
            )
        except SignerError as exc:
            return f"signing failed: {exc}"

    def _learn_noise(self, endpoint: str, a: RawAnswer, b: RawAnswer) -> None:
        found = learn_noise(self.classifier, a, b)
        if found is None:
            self.unstable[endpoint] += 1
        else:
            self.noise[endpoint] |= found

    async def _record(
        self,
        writer: BatchWriter,
        sample: Sample,
        target: str,
        answer: RawAnswer | None,
        reason: str | None = None,
    ) -> None:
        if answer is None:
            row = failed(sample, target, reason or "not sent")
        else:
            row = assess(
                sample,
                target,
                answer,
                plan=self.plan,
                classifier=self.classifier,
                noise=(*self.plan.noise, *self.noise.get(sample.endpoint, ())),
                probe=target in self.probes,
                secret=self.secret,
            )
        self.tallies.append(
            Tally(
                sample.id,
                sample.endpoint,
                sample.production.outcome,
                sample.production.code,
                target,
                row["verdict"],
            )
        )
        await writer.add(row)
        self.done += 1
        self._tick()

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total)

    def partial_summary(self) -> dict[str, Any]:
        elapsed = time.perf_counter() - self.started
        requests = self.sender.sent if self.sender else 0
        return build_summary(
            self.tallies,
            self.targets,
            self.probes,
            noise=self.noise,
            extra={
                "selected": self.selected,
                "skipped": dict(self.skipped),
                "noise_unstable": dict(self.unstable),
                "plan_noise": list(self.plan.noise),
                "requests": requests,
                "duration_s": round(elapsed, 3),
                "requests_per_s": round(requests / elapsed, 1) if elapsed > 0 else None,
            },
        )
