"""``max_length``: at most ``max`` characters (code points)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.rules.lengths import Bound, parse_count
from harness.rules.registry import Key, register
from harness.rules.stats import FieldStats


class MaxLength(Bound):
    name = "max_length"
    params = ("max",)

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        return {"max": parse_count(params.get("max"), f"{where}: max")}

    def describe(self, params: Mapping[str, Any]) -> str:
        return f"at most {params['max']} characters"

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"maxLength": int(params["max"])}

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        return None if text is None else text[: int(params["max"])]

    def measure_order(self, key: Key, stats: FieldStats) -> int:
        # On a tie, Chinese text is more often limited in GBK bytes, other text in characters.
        return 1 if "cjk" in stats.classes else 0


register(MaxLength())
