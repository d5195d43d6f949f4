"""The recording process: assesses and writes a replay's results beside the process that sends.

    python -c "from harness.replay.worker import main; main()"
    (started by :class:`harness.replay.sinks.ProcessSink`)

Why a process: sending and assessing both want the CPU, and one Python process runs one of
them at a time. Handing each answer to a second process (as the capture hands each exchange
to the ingest process) keeps the sender near the HTTP client's own speed on a machine with
a second core. The process runs the very :class:`~harness.replay.assess.Assessor` that
small replays run in their event loop, on the answers in the order they came back.

Protocol, on stdin: frames of a 4-byte big-endian length and a pickle. The first frame is
the configuration (:class:`Config`); each later one a list of items:

- ``("pair", production, target, first, second)``: two answers to one request (noise);
- ``("firsts",)``: every pair is in; record the kept first answers;
- ``("answer", production, target, answer)`` and ``("failed", production, target, reason)``.

``production`` is :func:`production_item`'s tuple, an answer :func:`answer_item`'s. Rows are
inserted ``Config.batch`` at a time, one transaction each. At the end of its input the
process writes the rest and one frame to stdout, ``("done", report)`` or, when the store
failed, ``("error", one-line reason, report)``, and exits (0 or 1); the report
(:func:`report_of`) holds the tallies and the noise learned. Pickle is safe here: both ends
are this package, on a pipe between a parent and its child.

Lean on purpose: it imports neither the HTTP client nor the command line.
"""

from __future__ import annotations

import gc
import os
import pickle
import struct
import sys
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import IO, Any

from harness.errors import HarnessError
from harness.outcome.verdicts import Answer
from harness.plan import Plan
from harness.replay.answer import RawAnswer
from harness.replay.assess import Assessor
from harness.replay.request import Sample, header
from harness.replay.summary import Findings, Tally
from harness.replay.writer import store_errors
from harness.store import make_engine
from harness.store.replays import insert_results

_LENGTH = struct.Struct(">I")
Item = tuple[Any, ...]


@dataclass(frozen=True)
class Config:
    """What the recording process needs to know before the first answer."""

    db_url: str  # over the pipe, never on the command line (it may hold a password)
    run_id: int
    plan: Plan
    probes: frozenset[str]
    batch: int = 500


def frame(value: Any) -> bytes:
    """One frame: 4-byte big-endian length + pickle."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def read_frames(stream: IO[bytes]) -> Iterator[Any]:
    """Frames from a binary stream until its end; a torn last frame ends it too."""
    while True:
        head = stream.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            return
        (size,) = _LENGTH.unpack(head)
        data = stream.read(size)
        if len(data) < size:
            return
        yield pickle.loads(data)


def production_item(sample: Sample) -> Item:
    """The production side of a sample: what assessing an answer to it reads."""
    p = sample.production
    ctype = header(sample.response_headers, "content-type")
    return (sample.id, sample.endpoint, p.outcome, p.code, p.message, p.status, p.error, ctype,
            sample.response_body)  # fmt: skip


def sample_of(item: Item) -> Sample:
    """A Sample holding :func:`production_item`'s production side only."""
    id_, endpoint, outcome, code, message, status, error, ctype, body = item
    return Sample(
        id=id_,
        endpoint=endpoint,
        method="",
        path="",
        headers=[],
        body=b"",
        production=Answer(outcome, code, message, status, error),
        response_headers=[("Content-Type", ctype)] if ctype is not None else [],
        response_body=body,
    )


def answer_item(raw: RawAnswer) -> Item:
    return (raw.status, raw.headers, raw.body, raw.error, raw.latency_ms, raw.sent_at.timestamp())


def answer_of(item: Item) -> RawAnswer:
    status, headers, body, error, latency_ms, sent_at = item
    return RawAnswer(status, headers, body, error, latency_ms, datetime.fromtimestamp(sent_at, UTC))


def report_of(findings: Findings) -> dict[str, Any]:
    """Findings in plain values, for the pipe back to the replay."""
    return {
        "tallies": [astuple(t) for t in findings.tallies],
        "noise": {endpoint: sorted(paths) for endpoint, paths in findings.noise.items()},
        "unstable": dict(findings.unstable),
    }


def add_report(findings: Findings, report: dict[str, Any]) -> None:
    """Add what :func:`report_of` wrote to ``findings``."""
    findings.tallies.extend(Tally(*t) for t in report["tallies"])
    for endpoint, paths in report["noise"].items():
        findings.noise[endpoint] |= set(paths)
    findings.unstable.update(report["unstable"])


class _Rows:
    """Result rows, inserted ``batch`` at a time, one transaction per batch."""

    def __init__(self, db_url: str, run_id: int, batch: int) -> None:
        self.engine = make_engine(db_url)
        self.run_id = run_id
        self.batch = max(1, batch)
        self.buffer: list[dict[str, Any]] = []

    def add(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["run_id"] = self.run_id
        self.buffer.extend(rows)
        if len(self.buffer) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            rows, self.buffer = self.buffer, []
            with self.engine.begin() as conn:
                insert_results(conn, rows)


def _apply(assessor: Assessor, item: Item) -> list[dict[str, Any]]:
    """One item of a frame: the result rows it makes (none for a noise pair)."""
    kind = item[0]
    if kind == "answer":
        return [assessor.record(sample_of(item[1]), item[2], answer_of(item[3]))]
    if kind == "pair":
        assessor.pair(sample_of(item[1]), item[2], answer_of(item[3]), answer_of(item[4]))
        return []
    if kind == "firsts":
        return assessor.firsts()
    if kind == "failed":
        return [assessor.record(sample_of(item[1]), item[2], None, item[3])]
    raise ValueError(f"unknown item {kind!r} from the replay")


def run(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """The recording process's work (see the module docstring); returns its exit status."""
    frames = read_frames(stdin)
    config = next(frames, None)
    if not isinstance(config, Config):
        return 2  # no configuration: the replay stopped before its run began
    assessor = Assessor(config.plan, config.probes)
    rows = _Rows(config.db_url, config.run_id, config.batch)
    gc.freeze()  # what exists now lives to the end: no full collection needs to walk it
    try:
        with store_errors("write replay results"):
            for items in frames:
                for item in items:
                    rows.add(_apply(assessor, item))
            rows.flush()
        message: Item = ("done", report_of(assessor.findings))
    except HarnessError as exc:
        message = ("error", str(exc), report_of(assessor.findings))
    finally:
        rows.engine.dispose()
    try:
        stdout.write(frame(message))
        stdout.flush()
    except OSError:  # the replay is gone; what was written stays written
        pass
    return 0 if message[0] == "done" else 1


def main() -> None:
    """Entry point of the recording process; exits without the interpreter's slow teardown."""
    os._exit(run(sys.stdin.buffer, sys.stdout.buffer))
