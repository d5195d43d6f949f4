"""What the accepted values of one field have in common: the statistics rule kinds learn from.

The learner (:mod:`harness.learn.profile`) builds one :class:`FieldStats` per endpoint and
field by streaming the accepted exchanges in batches; each rule kind reads what it needs to
propose candidates for a rejected value (:meth:`harness.rules.registry.Kind.candidates`) and
to tell whether a known rule holds on the accepted side (:meth:`Kind.clear`). Everything
here is bounded: characters (an alphabet), lengths, a capped value counter and a sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class NumberStats:
    """The accepted values of a field that are all plain decimal numbers (``-12.50``)."""

    min: Decimal
    max: Decimal
    max_scale: int  # most digits after the point
    min_scale: int  # fewest digits after the point
    plus: bool = False  # some value starts with "+"
    minus: bool = False  # some value is negative (or "-0")
    leading_zero: bool = False  # some value has a superfluous leading zero ("012", "00.5")
    trailing_zero: bool = False  # some value's fraction ends in zero ("12.50")
    point: bool = False  # some value has a decimal point


@dataclass
class FieldStats:
    """Statistics of one field's accepted values on one endpoint (see the module docstring).

    ``counts`` is the exact value counter while the field has at most
    :data:`harness.learn.profile.COUNT_CAP` distinct values, else None (the field is open).
    ``units`` are the character units rules talk about (:func:`harness.rules.units.unit`).
    ``context`` holds what the learner knows about the field beyond its own values:
    ``sibling_units`` (units accepted in analogous fields), ``sensitive`` (values are
    pseudonyms), ``free_text`` (people's text: names, addresses, remarks).
    """

    rows: int = 0  # accepted exchanges on the endpoint
    n: int = 0  # accepted occurrences with a value (not null)
    present: int = 0  # accepted exchanges with a non-blank value
    distinct: int = 0  # distinct values (exact while counts is kept, else a lower bound)
    chars: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    min_len: int = 0
    max_len: int = 0
    max_bytes: dict[str, int] = field(default_factory=dict)  # encoding -> largest byte length
    spaced: bool = False  # some value starts or ends with whitespace
    blank: bool = False  # some value is empty or whitespace only
    numbers: NumberStats | None = None
    formats: frozenset[str] = frozenset()  # named formats every value has
    checksums: frozenset[str] = frozenset()  # algorithms every value passes
    patterns: tuple[tuple[str, float], ...] = ()  # regexes every value matches, with cost
    sets: frozenset[str] = frozenset()  # named character sets holding every character
    counts: dict[str, int] | None = None
    sample: tuple[str, ...] = ()
    types: frozenset[str] = frozenset()  # JSON types seen: string, number, boolean, ...
    context: dict[str, object] = field(default_factory=dict)

    MIN_VALUES = 5  # accepted occurrences before the values say anything

    @property
    def informative(self) -> bool:
        return self.n >= self.MIN_VALUES

    @property
    def always_present(self) -> bool:
        return self.rows >= self.MIN_VALUES and self.present >= self.rows

    @property
    def singletons(self) -> int:
        """Values seen exactly once (meaningful while ``counts`` is kept)."""
        return sum(1 for c in (self.counts or {}).values() if c == 1)

    @property
    def sensitive(self) -> bool:
        return bool(self.context.get("sensitive"))

    @property
    def free_text(self) -> bool:
        return bool(self.context.get("free_text"))

    @property
    def sibling_units(self) -> frozenset[str]:
        value = self.context.get("sibling_units")
        return value if isinstance(value, frozenset) else frozenset()
