"""The rule model: one field rule as a value.

A :class:`RuleSpec` is a value: learned, carried to an analogous field, exported, loaded
from YAML or enforced by the mock alike. What a rule *means* (its parameters, its check,
its words) belongs to its kind (:mod:`harness.rules.registry`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, replace
from typing import Any

from harness.vocab import RuleSource, RuleState


@dataclass(frozen=True)
class RuleSpec:
    """One field rule. ``field`` is a rule path (list indices as ``[]``).

    ``evidence`` holds what the rule was learned from (JSON-ready): supporting and
    contradicting exchange ids, per-day counts, the bracket of a bound, probe results.
    ``derived_from`` is the id of the rule an analogy rule was carried from.

    Two instructions for saving (:mod:`harness.rules.evolution`), never stored as such:
    ``replaces``, the key of a stored rule this one refines (the same rule with new
    parameters: a moved bound, a wider set), and ``origin``, the key of the rule an analogy
    rule was carried from (resolved to ``derived_from`` once that rule has an id).
    """

    endpoint: str
    field: str
    kind: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    code: str | None = None
    message: str | None = None
    source: RuleSource = "learned"
    state: RuleState = "suspected"
    confidence: float = 0.0
    support: int = 0
    contradict: int = 0
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict)
    derived_from: int | None = None
    id: int | None = None
    replaces: str | None = None
    origin: str | None = None

    @property
    def key(self) -> str:
        """Identity for de-duplication: the same rule learned twice has the same key."""
        return rule_key(self.endpoint, self.field, self.kind, self.params)

    def but(self, **changes: Any) -> RuleSpec:
        return replace(self, **changes)


def rule_key(endpoint: str, field_path: str, kind: str, params: dict[str, Any]) -> str:
    return (
        f"{endpoint}|{field_path}|{kind}|{json.dumps(params, sort_keys=True, ensure_ascii=False)}"
    )


def as_text(value: Any) -> str | None:
    """A leaf as the text a gateway sees; None stays None. A ``str`` is kept as it is (a
    :class:`harness.codecs.JsonNumber` stays one: the ``json_type`` kind sees the type)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
