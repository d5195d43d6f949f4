"""A run's summary: verdict counts per target, and the endpoint x code table.

Stored as ``replay_runs.summary`` (JSON) and rendered by ``harness replay`` and
``harness runs show``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Tally:
    """One result, reduced to what the summary counts."""

    exchange_id: int
    endpoint: str
    outcome: str | None  # production's
    code: str | None  # production's
    target: str
    verdict: str | None


@dataclass
class Findings:
    """What a run has found so far, the summary's raw material: one tally per result, the
    noise paths learned per endpoint, and the endpoints whose repeated answers changed.
    """

    tallies: list[Tally] = field(default_factory=list)
    noise: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    unstable: Counter[str] = field(default_factory=Counter)


def build_summary(
    tallies: Iterable[Tally],
    targets: Mapping[str, str],
    probes: Iterable[str],
    *,
    noise: Mapping[str, Iterable[str]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """JSON-ready summary (see :func:`table_columns` for how the table reads)."""
    probes = set(probes)
    per_target: dict[str, Counter[str]] = {name: Counter() for name in targets}
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    row_exchanges: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    exchanges: set[int] = set()
    for t in tallies:
        verdict = t.verdict or "none"
        per_target.setdefault(t.target, Counter())[verdict] += 1
        key = (t.endpoint, t.outcome or "", t.code or "")
        row = rows.setdefault(
            key,
            {
                "endpoint": t.endpoint,
                "outcome": t.outcome,
                "code": t.code,
                "exchanges": 0,
                "verdicts": {},
            },
        )
        row_exchanges[key].add(t.exchange_id)
        exchanges.add(t.exchange_id)
        counts = row["verdicts"].setdefault(t.target, {})
        counts[verdict] = counts.get(verdict, 0) + 1
    for key, row in rows.items():
        row["exchanges"] = len(row_exchanges[key])
    table = sorted(
        rows.values(),
        key=lambda r: (r["endpoint"], -r["exchanges"], r["outcome"] or "", r["code"] or ""),
    )
    summary: dict[str, Any] = {
        "exchanges": len(exchanges),
        "results": sum(sum(c.values()) for c in per_target.values()),
        "targets": {
            name: {
                "url": targets.get(name),
                "probe": name in probes,
                "verdicts": dict(per_target.get(name, {})),
            }
            for name in per_target
        },
        "table": table,
        "noise": {
            endpoint: sorted(set(paths))
            for endpoint, paths in sorted((noise or {}).items())
            if paths
        },
    }
    summary.update(extra or {})
    return summary


def table_columns(summary: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
    """(heading, target, verdict) columns for the summary table; ``verdict None`` = count of
    all results of that target (the denominator for mock agreement).
    """
    cols: list[tuple[str, str, str | None]] = []
    for name, info in summary.get("targets", {}).items():
        if info.get("probe"):
            cols.append((f"{name} agrees", name, "mock_agrees"))
        else:
            cols.append((f"{name} reproducible", name, "reproducible"))
            cols.append((f"{name} production-only", name, "production_only"))
            seen = info.get("verdicts", {})
            if seen.get("different_rejection"):
                cols.append((f"{name} other rejection", name, "different_rejection"))
            if seen.get("consistent") or seen.get("target_only"):
                cols.append((f"{name} consistent", name, "consistent"))
                cols.append((f"{name} stricter", name, "target_only"))
        cols.append((f"{name} errors", name, "target_error"))
    return cols
