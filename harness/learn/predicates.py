"""Predicates over field values: what accepted values of a field have in common, and how a
rejected value departs from it.

A :class:`FieldProfile` summarizes the accepted values of one field on one endpoint (a
``{text: occurrences}`` table): the characters and character classes seen, the longest
value in characters and in GBK and UTF-8 bytes, whether any value carries surrounding
whitespace, the value shapes (and the regexes they suggest), the checksums every value
passes, decimal scale and bounds, and the value set when it is small (an enum). Every
property is computed once, lazily, with set operations and C-level string methods over the
*distinct* values, so a field seen a million times costs about as much as its distinct values.

:func:`breaks` then tells, for one rejected value, which candidate rules it breaks that no
accepted value breaks: the raw material of induction (:mod:`harness.learn.induce`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from itertools import islice, repeat
from operator import itemgetter
from typing import Any

from harness import charclass
from harness.rules import CHECKSUMS

# Character classes a forbidden-characters rule may name, with a rough count of the code
# points each holds: the narrower of two rules that explain the same rejections wins.
CLASS_SIZES: dict[str, int] = {
    "ascii_space": 1,
    "fullwidth_space": 1,
    "ascii_digit": 10,
    "ascii_upper": 26,
    "ascii_lower": 26,
    "ascii_punct": 32,
    "control": 65,
    "fullwidth_form": 94,
    "cjk_punct": 100,
    "cjk": 90_000,
    "astral": 1_000_000,
}
RULE_CLASSES = frozenset(CLASS_SIZES)
# Outside an encoding: roughly everything but the characters it holds.
ENCODABLE_SIZES = {"gbk": 1_090_000, "gb2312": 1_105_000}
BYTE_ENCODINGS = ("gbk", "utf-8")
# A field needs this many accepted occurrences before its values say anything.
MIN_VALUES = 5
# Patterns need this many distinct accepted values, enums this many occurrences.
MIN_PATTERN_VALUES = 10
MIN_ENUM_OCCURRENCES = 30
MAX_ENUM_VALUES = 12
MAX_PATTERN_SHAPES = 4
MAX_PATTERN_LENGTH = 64
SAMPLE = 2000  # distinct values a guess (pattern, checksum) is made from
_DECIMAL = re.compile(r"[+-]?\d+(?:\.\d+)?")
_DIGIT_CHARS = frozenset("0123456789")
_DECIMAL_CHARS = frozenset("0123456789.+-")


@lru_cache(maxsize=65536)
def char_classes(ch: str) -> frozenset[str]:
    """The rule classes of one character (a subset of :data:`RULE_CLASSES`)."""
    return charclass.classes(ch) & RULE_CLASSES


def is_symbol(ch: str) -> bool:
    """Punctuation, symbols, spaces, controls: characters a rule may forbid one by one.

    Letters, digits and ideographs are not: the sanitizer pseudonymizes them within their
    class, so only their class carries meaning.
    """
    return not ch.isalnum()


def byte_len(text: str, encoding: str) -> int:
    return charclass.byte_length(text, encoding)


_DOUBLED = str.maketrans("0123456789", "0246813579")  # a digit doubled, digits summed


def fast_luhn(s: str) -> bool:
    """:func:`harness.checksums.is_luhn`, with the loops in C (for millions of values)."""
    if len(s) < 2 or not s.isascii() or not s.isdigit():
        return False
    total = sum(map(int, s[-1::-2])) + sum(map(int, s[-2::-2].translate(_DOUBLED)))
    return total % 10 == 0


def decimal_scale(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


# -- shapes ------------------------------------------------------------------------------


class _ShapeTable(dict[int, str]):
    """``str.translate`` table: digits -> 9, ASCII letters -> A / a, CJK -> 汉, others kept."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        if "0" <= ch <= "9":
            out = "9"
        elif "A" <= ch <= "Z":
            out = "A"
        elif "a" <= ch <= "z":
            out = "a"
        elif charclass.is_cjk(ch):
            out = "汉"
        else:
            out = ch
        self[cp] = out
        return out


_SHAPES = _ShapeTable()


def shape(text: str) -> str:
    """A value's shape: ``13812345678`` -> ``99999999999``, ``B1栋`` -> ``A9汉``."""
    return text.translate(_SHAPES)


_RUN_CLASS = {"9": r"\d", "A": "[A-Z]", "a": "[a-z]"}


