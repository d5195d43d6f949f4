"""Replay captured (sanitized) exchanges against staging and mocks; see :mod:`.engine`.

Public API::

    from harness.replay import Selection, Settings, replay, check_targets, parse_target
    report = replay(factory, {"staging": "http://127.0.0.1:18081"}, plan=plan,
                    selection=Selection(start=..., end=..., outcome="rejected"),
                    settings=Settings(concurrency=32, rate=0))
    report.run_id, report.summary

The names are imported on first use, so that the recording process
(:mod:`harness.replay.worker`) does not pay for the HTTP client it never uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.replay.engine import RunReport, Selection, Settings, replay
    from harness.replay.request import Sample, build_request
    from harness.replay.safety import check_targets
    from harness.replay.writer import BatchWriter
    from harness.targets.resolve import parse_target

_HOMES = {
    "BatchWriter": "harness.replay.writer",
    "RunReport": "harness.replay.engine",
    "Sample": "harness.replay.request",
    "Selection": "harness.replay.engine",
    "Settings": "harness.replay.engine",
    "build_request": "harness.replay.request",
    "check_targets": "harness.replay.safety",
    "parse_target": "harness.targets.resolve",
    "replay": "harness.replay.engine",
}
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'harness.replay' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
