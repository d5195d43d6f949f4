"""``allowed_chars``: every character must be in a named ``set`` or among ``classes`` and
``chars`` (an allow-list, as SEPA's basic Latin or Zengin katakana).

Learning considers two kinds of allow-list for a field whose rejected values hold
characters no accepted value does:

- every registered named set (:mod:`harness.text.charsets`) that holds every accepted character
  of the field: the key names the set; among sets explaining the same rejections, one made
  for the gateway's writing is preferred (the traffic's ``script``: Japanese where it holds
  kana, Chinese where it holds ideographs without kana, else Latin), then the largest (it
  refuses fewest valid values);
- the set the accepted values use, widened to what analogous fields accept: letters, digits
  and ideographs by class, punctuation by character.

A named allow-list is cheap to state (one name), a forbid-list costs a little per unit it
names, an invented allow-list a lot (a list no bank document names) and a little per unit it
allows: so a named allow-list wins when rejected values show three or more different units
outside it, a forbid-list when they show one or two
(:mod:`harness.rules.kinds.forbidden_chars`), and an invented allow-list only when the
rejected values show many different units (five or more) outside a small alphabet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from harness.errors import ConfigError
from harness.rules import charrules, regex, units
from harness.rules.model import as_text
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats
from harness.text import charsets

NAMED_BITS = 10.0  # a kind and one name among a dozen sets
INVENTED_BITS = 14.0  # a kind, a list the bank never named, then UNIT_BITS per unit
UNIT_BITS = 1.5


class AllowedChars(Kind):
    name = "allowed_chars"
    params = ("set", "classes", "chars")
    analogy = "shape"
    keywords = ("x-allowedChars",)

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        out = charrules.parse_chars(params, where, need_some=False)
        if params.get("set") is not None:
            out = {"set": charrules.parse_set(params["set"], where), **out}
        elif not out["classes"] and not out["chars"]:
            raise ConfigError(f"{where}: names no set, no classes and no chars")
        return out

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return text is None or not self.offending(params, text)

    def compile(self, params: Mapping[str, Any]) -> Callable[[str | None], bool]:
        return charrules.memo_check(lambda ch: not charrules.in_params(ch, params))

    def offending(self, params: Mapping[str, Any], text: str) -> list[str]:
        return [ch for ch in text if not charrules.in_params(ch, params)]

    def describe(self, params: Mapping[str, Any]) -> str:
        parts = []
        if params.get("set"):
            parts.append(charsets.get(params["set"]).title)
        if params.get("classes") or params.get("chars"):
            parts.append(units.words(params.get("classes", ()), params.get("chars", "")))
        return "may contain only " + " and ".join(parts)

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        pattern = regex.allowed_pattern(charrules.ranges(params))
        if pattern is not None:
            out["pattern"] = pattern
        out["x-allowedChars"] = {k: params[k] for k in self.params if k in params}
        return out

    def keyword_check(self, keyword: str, value: Any, instance: Any) -> bool:
        return self.check(self.parse(value, keyword), as_text(instance))

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        if text is None:
            return None
        bad = set(self.offending(params, text))
        return charrules.replace_offending(text, bad, lambda t: self.check(params, t))

    def family(self, params: Mapping[str, Any]) -> Any:
        return params.get("set")

    def merge(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(new)
        out["classes"] = sorted(set(old.get("classes", ())) | set(new.get("classes", ())))
        out["chars"] = "".join(sorted(set(old.get("chars", "")) | set(new.get("chars", ""))))
        return out

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        return all(charrules.in_params(ch, params) for ch in stats.chars)

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        return dict(params) if self.clear(params, stats) else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if not text or not stats.informative:
            return
        new = set(text) - stats.chars
        if not new:
            return
        for name in stats.sets:
            out = {ch for ch in new if not charsets.contains(name, ch)}
            if out:
                yield ("allowed_chars", name), units.units(out)
        allowed = stats.units | stats.sibling_units
        outside = {u for u in units.units(new) if u not in allowed}
        if outside:
            yield ("allowed_chars", ""), outside

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        if key[1]:
            return NAMED_BITS
        return INVENTED_BITS + UNIT_BITS * len(stats.units | stats.sibling_units)

    def preference(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> tuple[Any, ...]:
        if key[1]:
            # A set made for the gateway's writing first (Shift_JIS before GBK where
            # traffic holds kana), then the largest (it refuses fewest valid values).
            found = charsets.get(key[1])
            foreign = 1 if found.script and found.script != stats.context.get("script") else 0
            return (1, foreign, -math.log10(max(found.size, 1)), key[1])
        return (2,)

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        out = []
        for key, infos in chosen:
            outside = sorted(set().union(*infos)) if infos else []
            evidence = {"outside_units": outside}
            if key[1]:
                out.append(({"set": key[1], "classes": [], "chars": ""}, evidence))
                continue
            allowed = stats.units | stats.sibling_units
            classes = sorted(u for u in allowed if units.is_class(u))
            chars = "".join(sorted(u for u in allowed if not units.is_class(u)))
            out.append(({"classes": classes, "chars": chars}, evidence))
        return out


register(AllowedChars())
