"""``json_type``: the JSON type of the value (a number where a string is expected).

Gateways that parse JSON strictly refuse ``"amount": 12.50`` when they want
``"amount": "12.50"`` (and the reverse). The codecs keep a JSON number as its text in a
:class:`harness.codecs.JsonNumber` (a ``str``), so the check sees the type; the store keeps
the paths of number leaves in ``notes["request_numbers"]`` for the learner. Learning: a field
whose accepted values are all of one type, with rejected values of the other, is a
candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.codecs import JsonNumber
from harness.errors import ConfigError
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats

TYPES = ("string", "number")


def type_of(value: Any) -> str:
    return (
        "number"
        if isinstance(value, (JsonNumber, int, float)) and not isinstance(value, bool)
        else "string"
    )


class JsonType(Kind):
    name = "json_type"
    params = ("type",)
    analogy = "name"
    keywords = ("x-jsonType",)

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        wanted = params.get("type")
        if wanted not in TYPES:
            raise ConfigError(f"{where}: type must be one of {', '.join(TYPES)}")
        return {"type": wanted}

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return text is None or type_of(text) == params["type"]

    def describe(self, params: Mapping[str, Any]) -> str:
        return f"must be a JSON {params['type']}"

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        # x-jsonType for the harness, whose decoded trees keep a number as its text (a str);
        # "type: string" too, for any validator of the parsed JSON (a "number" type would
        # refuse the harness's own trees, so that one is said by x-jsonType alone).
        if params["type"] == "string":
            return {"type": ["string", "null"], "x-jsonType": "string"}
        return {"x-jsonType": params["type"]}

    def keyword_check(self, keyword: str, value: Any, instance: Any) -> bool:
        return instance is None or isinstance(instance, bool) or type_of(instance) == value

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        if text is None:
            return None
        if params["type"] == "string":
            return str.__str__(text)
        try:
            float(text)
        except ValueError:
            return None
        return JsonNumber(text)

    def family(self, params: Mapping[str, Any]) -> Any:
        return params.get("type")

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        if not stats.types:
            return None
        return stats.types <= {params["type"]}

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        return dict(params) if stats.types == {params["type"]} else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if text is None or not stats.informative or len(stats.types) != 1:
            return
        (accepted,) = stats.types
        if type_of(text) != accepted:
            yield ("json_type", accepted), True

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return 3.0

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [({"type": key[1]}, {}) for key, _ in chosen]


register(JsonType())
