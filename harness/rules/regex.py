"""Character rules as regular-expression character classes, portable between dialects.

JSON Schema patterns are ECMA-262 regular expressions; Python's :mod:`re` (which the
``jsonschema`` package uses) reads the same text the same way when the class is written
with care:

- ``] \\ ^ - [ |`` are escaped with a backslash (valid in both, also in ECMA's ``u`` mode);
- ``& ~``, the space, control characters and every other non-ASCII BMP character become
  ``\\uXXXX`` (Python warns on ``&&`` and ``~~`` inside classes; ECMA's ``u`` mode refuses
  ``\\&``);
- characters outside the BMP stay literal: the JSON text escapes them, and both Python and
  ECMA's ``u`` mode (which JSON Schema 2020-12 validators use) read them as one character.

A character class named by :mod:`harness.text.charclass` (``ascii_upper``, ``cjk``, ...) becomes
the code-point ranges of every character :func:`harness.text.charclass.classes` puts in it, found
once per process by walking the code space; classes that need too many ranges (GB2312 is
scattered over thousands) are left to the ``x-`` keywords instead of a pattern.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

from harness.text import charclass

MAX_RANGES = 200  # a class needing more ranges than this gets no pattern, only an x- keyword
_BACKSLASHED = set("]\\^-[|")
_LITERAL_PUNCT = set("!\"#$%'()*+,./:;<=>?@_`{}")

Range = tuple[int, int]  # inclusive code points


@lru_cache(maxsize=1)
def _class_ranges() -> dict[str, tuple[Range, ...]]:
    """Every charclass name -> its code-point ranges (surrogates excluded).

    The BMP is walked character by character. Above it, characters are asked in runs that
    share a Unicode category (and, for letters, a script) within a 16-code-point block (the
    astral classes follow those and block-aligned ideograph ranges): about 70,000 questions
    instead of a million.
    tests/test_export_charset.py checks the result against the full walk.
    """
    classify = getattr(charclass.classes, "__wrapped__", charclass.classes)  # spare its cache
    found: dict[str, list[list[int]]] = {}

    def add(names: frozenset[str], lo: int, hi: int) -> None:
        for name in names:
            runs = found.setdefault(name, [])
            if runs and runs[-1][1] == lo - 1:
                runs[-1][1] = hi
            else:
                runs.append([lo, hi])

    for cp in range(0xD800):
        add(classify(chr(cp)), cp, cp)
    for cp in range(0xE000, 0x10000):
        add(classify(chr(cp)), cp, cp)
    start, key = 0x10000, None
    for cp in range(0x10000, 0x110001):
        here = _astral_key(cp) if cp < 0x110000 else None
        if here != key:
            if key is not None:
                add(classify(chr(start)), start, cp - 1)
            start, key = cp, here
    return {name: tuple((a, b) for a, b in runs) for name, runs in found.items()}


def _astral_key(cp: int) -> tuple[object, ...]:
    """What decides an astral character's classes: its 16-code-point block, its category,
    and for letters of a script (not ideographs) the script's classes."""
    ch = chr(cp)
    cat = unicodedata.category(ch)
    if cat[0] == "L" and not charclass.is_cjk(ch):
        return (cp >> 4, cat, charclass.script_classes(ch, cat))
    return (cp >> 4, cat)


def full_walk() -> dict[str, tuple[Range, ...]]:
    """The same table by asking every code point (slow: for the test of the fast walk)."""
    classify = getattr(charclass.classes, "__wrapped__", charclass.classes)
    found: dict[str, list[list[int]]] = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        for name in classify(chr(cp)):
            runs = found.setdefault(name, [])
            if runs and runs[-1][1] == cp - 1:
                runs[-1][1] = cp
            else:
                runs.append([cp, cp])
    return {name: tuple((a, b) for a, b in runs) for name, runs in found.items()}


def known_classes() -> frozenset[str]:
    """The class names :mod:`harness.text.charclass` can return."""
    return frozenset(_class_ranges())


def class_ranges(name: str) -> tuple[Range, ...]:
    """The code-point ranges of one charclass name (empty for an unknown name)."""
    return _class_ranges().get(name, ())


