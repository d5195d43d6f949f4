"""What the length kinds share: a measure of a value and a bound learned from a bracket.

``max_length`` and ``min_length`` measure characters (code points), ``max_bytes`` bytes in an
encoding. A candidate is a rejected value beyond every accepted one; the rule's limit comes
from the bracket between them (:mod:`harness.rules.bracket`), and the bracket is kept in
the rule's evidence (``bracket: {accepted, rejected}``) so that probing can narrow it and a
later window widen it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.errors import ConfigError
from harness.rules import bracket
from harness.rules.registry import Key, Kind
from harness.rules.stats import FieldStats


def parse_count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: must be a whole number >= 0")
    return value


class Bound(Kind):
    """A limit on a measure of the value; ``upper`` for a maximum."""

    upper = True
    param = "max"
    analogy = "name"

    def measure(self, params: Mapping[str, Any], text: str) -> int:
        return len(text)

    def accepted_extreme(self, key: Key, stats: FieldStats) -> int | None:
        return stats.max_len if self.upper else stats.min_len

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        if text is None:
            return True
        size = self.measure(params, text)
        limit = int(params[self.param])
        return size <= limit if self.upper else size >= limit

    def family(self, params: Mapping[str, Any]) -> Any:
        return params.get("encoding")

    def merge(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        pick = max if self.upper else min
        return {**new, self.param: pick(int(old[self.param]), int(new[self.param]))}

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        extreme = self.accepted_extreme(self.key_of(params), stats)
        if extreme is None or not stats.n:
            return None
        return self._within(params, extreme)

    def _within(self, params: Mapping[str, Any], extreme: int) -> bool:
        limit = int(params[self.param])
        return extreme <= limit if self.upper else extreme >= limit

    def key_of(self, params: Mapping[str, Any]) -> Key:
        return (self.name,)

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        return dict(params) if self.clear(params, stats) else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if not text or not stats.informative or stats.numbers is not None:
            return  # amounts are limited by value (the decimal kind), not by length
        for key in self.keys(stats, text):
            extreme = self.accepted_extreme(key, stats)
            if extreme is None:
                continue
            size = self.measure(self.params_of(key), text)
            if (size > extreme) if self.upper else (size < extreme):
                yield key, size

    def keys(self, stats: FieldStats, text: str) -> Iterable[Key]:
        yield (self.name,)

    def params_of(self, key: Key) -> dict[str, Any]:
        return {}

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return 6.0

    def preference(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> tuple[Any, ...]:
        extreme = self.accepted_extreme(key, stats) or 0
        nearest = min(infos) if self.upper else max(infos)
        gap = abs(nearest - extreme) / max(extreme, 1)
        low, high = (extreme, nearest) if self.upper else (nearest + 1, extreme + 1)
        # Brackets within a factor of about 1.4 of each other count as equally tight; then a
        # bracket holding a conventional limit; then the measure the text suggests.
        return (
            float(round(math.log2(1 + gap) * 2)),
            0 if bracket.conventional_inside(low, high) else 1,
            self.measure_order(key, stats),
        )

    def measure_order(self, key: Key, stats: FieldStats) -> int:
        return 0

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        out = []
        for key, infos in chosen:
            extreme = self.accepted_extreme(key, stats) or 0
            if self.upper:
                nearest = min(infos)
                limit = bracket.upper_limit(extreme, nearest)
            else:
                nearest = max(infos)
                limit = bracket.lower_limit(nearest, extreme)
            params = {**self.params_of(key), self.param: limit}
            out.append((params, {"bracket": {"accepted": extreme, "rejected": nearest}}))
        return out

    def refine(
        self,
        old: Mapping[str, Any],
        old_evidence: Mapping[str, Any],
        new: Mapping[str, Any],
        new_evidence: Mapping[str, Any],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        a, b = old_evidence.get("bracket"), new_evidence.get("bracket")
        if not (isinstance(a, dict) and isinstance(b, dict)):
            return self.merge(old, new), {}
        merged = bracket.widen(a, b, upper=self.upper)
        return {**new, self.param: self.limit_from(merged)}, {"bracket": merged}

    def limit_from(self, bracket_evidence: Mapping[str, Any]) -> int:
        """The limit a bracket allows (after probing or a wider window)."""
        accepted, rejected = int(bracket_evidence["accepted"]), int(bracket_evidence["rejected"])
        if self.upper:
            return bracket.upper_limit(accepted, rejected)
        return bracket.lower_limit(rejected, accepted)
