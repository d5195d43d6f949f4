"""``format``: the whole value has a named format (``uuid``, ``date``, ``bic``, ...).

The formats are registered in :mod:`harness.text.formats`. Learning: every format that all
accepted values of a field have is a candidate for the rejected values that lack it; among
formats explaining the same rejections, the most general wins (a version-4 lower-case UUID
field whose rejections are not UUIDs at all learns "a UUID").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.errors import ConfigError
from harness.rules import regex
from harness.rules.model import as_text
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats
from harness.text import formats


class Format(Kind):
    name = "format"
    params = ("format",)
    analogy = "name"
    keywords = ("x-format",)

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        name = params.get("format")
        if not isinstance(name, str):
            raise ConfigError(f"{where}: format must be the name of a format")
        try:
            formats.get(name)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        return {"format": name}

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return text is None or formats.get(params["format"]).test(text)

    def describe(self, params: Mapping[str, Any]) -> str:
        return "must be " + formats.get(params["format"]).title

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        fmt = formats.get(params["format"])
        out: dict[str, Any] = {}
        if fmt.regex:
            out["pattern"] = regex.full_match(fmt.regex)
        if not fmt.exact or not fmt.regex:
            out["x-format"] = fmt.name
        return out

    def keyword_check(self, keyword: str, value: Any, instance: Any) -> bool:
        text = as_text(instance)
        return text is None or formats.get(str(value)).test(text)

    def family(self, params: Mapping[str, Any]) -> Any:
        return params.get("format")

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        return True if params["format"] in stats.formats else None

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        return dict(params) if params["format"] in stats.formats else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if not text or not stats.informative:
            return
        for name in stats.formats:
            if not formats.get(name).test(text):
                yield ("format", name), True

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return 5.0

    def preference(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> tuple[Any, ...]:
        return (-formats.get(key[1]).generality, key[1])

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [({"format": key[1]}, {}) for key, _ in chosen]


register(Format())