def merge(ranges: Iterable[Range]) -> list[Range]:
    """Sorted, overlapping or adjacent ranges joined."""
    out: list[list[int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def rule_ranges(classes: Iterable[str], chars: str) -> list[Range]:
    """The characters a forbidden/allowed-chars rule names, as merged ranges."""
    ranges: list[Range] = [(ord(c), ord(c)) for c in chars]
    for name in classes:
        ranges.extend(class_ranges(name))
    return merge(ranges)


def atom(cp: int) -> str:
    """One code point written for use inside ``[...]`` in both ECMA-262 and Python."""
    ch = chr(cp)
    if cp < 0x80 and ch.isalnum():
        return ch
    if ch in _BACKSLASHED:
        return "\\" + ch
    if ch in _LITERAL_PUNCT:
        return ch
    if cp <= 0xFFFF:
        return f"\\u{cp:04X}"
    return ch


def class_body(ranges: Iterable[Range]) -> str:
    """The inside of a character class for the given ranges."""
    parts = []
    for a, b in ranges:
        if a == b:
            parts.append(atom(a))
        elif b == a + 1:
            parts.append(atom(a) + atom(b))
        else:
            parts.append(f"{atom(a)}-{atom(b)}")
    return "".join(parts)


def contains(ranges: Iterable[Range], cp: int) -> bool:
    return any(a <= cp <= b for a, b in ranges)


def _end(newline_rejected: bool) -> str:
    # Python's "$" also matches before a final newline; "(?!\n)$" is the end in both dialects.
    return "(?!\\n)$" if newline_rejected else "$"


def forbidden_pattern(ranges: list[Range]) -> str | None:
    """``^[^...]*$``: no character from ``ranges``; None when too large to write down."""
    if not ranges or len(ranges) > MAX_RANGES:
        return None
    return f"^[^{class_body(ranges)}]*{_end(contains(ranges, 0x0A))}"


def allowed_pattern(ranges: list[Range]) -> str | None:
    """``^[...]*$``: only characters from ``ranges``; None when too large to write down."""
    if len(ranges) > MAX_RANGES:
        return None
    if not ranges:
        return "^(?!\\n)$"
    return f"^[{class_body(ranges)}]*{_end(not contains(ranges, 0x0A))}"


@lru_cache(maxsize=1)
def whitespace_body() -> str:
    """The characters ``str.isspace`` calls whitespace, as a class body (dialect-neutral
    stand-in for ``\\s``, whose meaning differs between Python and ECMA-262)."""
    return class_body(merge((cp, cp) for cp in range(0x10000) if chr(cp).isspace()))


def not_blank_pattern() -> str:
    """Some character that is not whitespace (unanchored)."""
    return f"[^{whitespace_body()}]"


def trimmed_pattern() -> str:
    """No leading or trailing whitespace."""
    ws = whitespace_body()
    return f"^(?:[^{ws}](?:[\\s\\S]*[^{ws}])?)?(?!\\n)$"


def full_match(regex: str) -> str:
    """A Python full-match regex as an anchored JSON Schema pattern (``pattern`` searches)."""
    return f"^(?:{regex})(?!\\n)$"


def decimal_pattern(scale: int | None) -> str:
    """Plain decimal notation with at most ``scale`` digits after the point."""
    frac = "[0-9]*" if scale is None else f"[0-9]{{0,{int(scale)}}}"
    lead = "[0-9]+" if scale is None else f"[0-9]{{1,{int(scale)}}}"
    if scale is not None and int(scale) == 0:
        return "^[+\\-]?[0-9]+\\.?(?!\\n)$"
    return f"^[+\\-]?(?:[0-9]+(?:\\.{frac})?|\\.{lead})(?!\\n)$"


def set_ranges(contains: Callable[[str], bool]) -> list[Range]:
    """The ranges of the characters a membership test accepts (the BMP and plane 1; named
    sets hold nothing beyond)."""
    out: list[Range] = []
    for cp in range(0x20000):
        if 0xD800 <= cp <= 0xDFFF or not contains(chr(cp)):
            continue
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out
