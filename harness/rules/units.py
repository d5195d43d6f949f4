"""Character units: the granularity at which character rules name characters.

The sanitizer swaps a letter, a digit or an ideograph for another of the same class and
keeps punctuation, symbols and spaces exactly (:mod:`harness.sanitize.pseudonym`). So a captured
letter says only "an ASCII capital letter was here", while a captured ``(`` says "a
half-width parenthesis was here". A unit is therefore either a class name
(:mod:`harness.text.charclass`) or a single character:

- letters, digits and ideographs: their class (``ascii_upper``, ``latin_ext_lower``,
  ``cjk``, ``halfwidth_katakana``, ``kana_small``, ``cyrillic``, ``other_digit``, ...);
  also ``emoji``, ``control``, ``mark`` and ``other``, whose members are too many to list;
- punctuation, symbols and spaces: the character itself (``(``, ``（``, ``&``, ``€``, `` ``).

A character rule's parameters are ``classes`` (class names) and ``chars``: units and more
(a class such as ``ascii_punct`` or ``gb2312`` covers many units at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from harness.text import charclass

# The classes that are units, most specific first.
CLASS_UNITS = (
    "ascii_upper",
    "ascii_lower",
    "ascii_digit",
    "fullwidth_upper",
    "fullwidth_lower",
    "fullwidth_digit",
    "kana_small",
    "halfwidth_katakana",
    "katakana",
    "hiragana",
    "cjk",
    "latin_ext_upper",
    "latin_ext_lower",
    "greek",
    "cyrillic",
    "arabic",
    "hebrew",
    "thai",
    "devanagari",
    "hangul",
    "letter_other",
    "other_digit",
    "emoji",
    "control",
    "mark",
    "other",
)
_CLASS_UNIT_SET = frozenset(CLASS_UNITS)

# Classes that group character units: a rule may name them to cover every member at once.
GROUP_CLASSES = {
    "ascii_punct": "half-width punctuation",
    "fullwidth_punct": "full-width punctuation",
    "cjk_punct": "Chinese punctuation",
    "punct_other": "other punctuation",
    "symbol": "symbols",
    "ascii_space": "ASCII spaces",
    "fullwidth_space": "full-width spaces",
    "space_other": "other spaces",
}


@lru_cache(maxsize=65536)
def unit(ch: str) -> str:
    """The unit of one character (see the module docstring)."""
    found = charclass.classes(ch)
    for name in CLASS_UNITS:
        if name in found:
            return name
    return ch


def units(text: Iterable[str]) -> frozenset[str]:
    """The units of the characters of ``text`` (any iterable of characters)."""
    return frozenset(map(unit, set(text)))


def is_class(u: str) -> bool:
    return u in _CLASS_UNIT_SET


def matches(ch: str, classes: frozenset[str], chars: str) -> bool:
    """True when ``ch`` is among ``chars`` or in one of ``classes``."""
    return ch in chars or not classes.isdisjoint(charclass.classes(ch))


def group_of(u: str) -> str | None:
    """The group class a character unit belongs to (``(`` -> ``ascii_punct``), if any."""
    if is_class(u):
        return None
    for name in GROUP_CLASSES:
        if name in charclass.classes(u):
            return name
    return None


CLASS_WORDS = {
    "ascii_upper": "ASCII capital letters",
    "ascii_lower": "ASCII small letters",
    "ascii_digit": "ASCII digits",
    "ascii_space": "ASCII spaces",
    "ascii_punct": "half-width punctuation",
    "fullwidth_form": "full-width forms",
    "fullwidth_upper": "full-width capital letters",
    "fullwidth_lower": "full-width small letters",
    "fullwidth_digit": "full-width digits",
    "fullwidth_punct": "full-width punctuation",
    "fullwidth_space": "full-width spaces",
    "cjk": "Chinese characters",
    "cjk_punct": "Chinese punctuation",
    "gb2312": "GB2312 characters",
    "gbk": "GBK characters",
    "astral": "characters beyond the BMP (emoji, rare ideographs)",
    "control": "control characters",
    "latin_ext_upper": "accented or other non-ASCII Latin capitals",
    "latin_ext_lower": "accented or other non-ASCII Latin small letters",
    "greek": "Greek letters",
    "cyrillic": "Cyrillic letters",
    "arabic": "Arabic letters",
    "hebrew": "Hebrew letters",
    "thai": "Thai letters",
    "devanagari": "Devanagari letters",
    "hangul": "Hangul",
    "hiragana": "hiragana",
    "katakana": "full-width katakana",
    "halfwidth_katakana": "half-width katakana",
    "kana_small": "small kana",
    "letter_other": "letters of other scripts",
    "other_digit": "digits of other scripts",
    "punct_other": "other punctuation",
    "symbol": "symbols",
    "emoji": "emoji",
    "space_other": "other spaces",
    "mark": "combining marks",
    "other": "unassigned or private-use characters",
}


def words(classes: Iterable[str], chars: str) -> str:
    """Classes and characters as people say them: ``ASCII small letters, '(' ')'``."""
    parts = [CLASS_WORDS.get(c, c.replace("_", " ")) for c in classes]
    if chars:
        parts.append(" ".join(repr(c) for c in chars))
    return ", ".join(parts) if parts else "nothing"
