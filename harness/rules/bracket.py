"""Bounds from both sides: the limit a length, byte or amount rule enforces, from a bracket.

Production shows a limit only as a *bracket*: the largest value it accepted and the
smallest it rejected for that reason. The limit lies somewhere in between, and a rule that
refuses a valid customer costs more than a rule that misses, so the limit a rule enforces
is the least restrictive the evidence allows:

- an upper limit is just below the smallest rejected value, unless a conventional limit
  (:data:`CONVENTIONAL`: 20, 32, 35, 40, 50, 60, 64, 70, 100, 128, 140, 200, 255, 256 ...)
  lies inside the bracket: then the largest such;
- a lower limit is just above the largest rejected value;
- with no rejected value beyond the accepted ones there is no bound at all (the learner
  proposes none).

For decimal amounts, the limit inside the bracket is the roundest number (fewest significant
digits), and of those the least restrictive: banks set limits like 5,000,000 and 0.01.
Probing narrows a bracket; a later accepted value widens it (:func:`widen`).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

# Limits that interface documents use again and again (characters or bytes).
CONVENTIONAL = (
    8, 10, 12, 16, 20, 24, 30, 32, 35, 40, 50, 60, 64, 70, 80, 100, 120, 128, 140, 150, 200,
    250, 255, 256, 300, 500, 512, 1000, 1024, 2000, 2048, 4000, 4096,
)  # fmt: skip


def upper_limit(largest_accepted: int, smallest_rejected: int) -> int:
    """The largest value an upper limit lets through (see the module docstring)."""
    hi = smallest_rejected - 1
    inside = [c for c in CONVENTIONAL if largest_accepted <= c <= hi]
    return max(inside) if inside else max(hi, largest_accepted)


def lower_limit(largest_rejected: int, smallest_accepted: int) -> int:
    """The smallest value a lower limit lets through."""
    return min(largest_rejected + 1, smallest_accepted)


def conventional_inside(low: int, high: int) -> bool:
    """True when a conventional limit lies in ``[low, high)`` (evidence for a bound there)."""
    return any(low <= c < high for c in CONVENTIONAL)


def nice_decimal(lo: Decimal, hi: Decimal, *, upper: bool, scale: int) -> Decimal:
    """A round limit between the data's bounds.

    For an upper limit, ``lo`` is the largest accepted value and ``hi`` the smallest rejected
    one: the result is in ``[lo, hi)``. For a lower limit, ``lo`` is the largest rejected
    value and ``hi`` the smallest accepted one: the result is in ``(lo, hi]``. Among the
    numbers there (on the grid of ``scale`` decimals) it takes one with the fewest significant
    digits, and of those the least restrictive.
    """
    for sig in range(1, 16):
        best: Decimal | None = None
        limit = 10**sig
        for p in range(-scale, 16):
            unit = Decimal(1).scaleb(p)
            if upper:
                k = (hi / unit).to_integral_value(rounding=ROUND_CEILING) - 1
                if k >= limit:
                    continue
                value = k * unit
                if k >= 1 and value >= lo and (best is None or value > best):
                    best = value
            else:
                k = (lo / unit).to_integral_value(rounding=ROUND_FLOOR) + 1
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


def widen(old: dict[str, Any], new: dict[str, Any], *, upper: bool) -> dict[str, Any]:
    """Two brackets of one bound combined: the most extreme accepted and the tightest rejected.

    Brackets are ``{"accepted": x, "rejected": y}`` (numbers or decimal strings); for an
    upper bound the larger accepted and the smaller rejected win, for a lower one the reverse.
    """

    def num(value: Any) -> Decimal:
        return Decimal(str(value))

    pick_acc = max if upper else min
    pick_rej = min if upper else max
    out = dict(new)
    for key, pick in (("accepted", pick_acc), ("rejected", pick_rej)):
        values = [v for v in (old.get(key), new.get(key)) if v is not None]
        if values:
            out[key] = pick(values, key=num)
    return out
