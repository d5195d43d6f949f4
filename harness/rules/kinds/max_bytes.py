"""``max_bytes``: at most ``max`` bytes in ``encoding`` (GBK, UTF-8, Shift_JIS, ...).

A character the encoding cannot write counts as GB 18030 writes it (4 bytes for most), as
the learner measured it: the value can still be measured, and whether the character is
allowed at all is a character rule's business.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping
from typing import Any

from harness.errors import ConfigError
from harness.rules.lengths import Bound, chinese, japanese, parse_count
from harness.rules.model import as_text
from harness.rules.registry import Key, register
from harness.rules.stats import FieldStats
from harness.text import charclass

_ORDER = {"utf-8": 2}


class MaxBytes(Bound):
    name = "max_bytes"
    params = ("max", "encoding")
    keywords = ("x-maxBytes",)

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        encoding = params.get("encoding", "gbk")
        if not isinstance(encoding, str):
            raise ConfigError(f"{where}: encoding must be a name such as 'gbk'")
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"{where}: unknown encoding {encoding!r}") from None
        return {"max": parse_count(params.get("max"), f"{where}: max"), "encoding": encoding}

    def measure(self, params: Mapping[str, Any], text: str) -> int:
        return charclass.byte_length(text, params.get("encoding", "gbk"))

    def accepted_extreme(self, key: Key, stats: FieldStats) -> int | None:
        return stats.max_bytes.get(key[1])

    def key_of(self, params: Mapping[str, Any]) -> Key:
        return (self.name, params.get("encoding", "gbk"))

    def keys(self, stats: FieldStats, text: str) -> Iterable[Key]:
        for encoding in stats.max_bytes:
            yield (self.name, encoding)

    def params_of(self, key: Key) -> dict[str, Any]:
        return {"encoding": key[1]}

    def measure_order(self, key: Key, stats: FieldStats) -> int:
        if key[1] == "gbk":
            return 0 if chinese(stats) else 1
        if key[1] == "shift_jis":
            return 0 if japanese(stats) else 1
        return _ORDER.get(key[1], 2)

    def describe(self, params: Mapping[str, Any]) -> str:
        return f"at most {params['max']} bytes in {str(params.get('encoding', 'gbk')).upper()}"

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "x-maxBytes": {
                "max": int(params["max"]),
                "encoding": str(params.get("encoding", "gbk")),
            }
        }

    def keyword_check(self, keyword: str, value: Any, instance: Any) -> bool:
        return self.check(self.parse(value, keyword), as_text(instance))

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        if text is None:
            return None
        out = text
        while out and not self.check(params, out):
            out = out[:-1]
        return out


register(MaxBytes())
