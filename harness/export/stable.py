"""Rules as they go into files people review in git: the same evidence gives the same bytes.

A store numbers its rules and exchanges, and the learner stamps a rule it carries to an
analogous field with the time of the run. Neither says anything about the rule, and both
change from one store or run to the next, so a diff of two exports would be all noise.
:func:`stable_rules` drops them (rule ids, exchange ids, run times) and sorts the rules, so
a diff of two exports shows only rules that changed. ``harness rules export --provenance``
keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from harness.rules import RuleSpec

TIMES = ("first_seen", "last_seen")


def _is_store_id(key: str) -> bool:
    return key == "id" or key.endswith("_id") or key.endswith("_ids")


def scrub(value: Any) -> Any:
    """A copy of an evidence value without store ids (``id``, ``*_id``, ``*_ids`` keys)."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if not _is_store_id(str(k))}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def stable_rule(rule: RuleSpec) -> RuleSpec:
    """The rule without its store id, its origin's id and the ids in its evidence.

    First/last seen stay only when the rule has evidence of its own (support or
    contradictions): they are then the times of the exchanges that support it; otherwise
    they are the time of the run that proposed the rule.
    """
    evidence = scrub(dict(rule.evidence or {}))
    if not (rule.support or rule.contradict):
        for key in TIMES:
            evidence.pop(key, None)
    return rule.but(id=None, derived_from=None, evidence=evidence)


def order(rule: RuleSpec) -> tuple[str, str, str, str, str]:
    """A total order that does not depend on ids: endpoint, field, kind, params, source."""
    params = json.dumps(rule.params, sort_keys=True, ensure_ascii=False, default=str)
    return (rule.endpoint, rule.field, rule.kind, params, rule.source)


def stable_rules(rules: Iterable[RuleSpec]) -> list[RuleSpec]:
    """:func:`stable_rule` of each rule, in :func:`order`."""
    return sorted((stable_rule(r) for r in rules), key=order)
