"""``checksum``: the value carries a valid check character (GB 32100, GB 11643, Luhn, IBAN).

The algorithms are registered in :mod:`harness.text.checksums`. Learning: an algorithm every
accepted value of a field passes (over enough distinct values that chance is ruled out) is a
candidate for the rejected values that fail it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.errors import ConfigError
from harness.rules.model import as_text
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats
from harness.text import checksums


def algorithm(name: str) -> checksums.Checksum:
    found = checksums.CHECKSUMS.get(name)
    if found is None:
        known = ", ".join(sorted(checksums.CHECKSUMS))
        raise ConfigError(f"unknown checksum algorithm {name!r} (known: {known})")
    return found


class Checksum(Kind):
    name = "checksum"
    params = ("algorithm",)
    analogy = "name"
    keywords = ("x-checksum",)

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        name = params.get("algorithm")
        try:
            algorithm(str(name))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        return {"algorithm": name}

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return text is None or algorithm(params["algorithm"]).test(text)

    def describe(self, params: Mapping[str, Any]) -> str:
        return f"must carry a valid {algorithm(params['algorithm']).title} check character"

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"x-checksum": str(params["algorithm"])}

    def keyword_check(self, keyword: str, value: Any, instance: Any) -> bool:
        text = as_text(instance)
        return text is None or algorithm(str(value)).test(text)

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        return None if text is None else algorithm(params["algorithm"]).repair(text)

    def family(self, params: Mapping[str, Any]) -> Any:
        return params.get("algorithm")

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        return True if params["algorithm"] in stats.checksums else None

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        return dict(params) if params["algorithm"] in stats.checksums else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if not text or not stats.informative:
            return
        for name in stats.checksums:
            if not algorithm(name).test(text):
                yield ("checksum", name), True

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return 5.0

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [({"algorithm": key[1]}, {}) for key, _ in chosen]


register(Checksum())
