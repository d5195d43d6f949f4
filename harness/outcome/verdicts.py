"""Verdicts: what one target's answer to a replayed exchange says about production's.

Pure: takes outcomes, codes and messages, returns a verdict name.

For a target that only *runs* the service (staging):

=====================  =======================================================================
``production_only``    production rejected, the target accepted: a rule only production
                       enforces (the dangerous kind: no test environment would have caught it)
``reproducible``       production rejected and the target rejected the same way: the same
                       code, or an equivalent message (equal after
                       :func:`harness.outcome.signature.normalize_message`), or a message naming the
                       same field label
``different_rejection``  production rejected, the target rejected for another reason
                       (another code, another message, another field)
``consistent``         production accepted and so did the target
``target_only``        production accepted, the target rejected (a stricter staging)
``target_error``       the target could not answer: a transport failure, or a 5xx /
                       upstream_error answer
=====================  =======================================================================

For a target that *imitates* production (a target named ``mock``, or one the plan lists
under ``probe``), replay checks the imitation instead:

=====================  =======================================================================
``mock_agrees``        same outcome as production and, for a rejection, the same code class:
                       the same code, or an equivalent message, or the same field label (see
                       :func:`same_rejection`)
``mock_disagrees``     anything else
``target_error``       as above
=====================  =======================================================================

An exchange production answered with ``upstream_error`` gets no verdict (``None``): there is
nothing to compare with. The names are the :data:`harness.vocab.ReplayVerdict` words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.outcome.signature import normalize_message
from harness.vocab import VERDICTS, ExchangeOutcome, ReplayVerdict

__all__ = [
    "CONSISTENT",
    "DIFFERENT_REJECTION",
    "MOCK_AGREES",
    "MOCK_DISAGREES",
    "MOCK_NAME",
    "PRODUCTION_ONLY",
    "REPRODUCIBLE",
    "TARGET_ERROR",
    "TARGET_ONLY",
    "VERDICTS",
    "Answer",
    "ReplayVerdict",
    "decide",
    "is_probe",
    "named_labels",
    "same_rejection",
]

PRODUCTION_ONLY: ReplayVerdict = "production_only"
REPRODUCIBLE: ReplayVerdict = "reproducible"
DIFFERENT_REJECTION: ReplayVerdict = "different_rejection"
CONSISTENT: ReplayVerdict = "consistent"
TARGET_ONLY: ReplayVerdict = "target_only"
TARGET_ERROR: ReplayVerdict = "target_error"
MOCK_AGREES: ReplayVerdict = "mock_agrees"
MOCK_DISAGREES: ReplayVerdict = "mock_disagrees"

MOCK_NAME = "mock"


@dataclass(frozen=True)
class Answer:
    """One side's answer, as classified: outcome, code, message, HTTP status, transport error."""

    outcome: ExchangeOutcome | None
    code: str | None = None
    message: str | None = None
    status: int | None = None
    error: str | None = None


def is_probe(target: str, probe_targets: Iterable[str] = ()) -> bool:
    """True for targets that imitate production: named ``mock`` or listed under ``probe``."""
    return target == MOCK_NAME or target in set(probe_targets)


def decide(
    production: Answer, target: Answer, *, probe: bool = False, labels: Iterable[str] = ()
) -> ReplayVerdict | None:
    """The verdict for one exchange and one target (see the module docstring).

    ``labels`` are the bank's field labels (the plan's ``labels`` values); two messages
    naming the same label count as the same rejection.
    """
    if target.error or target.outcome == "upstream_error" or (target.status or 0) >= 500:
        return TARGET_ERROR
    if production.outcome not in ("accepted", "rejected"):
        return None
    if probe:
        if production.outcome != target.outcome:
            return MOCK_DISAGREES
        if production.outcome == "accepted" or same_rejection(production, target, labels):
            return MOCK_AGREES
        return MOCK_DISAGREES
    if production.outcome == "accepted":
        return CONSISTENT if target.outcome == "accepted" else TARGET_ONLY
    if target.outcome == "accepted":
        return PRODUCTION_ONLY
    if same_rejection(production, target, labels):
        return REPRODUCIBLE
    return DIFFERENT_REJECTION


def same_rejection(a: Answer, b: Answer, labels: Iterable[str] = ()) -> bool:
    """Two rejections are the same: equal code, equivalent message, or a shared field label.

    Two rejections without codes, one of them without a message either (a bare HTTP 400),
    match on their HTTP status class (4xx with 4xx).
    """
    code_a, code_b = _clean(a.code), _clean(b.code)
    if code_a is not None and code_a == code_b:
        return True
    msg_a, msg_b = _clean(a.message), _clean(b.message)
    if msg_a is not None and msg_b is not None:
        if normalize_message(msg_a) == normalize_message(msg_b):
            return True
        labels = tuple(labels)
        return bool(named_labels(msg_a, labels) & named_labels(msg_b, labels))
    return (
        code_a is None
        and code_b is None
        and a.status is not None
        and b.status is not None
        and a.status // 100 == b.status // 100
    )


def named_labels(message: str, labels: Iterable[str]) -> set[str]:
    """The field labels a message names; a label inside a longer named one does not count."""
    found = {label for label in labels if label and label in message}
    return {
        label for label in found if not any(label != other and label in other for other in found)
    }


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None
