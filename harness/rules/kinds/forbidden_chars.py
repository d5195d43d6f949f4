"""``forbidden_chars``: none of the named characters (``classes``, ``chars``) may appear.

Learning: a rejected value whose characters include units no accepted value of the field
(nor of its analogous fields: ``sibling_units``) holds is a candidate; the rule forbids a
smallest set of those units that every rejected value holds one of (:func:`cover`: a space
beside the letters of "Room 12" is not forbidden when the letters explain it), generalized
where evidence says a bank thinks in classes:

- a letter case: forbidding ASCII capitals also forbids ASCII small letters when no accepted
  value of the field or its siblings holds either ("no English characters"); likewise for
  non-ASCII Latin and full-width letters;
- a punctuation group: three or more characters of one group (half-width punctuation, ...)
  forbid the whole group when no character of it is accepted in the field or its siblings.

Classes that accepted values of the field or its siblings hold are never forbidden.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from harness.rules import charrules, regex, units
from harness.rules.model import as_text
from harness.rules.registry import Key, Kind, register
from harness.rules.stats import FieldStats
from harness.text import charclass

_CASES = (
    ("ascii_upper", "ascii_lower"),
    ("latin_ext_upper", "latin_ext_lower"),
    ("fullwidth_upper", "fullwidth_lower"),
)
GROUP_MIN = 3  # distinct characters of one group before the whole group is forbidden
UNIT_BITS = 3.0  # to name one forbidden unit: a forbid-list of 3 units costs more than a set


def cover(infos: Sequence[frozenset[str]]) -> set[str]:
    """The units to forbid for the rejected values' new units ``infos``.

    A small set that every value holds one of (greedy set cover: the unit most values hold
    first, classes before single characters on a tie), plus the characters of a chosen
    character's group (half-width punctuation, ...) that half or more of the values hold (at
    least two): ``(`` beside ``)``, not the space of "Room 12" beside its letters.
    """
    values = [info for info in infos if info]
    todo = values
    chosen: set[str] = set()
    while todo:
        counts: dict[str, int] = {}
        for info in todo:
            for u in info:
                counts[u] = counts.get(u, 0) + 1
        best = max(counts, key=lambda u: (counts[u], units.is_class(u), u))
        chosen.add(best)
        todo = [info for info in todo if best not in info]
    seen: dict[str, int] = {}
    for info in values:
        for u in info:
            seen[u] = seen.get(u, 0) + 1
    groups = {units.group_of(u) for u in chosen} - {None}
    chosen |= {
        u for u, n in seen.items() if n >= max(2, len(values) / 2) and units.group_of(u) in groups
    }
    return chosen


class ForbiddenChars(Kind):
    name = "forbidden_chars"
    params = ("classes", "chars")
    analogy = "shape"
    keywords = ("x-forbiddenChars",)

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        super().parse(params, where)
        return charrules.parse_chars(params, where, need_some=True)

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        return text is None or not self.offending(params, text)

    def compile(self, params: Mapping[str, Any]) -> Callable[[str | None], bool]:
        classes, chars = charrules.named(params)
        return charrules.memo_check(lambda ch: units.matches(ch, classes, chars))

    def offending(self, params: Mapping[str, Any], text: str) -> list[str]:
        classes, chars = charrules.named(params)
        return [ch for ch in text if units.matches(ch, classes, chars)]

    def describe(self, params: Mapping[str, Any]) -> str:
        return "must not contain " + units.words(params.get("classes", ()), params.get("chars", ""))

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        pattern = regex.forbidden_pattern(charrules.ranges(params))
        if pattern is not None:
            out["pattern"] = pattern
        out["x-forbiddenChars"] = {
            "classes": sorted(params.get("classes", ())),
            "chars": params.get("chars", ""),
        }
        return out

    def keyword_check(self, keyword: str, value: Any, instance: Any) -> bool:
        params = charrules.parse_chars(value, keyword, need_some=False)
        return self.check(params, as_text(instance))

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        if text is None:
            return None
        bad = set(self.offending(params, text))
        return charrules.replace_offending(text, bad, lambda t: self.check(params, t))

    def merge(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "classes": sorted(set(old.get("classes", ())) | set(new.get("classes", ()))),
            "chars": "".join(sorted(set(old.get("chars", "")) | set(new.get("chars", "")))),
        }

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        classes, chars = charrules.named(params)
        return not any(units.matches(ch, classes, chars) for ch in stats.chars)

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        classes = [c for c in params.get("classes", ()) if c not in stats.classes]
        chars = "".join(ch for ch in params.get("chars", "") if ch not in stats.chars)
        return {"classes": classes, "chars": chars} if classes or chars else None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        if not text or not stats.informative:
            return
        new = units.units(text) - stats.units - stats.sibling_units
        if new:
            yield ("forbidden_chars",), new

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        return 4.0 + UNIT_BITS * len(cover(infos))

    def preference(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> tuple[Any, ...]:
        return (0,)  # on a tie with an allow-list: the forbid-list refuses fewer values

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [self.generalize(cover([i for _, infos in chosen for i in infos]), stats)]

    def generalize(
        self, found: set[str], stats: FieldStats
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Parameters for the forbidden units ``found`` (see the module docstring)."""
        seen = stats.units | stats.sibling_units
        classes = {u for u in found if units.is_class(u)}
        chars = {u for u in found if not units.is_class(u)}
        generalized = []
        for a, b in _CASES:
            for x, y in ((a, b), (b, a)):
                if x in classes and y not in classes and y not in seen:
                    classes.add(y)
                    generalized.append(y)
        groups: dict[str, set[str]] = {}
        for ch in chars:
            group = units.group_of(ch)
            if group:
                groups.setdefault(group, set()).add(ch)
        for group, members in groups.items():
            accepted = any(group in charclass.classes(u) for u in seen if not units.is_class(u))
            if len(members) >= GROUP_MIN and not accepted:
                classes.add(group)
                generalized.append(group)
        evidence: dict[str, Any] = {"forbidden_units": sorted(found)}
        if generalized:
            evidence["generalized"] = sorted(generalized)
        params = {"classes": sorted(classes), "chars": "".join(sorted(chars))}
        return params, evidence


register(ForbiddenChars())
