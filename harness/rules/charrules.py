"""What the two character kinds share: parameters, checks, JSON Schema, repairs.

``forbidden_chars`` and ``allowed_chars`` name characters the same way: ``classes``
(:mod:`harness.text.charclass` names: units such as ``ascii_upper`` and groups such as
``ascii_punct`` or ``gb2312``) and ``chars`` (a string of single characters);
``allowed_chars`` may also name a ``set`` (:mod:`harness.text.charsets`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from harness.errors import ConfigError
from harness.rules import regex, units
from harness.text import charclass, charsets


def parse_chars(params: Mapping[str, Any], where: str, *, need_some: bool) -> dict[str, Any]:
    """``classes`` (known class names) and ``chars`` (a string), validated."""
    classes = params.get("classes") or []
    if not isinstance(classes, (list, tuple)) or not all(isinstance(c, str) for c in classes):
        raise ConfigError(f"{where}: classes must be a list of class names")
    known = set(charclass.CLASS_NAMES)
    bad = [c for c in classes if c not in known]
    if bad:
        raise ConfigError(f"{where}: unknown character class {bad[0]!r}")
    chars = params.get("chars") or ""
    if not isinstance(chars, str):
        raise ConfigError(f"{where}: chars must be a string")
    if need_some and not classes and not chars:
        raise ConfigError(f"{where}: names no classes and no chars")
    return {"classes": sorted(set(classes)), "chars": "".join(sorted(set(chars)))}


def parse_set(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: set must be the name of a character set")
    try:
        charsets.get(value)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return value


@lru_cache(maxsize=256)
def _frozen(classes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(classes)


def named(params: Mapping[str, Any]) -> tuple[frozenset[str], str]:
    return _frozen(tuple(params.get("classes", ()))), params.get("chars", "")


def in_params(ch: str, params: Mapping[str, Any]) -> bool:
    """True when ``ch`` is named by ``params`` (its set, classes or chars)."""
    classes, chars = named(params)
    if units.matches(ch, classes, chars):
        return True
    name = params.get("set")
    return isinstance(name, str) and charsets.contains(name, ch)


def ranges(params: Mapping[str, Any]) -> list[regex.Range]:
    """The code-point ranges ``params`` name (its set's too), merged."""
    out = regex.rule_ranges(params.get("classes", ()), params.get("chars", ""))
    name = params.get("set")
    if name:
        out = regex.merge([*out, *_set_ranges(name)])
    return out


@lru_cache(maxsize=32)
def _set_ranges(name: str) -> tuple[regex.Range, ...]:
    return tuple(regex.set_ranges(charsets.get(name).contains))


MEMO_LIMIT = 65_536  # characters remembered per rule before the memo starts afresh


def memo_check(is_bad: Callable[[str], bool]) -> Callable[[str | None], bool]:
    """A character rule's check over many values: each distinct character is judged once
    (``is_bad``), then values are settled with set operations in C."""
    good: set[str] = set()
    bad: set[str] = set()

    def passes(text: str | None) -> bool:
        if text is None:
            return True
        chars = set(text)
        if chars <= good:
            return True
        if not chars.isdisjoint(bad):
            return False
        if len(good) + len(bad) > MEMO_LIMIT:
            good.clear()
            bad.clear()
        for ch in chars - good:
            if is_bad(ch):
                bad.add(ch)
                return False
            good.add(ch)
        return True

    return passes


def replace_offending(text: str, bad: set[str], passes: Any) -> str | None:
    """``text`` with each offending character made full-width (``(`` -> ``（``) when that
    passes, else dropped; None when nothing is left."""
    widened = "".join(charclass.to_fullwidth(ch) if ch in bad else ch for ch in text)
    if passes(widened):
        return widened
    dropped = "".join(ch for ch in text if ch not in bad)
    return dropped or None
