"""What a target answered to one replayed request (or why it did not answer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from harness.timeutil import utcnow


@dataclass
class RawAnswer:
    """What came back (or why nothing did): the HTTP client's output, before any decoding."""

    status: int | None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None
    latency_ms: float | None = None
    sent_at: datetime = field(default_factory=utcnow)
