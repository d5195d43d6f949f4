"""How much a rule is believed: when its evidence confirms it, and a confidence for people.

A learned rule is consistent by construction: no accepted exchange breaks it. What remains
is chance: could the rejected exchanges that break it have been rejected for other reasons,
the rule's violations falling among them by coincidence? If violating the rule had nothing
to do with rejection, each violating exchange would be rejected with the endpoint's
rejection rate ``r``, so ``m`` violations all rejected happen with probability ``r ** m``.
The learner tries many candidate rules on an endpoint (``tests``), so the chance that some
candidate does so is at most ``tests * r ** m`` (Bonferroni).

A rule is ``confirmed`` when that chance is at most :data:`ALPHA` (1%) and it has at least
:data:`MIN_CONFIRM` supporting rejections (one rejection is never a rule), or when a probe
showed that repairing only its field makes a rejected request pass. A rule that a confirmed
rule on an analogous field predicted was one hypothesis, not one of many: one test. :func:`confirm_at` is the support that takes, kept in
the rule's evidence (``confirm_at``) so that the store can decide again when it adds the
support of a later window: at a 5% rejection rate and 200 candidates, 4 rejections; at 50%,
15. When the rejection message names the field, one field was in question, not all of them.

A rule that an accepted production exchange breaks is ``retired``: production itself shows
that it is not enforced as stated. A manual decision (``harness rules confirm|retire``)
stands over all of this until the next manual decision.
"""

from __future__ import annotations

import math

ALPHA = 0.01
MIN_CONFIRM = 2
MAX_CONFIRM = 30
DEFAULT_CONFIRM = 10  # rules whose evidence predates confirm_at (hand-written, old stores)
NEVER = 1 << 30  # a rule whose own evidence can never confirm it (a carried limit)


def confirm_at(rate: float, tests: int) -> int:
    """Supporting rejections needed to confirm a rule (see the module docstring)."""
    if rate <= 0:
        return MIN_CONFIRM
    if rate >= 1:
        return MAX_CONFIRM
    need = math.log(ALPHA / max(tests, 1)) / math.log(rate)
    return max(MIN_CONFIRM, min(MAX_CONFIRM, math.ceil(need)))


def chance(support: int, rate: float, tests: int) -> float:
    """The chance that ``support`` coincidences explain a rule (capped at 1)."""
    if support <= 0:
        return 1.0
    return min(1.0, max(tests, 1) * max(min(rate, 1.0), 0.0) ** support)


def confidence(
    support: int,
    contradict: int,
    *,
    rate: float = 0.05,
    tests: int = 100,
    probed: bool | None = None,
    prior: float = 0.0,
) -> float:
    """A number in [0, 1]: one minus the chance of coincidence; less when contradicted.

    ``probed``: True when a probe confirmed the rule, False when a probe refuted it, None
    when none was sent. ``prior``: the confidence of a rule without evidence of its own
    (an analogy proposal).
    """
    if probed is False:
        return round(min(prior, 0.2), 3)
    if contradict > 0:
        return round(0.5 * support / (support + contradict) * 0.5, 3)
    if support <= 0:
        return round(0.99 if probed else prior, 3)
    value = max(prior, 1.0 - chance(support, rate, tests))
    if probed:
        value = max(value, 0.99)
    return round(min(value, 0.99), 3)


def decide_state(
    support: int,
    contradict: int,
    *,
    need: int = DEFAULT_CONFIRM,
    probed: bool | None = None,
    manual: str | None = None,
) -> str:
    """``suspected`` | ``confirmed`` | ``retired`` (see the module docstring)."""
    if manual:
        return manual
    if contradict > 0:
        return "retired"
    if probed or support >= need:
        return "confirmed"
    return "suspected"
