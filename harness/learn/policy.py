"""How much a rule is believed: confidence and state from its evidence.

A rule is ``confirmed`` when a probe showed that normalizing only its field makes a rejected
request pass, or when at least :data:`CONFIRM_SUPPORT` production rejections support it and
no accepted exchange contradicts it. Ten is small enough that one simulated or real day of
traffic confirms a rule that fires a few times an hour, and large enough that a coincidence
between a handful of rejected values and a rare character is unlikely to survive it.
A rule that an accepted production exchange breaks is ``retired``: production itself shows
it is not enforced as stated. A manual decision (``harness rules confirm|retire``) stands
over all of this until the next manual decision.
"""

from __future__ import annotations

CONFIRM_SUPPORT = 10


def confidence(
    support: int,
    contradict: int,
    *,
    names_field: bool = False,
    probed: bool | None = None,
    prior: float = 0.0,
) -> float:
    """A number in [0, 1]: rises with support, falls with contradictions.

    ``names_field``: the rejection message carries the field's label. ``probed``: True when
    a probe confirmed the rule, False when a probe refuted it, None when none was sent.
    ``prior``: the confidence of a rule without any evidence yet (an analogy proposal).
    """
    if probed is False:
        return round(min(prior, 0.2), 3)
    if support <= 0 and contradict <= 0:
        return round(0.99 if probed else prior, 3)
    if contradict > 0:
        return round(0.5 * support / (support + contradict) * 0.5, 3)
    base = support / (support + 2)  # 1 -> 0.33, 10 -> 0.83, 100 -> 0.98
    value = 0.2 + 0.8 * base if names_field else 0.85 * base
    if probed:
        value = max(value, 0.99)
    return round(min(value, 0.99), 3)


def decide_state(
    support: int,
    contradict: int,
    *,
    probed: bool | None = None,
    manual: str | None = None,
) -> str:
    """``suspected`` | ``confirmed`` | ``retired`` (see the module docstring)."""
    if manual:
        return manual
    if contradict > 0:
        return "retired"
    if probed or support >= CONFIRM_SUPPORT:
        return "confirmed"
    return "suspected"
