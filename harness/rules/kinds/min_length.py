"""``min_length``: at least ``min`` characters (an empty value is ``required``'s business)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.rules.lengths import Bound, parse_count
from harness.rules.registry import register


class MinLength(Bound):
    name = "min_length"
    params = ("min",)
    upper = False
    param = "min"

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        return {"min": parse_count(params.get("min"), f"{where}: min")}

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return not text or len(text) >= int(params["min"])

    def describe(self, params: Mapping[str, Any]) -> str:
        return f"at least {params['min']} characters"

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        # An empty value passes (presence is required's business).
        return {"anyOf": [{"maxLength": 0}, {"minLength": int(params["min"])}]}


register(MinLength())
