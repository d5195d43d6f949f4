"""Replay captured (sanitized) exchanges against staging and mocks; see :mod:`.engine`.

Public API::

    from harness.replay import Selection, Settings, replay, check_targets, parse_target
    report = replay(factory, {"staging": "http://127.0.0.1:18081"}, plan=plan,
                    selection=Selection(start=..., end=..., outcome="rejected"),
                    settings=Settings(concurrency=32, rate=0))
    report.run_id, report.summary
"""

from harness.replay.engine import RunReport, Selection, Settings, replay
from harness.replay.request import Sample, build_request
from harness.replay.safety import check_targets, parse_target
from harness.replay.writer import BatchWriter

__all__ = [
    "BatchWriter",
    "RunReport",
    "Sample",
    "Selection",
    "Settings",
    "build_request",
    "check_targets",
    "parse_target",
    "replay",
]
