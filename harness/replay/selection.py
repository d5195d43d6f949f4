"""What a replay selects and how it sends: :class:`Selection` and :class:`Settings`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from harness.errors import ConfigError
from harness.vocab import OUTCOMES as EXCHANGE_OUTCOMES

# What a selection may ask for: one outcome (harness.vocab.OUTCOMES), or all of them.
OUTCOMES: tuple[str, ...] = (*EXCHANGE_OUTCOMES, "all")
RECORDINGS = ("auto", "inline", "process")


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` (1 <= I <= N) from ``--shard`` -> (I, N)."""
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not sep or n < 1 or not 1 <= i <= n:
        raise ConfigError(f"--shard wants I/N with 1 <= I <= N (e.g. 2/4), got {text!r}")
    return i, n


@dataclass(frozen=True)
class Selection:
    """Which exchanges to replay."""

    start: datetime | None = None
    end: datetime | None = None
    outcome: str = "rejected"  # rejected | accepted | upstream_error | all
    endpoint: str | None = None
    code: str | None = None
    limit: int = 1000
    # (I, N): this worker's share, the exchanges of the selection (after ``limit``) whose
    # id is I-1 modulo N. N workers with 1..N split one selection: no overlap, no gap.
    shard: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.shard is not None and not 1 <= self.shard[0] <= self.shard[1]:
            raise ConfigError(f"shard must be I/N with 1 <= I <= N, got {self.shard!r}")
        if self.outcome not in OUTCOMES:
            raise ConfigError(f"unknown outcome {self.outcome!r} (want {', '.join(OUTCOMES)})")
        if self.limit < 1:
            raise ConfigError(f"limit must be at least 1, got {self.limit!r}")

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"] = self.start.isoformat() if self.start else None
        out["end"] = self.end.isoformat() if self.end else None
        out["shard"] = f"{self.shard[0]}/{self.shard[1]}" if self.shard else None
        return out


@dataclass(frozen=True)
class Settings:
    """How to send: concurrency, rate (requests/s, 0 = unlimited), timeout (s), noise sample."""

    concurrency: int = 32
    rate: float = 0.0
    timeout: float = 10.0
    repeat_noise: int = 5
    batch: int = 500
    recording: str = "auto"  # auto | inline | process: where answers are assessed and written

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {self.concurrency!r}")
        if self.rate < 0:
            raise ConfigError(f"rate must not be negative, got {self.rate!r}")
        if self.repeat_noise < 0:
            raise ConfigError(f"repeat-noise must not be negative, got {self.repeat_noise!r}")
        if self.recording not in RECORDINGS:
            raise ConfigError(
                f"unknown recording {self.recording!r} (want {', '.join(RECORDINGS)})"
            )