def _runs(items: list[str]) -> str:
    """Compress consecutive equal regex atoms: ``\\d\\d\\d`` -> ``\\d{3}``."""
    out: list[str] = []
    i = 0
    while i < len(items):
        j = i
        while j < len(items) and items[j] == items[i]:
            j += 1
        n = j - i
        out.append(items[i] if n == 1 else f"{items[i]}{{{n}}}")
        i = j
    return "".join(out)


def _position_atom(chars: set[str]) -> str:
    digits = any(c.isdigit() for c in chars)
    upper = any("A" <= c <= "Z" for c in chars)
    lower = any("a" <= c <= "z" for c in chars)
    others = sorted(c for c in chars if not (c.isascii() and c.isalnum()))
    if others and (digits or upper or lower):
        return ""  # mixed symbol and alphanumeric positions: no simple atom
    if others:
        return (
            re.escape(others[0])
            if len(others) == 1
            else "[" + "".join(map(re.escape, others)) + "]"
        )
    parts = [p for p, used in (("0-9", digits), ("A-Z", upper), ("a-z", lower)) if used]
    if parts == ["0-9"]:
        return r"\d"
    return "[" + "".join(parts) + "]"


def _digit_set(digits: set[str]) -> str:
    """``{"3", ..., "9"}`` -> ``[3-9]``; one digit stays itself."""
    ds = sorted(int(d) for d in digits)
    if len(ds) == 1:
        return str(ds[0])
    ranges: list[str] = []
    start = prev = ds[0]
    for d in ds[1:] + [None]:  # type: ignore[list-item]
        if d is not None and d == prev + 1:
            prev = d
            continue
        ranges.append(
            str(start)
            if start == prev
            else f"{start}-{prev}"
            if prev > start + 1
            else f"{start}{prev}"
        )
        if d is not None:
            start = prev = d
    return "[" + "".join(ranges) + "]"


def derive_patterns(values: Iterable[str]) -> list[tuple[str, float]]:
    """Regexes the accepted values suggest, simplest first, with their complexity.

    Values of a few shapes give one alternative per shape (``^\\d{11}$``); values of one
    length over ASCII letters and digits give a position-wise regex (``^[0-9A-Z]{18}$``);
    all-digit values of one length also give a variant that fixes the leading digits they
    share (``^1[3-9]\\d{9}$``), used when the plain one does not separate.
    """
    vals = list(values)
    if len(vals) < MIN_PATTERN_VALUES or any(len(v) > MAX_PATTERN_LENGTH or not v for v in vals):
        return []
    out: list[tuple[str, float]] = []
    shapes = {shape(v) for v in vals}
    if any("汉" in s for s in shapes):
        return []
    if len(shapes) <= MAX_PATTERN_SHAPES:
        alts = sorted(_runs([_RUN_CLASS.get(c, re.escape(c)) for c in s]) for s in shapes)
        regex = "^" + (alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")") + "$"
        out.append((regex, 6.0 + 0.1 * (len(alts) - 1)))
    lengths = {len(v) for v in vals}
    if len(lengths) == 1 and all(v.isascii() for v in vals):
        (length,) = lengths
        columns = [set(col) for col in zip(*vals, strict=True)]
        atoms = [_position_atom(col) for col in columns]
        if all(atoms):
            regex = "^" + _runs(atoms) + "$"
            if all(r != regex for r, _ in out):
                out.append((regex, 6.2))
            if all(a == r"\d" for a in atoms):
                lead = [_digit_set(columns[i]) for i in range(min(2, length))]
                if any(len(columns[i]) < 10 for i in range(len(lead))):
                    refined = "^" + "".join(lead) + _runs(atoms[len(lead) :]) + "$"
                    out.append((refined, 6.5))
    return out


# -- decimal bounds ----------------------------------------------------------------------


def nice_bound(lo: Decimal, hi: Decimal, *, upper: bool, scale: int) -> Decimal:
    """A round limit between the data's bounds.

    For an upper limit, ``lo`` is the largest accepted value and ``hi`` the smallest rejected
    one: the result is in ``[lo, hi)``. For a lower limit, ``lo`` is the largest rejected
    value and ``hi`` the smallest accepted one: the result is in ``(lo, hi]``. Among the
    numbers there (on the grid of ``scale`` decimals) it takes one with the fewest significant
    digits, and of those the least restrictive: banks set limits like 5,000,000 and 0.01.
    """
    for sig in range(1, 16):
        best: Decimal | None = None
        limit = 10**sig
        for p in range(-scale, 16):
            unit = Decimal(1).scaleb(p)
            if upper:
                k = (hi / unit).to_integral_value(rounding="ROUND_CEILING") - 1
                if k >= limit:
                    continue
                value = k * unit
                if k >= 1 and value >= lo and (best is None or value > best):
                    best = value
            else:
                k = (lo / unit).to_integral_value(rounding="ROUND_FLOOR") + 1
                if k >= limit or k < 1:
                    continue
                value = k * unit
                if value <= hi and (best is None or value < best):
                    best = value
        if best is not None:
            return best.quantize(Decimal(1).scaleb(-scale)) if scale else best.normalize()
    return lo if upper else hi


