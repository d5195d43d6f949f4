"""``no_surrounding_space``: no leading or trailing whitespace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.rules import regex
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats


class NoSurroundingSpace(Kind):
    name = "no_surrounding_space"
    analogy = "shape"

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return text is None or text == text.strip()

    def offending(self, params: Mapping[str, Any], text: str) -> list[str]:
        stripped = text.strip()
        if stripped == text:
            return []
        head = text[: len(text) - len(text.lstrip())]
        tail = text[len(text.rstrip()) :] if stripped else ""
        return list(head + tail)

    def describe(self, params: Mapping[str, Any]) -> str:
        return "must not start or end with whitespace"

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"pattern": regex.trimmed_pattern()}

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        return None if text is None else text.strip()

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        return not stats.spaced

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        return None if stats.spaced else {}

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if text and stats.informative and text != text.strip() and not stats.spaced:
            yield ("no_surrounding_space",), True

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return 3.0


register(NoSurroundingSpace())
