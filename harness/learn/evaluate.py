"""Checking a known rule against a window of traffic: what supports it, what contradicts it.

Used for rules already in the store (learned on earlier days, carried by analogy, written
by hand) and for analogy proposals. A *contradiction* is an accepted exchange on the rule's
endpoint whose value breaks the rule: production took what the rule says it refuses. The
accepted side is checked on the field's distinct values, with shortcuts that settle most
rules from the field profile alone (no accepted character is forbidden, the longest accepted
value is within the limit, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from harness.learn.predicates import FieldProfile, char_classes
from harness.learn.table import EndpointData, Table
from harness.rules import RuleSpec, check


@dataclass
class Evaluation:
    """Rows (table indices) that support and that contradict a rule in this window."""

    support: list[int]
    contradict: list[int]


def _clear(profile: FieldProfile, rule: RuleSpec) -> bool | None:
    """True when no accepted value can break ``rule``; None when values must be checked."""
    p = rule.params
    kind = rule.kind
    if not profile.counts:
        return True
    if kind == "forbidden_chars":
        classes = set(p.get("classes", ()))
        chars = p.get("chars", "")
        return (
            not any(ch in chars or not classes.isdisjoint(char_classes(ch)) for ch in profile.chars)
            or None
        )
    if kind == "max_length":
        return profile.max_len <= int(p["max"]) or None
    if kind == "max_bytes":
        enc = p.get("encoding", "gbk")
        if enc in profile.max_bytes and profile.encodable.get(enc, True):
            return profile.max_bytes[enc] <= int(p["max"]) or None
        return None
    if kind == "encodable":
        enc = p["encoding"]
        if enc in profile.encodable:
            return profile.encodable[enc] or None
        return None
    if kind == "no_surrounding_space":
        return not profile.spaced or None
    if kind == "enum":
        return set(profile.counts) <= set(p["values"]) or None
    if kind == "decimal" and profile.decimal is not None:
        dec = profile.decimal
        if p.get("scale") is not None and dec.scale > int(p["scale"]):
            return None
        if p.get("max") is not None and dec.max > Decimal(str(p["max"])):
            return None
        if p.get("min") is not None and dec.min < Decimal(str(p["min"])):
            return None
        return True
    return None


def contradicting(table: Table, data: EndpointData, rule: RuleSpec) -> list[int]:
    """Accepted rows on the rule's endpoint whose value breaks the rule."""
    f = rule.field
    if rule.kind == "required":
        if data.present(f) >= len(data.accepted):
            return []
        return [i for i in data.accepted if not any(v and v.strip() for v in table.values(i, f))]
    profile = data.profile(f)
    if _clear(profile, rule):
        return []
    bad = {v for v in profile.counts if not check(rule, v)}
    if not bad:
        return []
    return [i for i in data.accepted if any(v in bad for v in table.values(i, f))]


def evaluate(
    table: Table, rule: RuleSpec, candidates: Iterable[int] | None = None
) -> Evaluation | None:
    """Support and contradictions of ``rule`` in this window; None when the window holds no
    exchange of its endpoint.

    ``candidates``: the rejected rows that may support it (default: the rejections of the
    rule's signature when it has a code, else every rejection on its endpoint).
    """
    data = table.endpoints.get(rule.endpoint)
    if data is None:
        return None
    if candidates is None:
        if rule.code is not None:
            candidates = [
                i
                for (_, code, message), rows in data.signatures.items()
                if code == rule.code and (not rule.message or message == rule.message)
                for i in rows
            ]
        else:
            candidates = data.rejected
    return Evaluation(table.breaking(rule, candidates), contradicting(table, data, rule))