def decimal_text(value: Decimal) -> str:
    """A bound as plain text (no exponent)."""
    return format(value, "f")


# -- the accepted side -------------------------------------------------------------------


@dataclass(frozen=True)
class DecimalProfile:
    scale: int
    min: Decimal
    max: Decimal


class FieldProfile:
    """What the accepted values of one field on one endpoint have in common.

    ``counts``: distinct text -> occurrences among accepted exchanges; ``rows``: accepted
    exchanges on the endpoint; ``present``: those carrying a non-empty value of the field.
    """

    def __init__(
        self,
        counts: dict[str, int],
        rows: int,
        present: int | None = None,
        *,
        count_present: Callable[[], int] | None = None,
    ) -> None:
        self.counts = counts
        self.rows = rows
        self._present = present
        self._count_present = count_present
        self.occurrences = sum(counts.values())
        self._verified: dict[str, bool] = {}  # pattern / checksum name -> holds on all values

    @property
    def present(self) -> int:
        """Accepted exchanges carrying a non-empty value (counted on first use)."""
        if self._present is None:
            self._present = self._count_present() if self._count_present else 0
        return self._present

    @property
    def informative(self) -> bool:
        """Enough accepted values to say anything about the field's values."""
        return self.occurrences >= MIN_VALUES

    @property
    def always_present(self) -> bool:
        return self.rows >= MIN_VALUES and self.present >= self.rows

    @cached_property
    def chars(self) -> frozenset[str]:
        return frozenset(set().union(*self.counts)) if self.counts else frozenset()

    @cached_property
    def classes(self) -> frozenset[str]:
        out: set[str] = set()
        for ch in self.chars:
            out |= char_classes(ch)
        return frozenset(out)

    @cached_property
    def max_len(self) -> int:
        return max(map(len, self.counts), default=0)

    @cached_property
    def encodable(self) -> dict[str, bool]:
        return {
            enc: all(charclass.encodable(ch, enc) for ch in self.chars) for enc in ENCODABLE_SIZES
        }

    @cached_property
    def max_bytes(self) -> dict[str, int]:
        out = {}
        for enc in BYTE_ENCODINGS:
            if enc == "utf-8" or self.encodable.get(enc, True):
                # map() keeps the loop in C: a field may hold a million distinct values.
                out[enc] = max(map(len, map(str.encode, self.counts, repeat(enc))), default=0)
            else:
                out[enc] = max((byte_len(v, enc) for v in self.counts), default=0)
        return out

    @cached_property
    def spaced(self) -> bool:
        if not any(ch.isspace() for ch in self.chars):
            return False
        values = list(filter(None, self.counts))
        return any(map(str.isspace, map(itemgetter(0), values))) or any(
            map(str.isspace, map(itemgetter(-1), values))
        )

    @cached_property
    def sample(self) -> list[str]:
        """The first distinct values (dict order: first seen first), for cheap guesses that
        are then verified on every value before they count."""
        return list(islice(self.counts, SAMPLE))

    @cached_property
    def patterns(self) -> list[tuple[str, re.Pattern[str], float]]:
        """Regexes guessed from a sample of the values (verify with :meth:`pattern_holds`)."""
        if len(self.counts) < MIN_PATTERN_VALUES or "cjk" in self.classes:
            return []
        return [(r, re.compile(r), c) for r, c in derive_patterns(self.sample)]

    def pattern_holds(self, regex: str) -> bool:
        """True when every accepted value matches ``regex`` (checked once, in C)."""
        if regex not in self._verified:
            compiled = re.compile(regex)
            self._verified[regex] = all(map(compiled.fullmatch, self.counts))
        return self._verified[regex]

    @cached_property
    def checksum_guesses(self) -> tuple[str, ...]:
        """Algorithms the sampled values all pass (verify with :meth:`checksum_holds`)."""
        if len(self.counts) < MIN_VALUES:
            return ()
        lengths = {len(v) for v in self.sample}
        out = []
        for name, test in CHECKSUMS.items():
            if name in ("gb32100", "gb11643") and lengths != {18}:
                continue
            if name == "luhn" and not self.chars <= _DIGIT_CHARS:
                continue
            if all(map(test, self.sample)):
                out.append(name)
        return tuple(out)

    def checksum_holds(self, name: str) -> bool:
        """True when every accepted value passes the checksum ``name``."""
        if name not in self.checksum_guesses:
            return False
        if name not in self._verified:
            test = fast_luhn if name == "luhn" else CHECKSUMS[name]
            self._verified[name] = all(map(test, self.counts))
        return self._verified[name]

    @property
    def checksums(self) -> tuple[str, ...]:
        """Algorithms every accepted value passes."""
        return tuple(n for n in self.checksum_guesses if self.checksum_holds(n))

    @cached_property
    def decimal(self) -> DecimalProfile | None:
        if not self.informative or not self.chars <= _DECIMAL_CHARS:
            return None
        numbers = []
        for v in self.counts:
            if not _DECIMAL.fullmatch(v):
                return None
            numbers.append(Decimal(v))
        if not numbers:
            return None
        # Identifiers made of digits (mobiles, card numbers, dates) are not amounts: without
        # a decimal point, amounts come in several lengths and never with a leading zero.
        if "." not in self.chars and (
            max(map(len, self.counts)) > 12
            or len({len(v) for v in self.counts}) < 3
            or any(len(v) > 1 and v.lstrip("+-").startswith("0") for v in self.counts)
        ):
            return None
        return DecimalProfile(max(map(decimal_scale, self.counts)), min(numbers), max(numbers))

    @cached_property
    def enum(self) -> tuple[str, ...] | None:
        if len(self.counts) > MAX_ENUM_VALUES or self.occurrences < MIN_ENUM_OCCURRENCES:
            return None
        return tuple(sorted(self.counts))


