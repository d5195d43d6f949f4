"""``required``: the field is present and not empty (gateways check presence first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.rules import regex
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats


class Required(Kind):
    name = "required"
    priority = 0
    judges_absent = True
    analogy = "name"

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return text is not None and text.strip() != ""

    def describe(self, params: Mapping[str, Any]) -> str:
        return "is required and must not be empty"

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        # The parent's "required" list is written by the exporter, which sees the tree.
        return {"not": {"type": "null"}, "pattern": regex.not_blank_pattern()}

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        return True if stats.rows and stats.present >= stats.rows else None

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        return {} if stats.always_present else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if (text is None or not text.strip()) and stats.always_present:
            yield ("required",), True

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return 2.0


register(Required())
