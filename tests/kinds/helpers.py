"""Helpers for the per-kind tests: field statistics from a list of accepted values."""

from __future__ import annotations

from collections import Counter

from harness.learn.profile import FieldAccumulator
from harness.rules.stats import FieldStats


def stats_of(values: list[str], rows: int | None = None, **context: object) -> FieldStats:
    """The statistics the learner would keep for ``values`` (accepted, one per row)."""
    acc = FieldAccumulator()
    counts = Counter(values)
    acc.add(dict(counts), sum(n for v, n in counts.items() if v.strip()))
    out = acc.stats(rows if rows is not None else len(values))
    out.context.update(context)
    return out
