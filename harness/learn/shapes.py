"""Value shapes and the regular expressions they suggest (for ``pattern`` rules and analogy).

:func:`shape` maps digits to ``9``, ASCII letters to ``A``/``a`` and ideographs to ``汉``;
:func:`derive_patterns` turns the shapes of a sample of accepted values into candidate
regexes, which the learner keeps only when every accepted value matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from harness.text import charclass

MIN_PATTERN_VALUES = 10  # distinct accepted values before a pattern is guessed
MAX_PATTERN_SHAPES = 4
MAX_PATTERN_LENGTH = 64


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


# ASCII digits are written [0-9]: Python's \d also matches full-width and other digits,
# which gateways refuse (and ECMA-262's \d does not match).
DIGIT = "[0-9]"
_RUN_CLASS = {"9": DIGIT, "A": "[A-Z]", "a": "[a-z]"}


def _run_list(items: list[str]) -> list[tuple[str, int]]:
    """Consecutive equal atoms as (atom, count): ``[a, a, -]`` -> ``[(a, 2), (-, 1)]``."""
    out: list[tuple[str, int]] = []
    for item in items:
        if out and out[-1][0] == item:
            out[-1] = (item, out[-1][1] + 1)
        else:
            out.append((item, 1))
    return out


def _skeleton_regex(runs: list[list[tuple[str, int]]]) -> str:
    r"""One alternative for shapes that differ only in run lengths: a run whose length
    varies is written ``+`` (``\d{4}\.\d{2}`` and ``\d{6}\.\d{2}`` -> ``\d+\.\d{2}``), a
    run of one length keeps it."""
    out = []
    for column in zip(*runs, strict=True):
        atom = column[0][0]
        counts = {n for _, n in column}
        if len(counts) > 1:
            out.append(f"{atom}+")
        else:
            n = counts.pop()
            out.append(atom if n == 1 else f"{atom}{{{n}}}")
    return "".join(out)


def _runs(items: list[str]) -> str:
    """Compress consecutive equal regex atoms: ``[0-9][0-9][0-9]`` -> ``[0-9]{3}``."""
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
        return DIGIT
    return "[" + "".join(parts) + "]"


def _digit_set(digits: set[str]) -> str:
    """The digits a position allows: one constant digit stays itself, varying ones allow
    everything from the smallest seen up to 9 (``{"3", "5", "8"}`` -> ``[3-9]``). Gateways
    refuse low leading digits (a mobile starting 12, a code starting 0); a sample shows
    some of the high ones, rarely all."""
    low, high = min(digits), max(digits)
    if low == high:
        return low
    return "9" if low == "9" else ("[89]" if low == "8" else f"[{low}-9]")


def derive_patterns(values: Iterable[str]) -> list[tuple[str, float]]:
    """Regexes the accepted values suggest, simplest first, with their complexity.

    Values of a few shapes give one alternative per shape skeleton (``^[0-9]{11}$``; runs whose
    length varies among the values become ``+``: ``^[0-9]+\\.[0-9]{2}$``); values of one
    length over ASCII letters and digits give a position-wise regex (``^[0-9A-Z]{18}$``);
    all-digit values of one length also give a variant that fixes the leading digits they
    share (``^1[3-9][0-9]{9}$``), used when the plain one does not separate.
    """
    vals = list(values)
    if len(vals) < MIN_PATTERN_VALUES or any(len(v) > MAX_PATTERN_LENGTH or not v for v in vals):
        return []
    out: list[tuple[str, float]] = []
    shapes = {shape(v) for v in vals}
    if any("汉" in s for s in shapes):
        return []
    skeletons: dict[tuple[str, ...], list[list[tuple[str, int]]]] = {}
    for s in shapes:
        runs = _run_list([_RUN_CLASS.get(c, re.escape(c)) for c in s])
        skeletons.setdefault(tuple(atom for atom, _ in runs), []).append(runs)
    if len(skeletons) <= MAX_PATTERN_SHAPES:
        alts = sorted(_skeleton_regex(group) for group in skeletons.values())
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
            if all(a == DIGIT for a in atoms):
                lead = [_digit_set(columns[i]) for i in range(min(2, length))]
                refined = "^" + _runs(lead + atoms[len(lead) :]) + "$"
                if all(r != refined for r, _ in out):
                    out.append((refined, 6.5))
    return out
