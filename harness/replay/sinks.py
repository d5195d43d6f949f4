"""Where a replay's answers go once they are back: assessed in process, or in a second one.

Both sinks take the same calls, in the order the answers came back, and end with
:meth:`close`, after which :attr:`findings` holds what the run's
:class:`~harness.replay.assess.Assessor` found (tallies, noise):

- :class:`InlineSink` runs the Assessor in the event loop and writes rows in batches from
  one thread (:class:`~harness.replay.writer.BatchWriter`): no start-up cost, right for small
  runs and for callers that need each verdict at once.
- :class:`ProcessSink` hands each answer to the recording process
  (:mod:`harness.replay.worker`) over a pipe, :data:`FRAME_ITEMS` answers to a frame; that
  process assesses, tallies and writes. Handing over never blocks the event loop: frames go
  through an asyncio pipe transport, and a caller waits (``await``) only while more than
  :data:`PIPE_HIGH_WATER` bytes are still on their way, which holds back its next request
  (back-pressure) and bounds this process's memory.

A store failure in either sink surfaces as :class:`~harness.errors.StoreError` from a later
call or from :meth:`close`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any, Protocol

from harness.errors import StoreError
from harness.replay import worker
from harness.replay.answer import RawAnswer
from harness.replay.assess import Assessor
from harness.replay.request import Sample
from harness.replay.summary import Findings
from harness.replay.writer import BatchWriter

FRAME_ITEMS = 256  # answers per frame to the recording process
PIPE_HIGH_WATER = 1 << 20  # bytes on their way to it before a caller waits


class Sink(Protocol):
    findings: Findings  # what the run's Assessor found (complete once closed)

    async def pair(self, sample: Sample, target: str, first: RawAnswer, second: RawAnswer) -> None:
        """Two answers to one request, sent for noise; the first becomes a result later."""

    async def end_noise(self) -> None:
        """Every noise pair is in: record the first answers now."""

    async def answer(self, sample: Sample, target: str, answer: RawAnswer) -> None:
        """One answer, to be assessed and written."""

    async def failed(self, sample: Sample, target: str, reason: str) -> None:
        """A request that could not be sent (e.g. the signer refused its body)."""

    async def close(self) -> None:
        """Assess and write everything handed over."""


class InlineSink:
    """Assesses in the event loop; rows go to a :class:`BatchWriter` thread."""

    def __init__(self, assessor: Assessor, writer: BatchWriter) -> None:
        self.assessor = assessor
        self.writer = writer
        self.findings = assessor.findings

    async def pair(self, sample: Sample, target: str, first: RawAnswer, second: RawAnswer) -> None:
        self.assessor.pair(sample, target, first, second)

    async def end_noise(self) -> None:
        for row in self.assessor.firsts():
            await self.writer.add(row)

    async def answer(self, sample: Sample, target: str, answer: RawAnswer) -> None:
        await self.writer.add(self.assessor.record(sample, target, answer))

    async def failed(self, sample: Sample, target: str, reason: str) -> None:
        await self.writer.add(self.assessor.record(sample, target, None, reason))

    async def close(self) -> None:
        await self.writer.close()


class _Pipe(asyncio.Protocol):
    """Flow control of the pipe to the recording process, and whether it broke."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.ready.set()
        self.lost = False

    def pause_writing(self) -> None:
        self.ready.clear()

    def resume_writing(self) -> None:
        self.ready.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.ready.set()


class ProcessSink:
    """Hands answers to the recording process (:mod:`harness.replay.worker`).

    :meth:`spawn` it as early as possible (its imports then overlap the caller's own work),
    :meth:`start` it inside the event loop once the run exists, and always :meth:`close` it,
    also after a failure: the process writes what it received, reports and exits when its
    input ends (so also when this process dies). A sink never started is :meth:`abandon`-ed.
    """

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.findings = Findings()
        self._items: list[tuple[Any, ...]] = []
        self._transport: asyncio.WriteTransport | None = None
        self._pipe: _Pipe | None = None

    @classmethod
    def spawn(cls) -> ProcessSink:
        """Start the recording process (it waits for its configuration on stdin)."""
        proc = subprocess.Popen(
            [sys.executable, "-c", "from harness.replay.worker import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Its own session: a terminal's Ctrl-C goes to the replay, which then ends the
            # process's input; the process writes what it received before it exits.
            start_new_session=True,
        )
        return cls(proc)

    async def start(self, config: worker.Config) -> None:
        """Attach the pipe to the running loop and send the configuration."""
        assert self.proc.stdin is not None
        loop = asyncio.get_running_loop()
        transport, pipe = await loop.connect_write_pipe(_Pipe, self.proc.stdin)
        transport.set_write_buffer_limits(high=PIPE_HIGH_WATER)
        self._transport, self._pipe = transport, pipe
        transport.write(worker.frame(config))

    @property
    def buffered(self) -> int:
        """Bytes handed over but not yet taken by the process (its pipe not counted)."""
        return 0 if self._transport is None else self._transport.get_write_buffer_size()

    async def pair(self, sample: Sample, target: str, first: RawAnswer, second: RawAnswer) -> None:
        production = worker.production_item(sample)
        first_item, second_item = worker.answer_item(first), worker.answer_item(second)
        await self._put(("pair", production, target, first_item, second_item))

    async def end_noise(self) -> None:
        await self._put(("firsts",))

    async def answer(self, sample: Sample, target: str, answer: RawAnswer) -> None:
        production = worker.production_item(sample)
        await self._put(("answer", production, target, worker.answer_item(answer)))

    async def failed(self, sample: Sample, target: str, reason: str) -> None:
        await self._put(("failed", worker.production_item(sample), target, reason))

    async def _put(self, item: tuple[Any, ...]) -> None:
        assert self._pipe is not None, "start the sink first"
        self._items.append(item)
        if len(self._items) >= FRAME_ITEMS:
            self._send()
            if not self._pipe.ready.is_set():
                await self._pipe.ready.wait()
        if self._pipe.lost:
            raise StoreError("the replay's recording process stopped")

    def _send(self) -> None:
        assert self._transport is not None and self._pipe is not None
        if self._items and not self._pipe.lost:
            items, self._items = self._items, []
            self._transport.write(worker.frame(items))

    async def close(self) -> None:
        """Send what is left, end the input, and read the process's report into
        :attr:`findings`; :class:`StoreError` when the process failed (the findings then
        hold what it had assessed).
        """
        if self._transport is None or self._pipe is None:
            self.abandon()
            return
        self._send()
        self._transport.close()
        while not self._pipe.lost:  # the transport flushes what it holds, then reports
            self._pipe.ready.clear()
            await self._pipe.ready.wait()
        message = await asyncio.get_running_loop().run_in_executor(None, self._report)
        if not isinstance(message, tuple) or message[0] not in ("done", "error"):
            raise StoreError(
                f"the replay's recording process failed (exit status {self.proc.returncode})"
            )
        worker.add_report(self.findings, message[-1])
        if message[0] == "error":
            raise StoreError(message[1])

    def abandon(self) -> None:
        """Stop a process that was never started (the run failed first, or was too small):
        it holds nothing yet, so it is killed rather than waited for.
        """
        self.proc.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.proc.wait()

    def _report(self) -> Any:
        """The process's one frame on stdout (None if it wrote none), once it has exited."""
        assert self.proc.stdout is not None
        message = next(worker.read_frames(self.proc.stdout), None)
        self.proc.stdout.close()
        self.proc.wait()
        return message