# -- the rejected side -------------------------------------------------------------------


def breaks(profile: FieldProfile, text: str | None) -> dict[tuple[str, ...], Any]:
    """The candidate rules ``text`` breaks that no accepted value of the field breaks.

    Keys name candidates (``("chars",)``, ``("max_bytes", "gbk")``, ``("pattern", regex)``,
    ...); values carry what the rule's parameters need from this value (characters seen,
    lengths, numbers). ``text`` None means the field is absent.
    """
    out: dict[tuple[str, ...], Any] = {}
    if text is None or not text.strip():
        if profile.always_present:
            out[("required",)] = True
        if text is None or not text:
            return out
    if not profile.informative:
        return out
    if text != text.strip() and not profile.spaced:
        out[("space",)] = True
    value_chars = set(text)
    new_chars = value_chars - profile.chars
    if new_chars:
        absent: set[str] = set()
        for ch in new_chars:
            absent |= char_classes(ch) - profile.classes
        symbols = {ch for ch in new_chars if is_symbol(ch)}
        if absent or symbols:
            out[("chars",)] = (frozenset(absent), frozenset(symbols), frozenset(new_chars))
        for enc, ok in profile.encodable.items():
            if ok and not all(charclass.encodable(ch, enc) for ch in new_chars):
                out[("encodable", enc)] = True
    dec = profile.decimal
    if dec is None:  # numbers are limited by value (below), not by length
        _lengths(profile, text, new_chars, out)
    for regex, compiled, _ in profile.patterns:
        if compiled.fullmatch(text) is None and profile.pattern_holds(regex):
            out[("pattern", regex)] = True
    for name in profile.checksum_guesses:
        if not CHECKSUMS[name](text) and profile.checksum_holds(name):
            out[("checksum", name)] = True
    if dec is not None:
        if not _DECIMAL.fullmatch(text) or decimal_scale(text) > dec.scale:
            out[("decimal", "scale")] = True
        else:
            try:
                number = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the regex admits only numbers
                number = None
            if number is not None and number > dec.max:
                out[("decimal", "max")] = number
            if number is not None and number < dec.min:
                out[("decimal", "min")] = number
    if profile.enum is not None and text not in profile.enum:
        out[("enum",)] = True
    return out


def _lengths(
    profile: FieldProfile, text: str, new_chars: set[str], out: dict[tuple[str, ...], Any]
) -> None:
    if len(text) > profile.max_len:
        out[("max_length",)] = len(text)
    for enc, longest in profile.max_bytes.items():
        if enc != "utf-8" and not profile.encodable.get(enc, True):
            continue
        if enc != "utf-8" and not all(charclass.encodable(ch, enc) for ch in new_chars):
            continue
        size = byte_len(text, enc)
        if size > longest:
            out[("max_bytes", enc)] = size
