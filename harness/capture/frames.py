"""Frames: one finished exchange as primitive values, marshalled for the ingest pipe.

The record is what ``harness.capture.ingest`` reads (see :mod:`harness.capture.record`): the raw request
and response exactly as mitmproxy holds them, bodies cut at the capture limit, nothing
decoded. Building it is the only per-exchange work the proxy process does.
"""

from __future__ import annotations

import marshal
import struct
from typing import Any, cast

from harness.capture.flowrecord import record
from harness.rows import RawExchange

__all__ = ["frame", "record"]

_HEADER = struct.Struct(">I")


def frame(record: RawExchange) -> bytes:
    """One exchange record as a pipe frame: 4-byte big-endian length + marshal."""
    # A typed dict is a plain dict at run time; typeshed's marshal types do not list them.
    data = marshal.dumps(cast(dict[str, Any], record))
    return _HEADER.pack(len(data)) + data
