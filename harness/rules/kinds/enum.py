"""``enum``: the value is one of ``values``.

An enum learned from a sample refuses every valid value the sample happened not to show, so
the learner proposes one only when the set looks closed:

- never on a field whose values are pseudonyms (sanitized at capture) or free text;
- at least :data:`MIN_OCCURRENCES` accepted occurrences of at most :data:`MAX_VALUES`
  distinct values;
- the Good-Turing estimate of the probability that the next value is one never seen, the
  share of occurrences that are values seen exactly once, is at most :data:`UNSEEN_MAX`
  (counted as ``(singletons + 1) / (occurrences + 1)``, so that a small sample never looks
  closed by luck): 0.5%, the false-reject budget;
- the rejected values fall outside the set.

Otherwise a format or a character rule explains the rejections, or nothing does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.errors import ConfigError
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats

MIN_OCCURRENCES = 30
MAX_VALUES = 32
UNSEEN_MAX = 0.005


def unseen_mass(stats: FieldStats) -> float:
    """The (add-one) Good-Turing estimate that the next accepted value is a new one."""
    return (stats.singletons + 1) / (stats.n + 1)


def closed(stats: FieldStats) -> bool:
    """True when the accepted values look like a closed set (see the module docstring)."""
    return (
        stats.counts is not None
        and not stats.sensitive
        and not stats.free_text
        and stats.n >= MIN_OCCURRENCES
        and 0 < len(stats.counts) <= MAX_VALUES
        and unseen_mass(stats) <= UNSEEN_MAX
    )


class Enum(Kind):
    name = "enum"
    params = ("values",)
    analogy = "name"

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        values = params.get("values")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: values must be a non-empty list")
        return {"values": sorted({str(v) for v in values})}

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return text is None or text in params["values"]

    def describe(self, params: Mapping[str, Any]) -> str:
        return "must be one of " + ", ".join(map(str, params["values"]))

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"enum": [str(v) for v in params["values"]]}

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        values = params.get("values") or []
        return str(values[0]) if values else None

    def merge(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        return {"values": sorted(set(old["values"]) | set(new["values"]))}

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        if stats.counts is None:
            return None
        return set(stats.counts) <= set(params["values"])

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        return dict(params) if closed(stats) and self.clear(params, stats) else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if text and closed(stats) and text not in (stats.counts or {}):
            yield ("enum",), True

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return 6.0 + 2.0 * len(stats.counts or ())

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        values = sorted(stats.counts or ())
        return [({"values": values}, {"unseen_mass": round(unseen_mass(stats), 5)})]


register(Enum())
