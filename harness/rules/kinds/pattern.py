"""``pattern``: the whole value matches ``regex`` (a shape the accepted values share).

Learning: regexes are guessed from the shapes of a sample of accepted values
(:func:`harness.learn.shapes.derive_patterns`) and kept only when every accepted value
matches; a rejected value that does not match is a candidate. A named format
(:mod:`harness.rules.kinds.format`) states the same more cheaply and wins a tie.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from harness.errors import ConfigError
from harness.rules import regex
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats


@lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class Pattern(Kind):
    name = "pattern"
    params = ("regex",)
    analogy = "name"

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        value = params.get("regex")
        if not isinstance(value, str):
            raise ConfigError(f"{where}: regex must be a string")
        try:
            re.compile(value)
        except re.error as exc:
            raise ConfigError(f"{where}: regex does not compile: {exc}") from None
        return {"regex": value}

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return text is None or compiled(params["regex"]).fullmatch(text) is not None

    def describe(self, params: Mapping[str, Any]) -> str:
        return f"must match {params['regex']}"

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"pattern": regex.full_match(str(params["regex"]))}

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        if any(r == params["regex"] for r, _ in stats.patterns):
            return True
        return None

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        test = compiled(params["regex"]).fullmatch
        return dict(params) if stats.sample and all(map(test, stats.sample)) else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if not text or not stats.informative:
            return
        for pattern, _ in stats.patterns:
            if compiled(pattern).fullmatch(text) is None:
                yield ("pattern", pattern), True

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return next((c for r, c in stats.patterns if r == key[1]), 12.0)

    def preference(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> tuple[Any, ...]:
        return (-len(key[1]),)

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [({"regex": key[1]}, {}) for key, _ in chosen]


register(Pattern())
