"""Analogy: carry a character rule learned on one field to the fields that look like it.

The second outage of the story came from the business-address field a day after the
company-name field, under the same rule. So for every character rule learned on one field
(forbidden characters, an encoding, surrounding whitespace) this module proposes the same
rule on the *analogous* fields of the gateway, on the same endpoint and on the others:
free-text fields whose values have a similar shape (:class:`Shape`: shares of CJK, digits,
letters and other characters, and typical length).

A proposal keeps only what the target's own accepted traffic does not refute: a class or a
character that production accepted in that field is dropped, and nothing is proposed when
nothing remains. Proposals are ``suspected`` rules with source ``analogy`` and
``derived_from`` the original. The captured requests whose values the proposal would
reject are the *risk list*: the requests that fail the day this field is checked too.
Later production evidence decides: an accepted exchange breaking the rule retires it, a
rejection it alone explains supports it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from itertools import islice
from typing import Any

from harness import charclass
from harness.learn import policy
from harness.learn.evaluate import evaluate
from harness.learn.induce import support_evidence
from harness.learn.predicates import FieldProfile
from harness.learn.table import Table
from harness.rules import RuleSpec, offending

CARRY_KINDS = ("forbidden_chars", "encodable", "no_surrounding_space")
SIMILARITY = 0.4  # proposals need at least this shape similarity
LENGTH_RATIO = 3.5  # typical lengths of analogous fields differ by less than this factor
SHAPE_SAMPLE = 400  # distinct values looked at per field
RISK_LIMIT = 200  # risk entries kept per proposal


@dataclass(frozen=True)
class Shape:
    """What a field's values look like: average shares of character kinds and length."""

    cjk: float
    digit: float
    letter: float
    other: float
    length: float
    distinct: int
    numeric: bool

    @property
    def free_text(self) -> bool:
        """Text people write (names, addresses, remarks), not codes, numbers or enums."""
        return (
            not self.numeric
            and self.length >= 2
            and self.distinct > 12
            and (self.cjk + self.letter) >= 0.3
        )

    def similarity(self, other: Shape) -> float:
        """1 for identical shapes, 0 for fields that are not alike.

        Alike: the same dominant script (CJK or Latin letters) and typical lengths within a
        factor of :data:`LENGTH_RATIO`; then character shares and lengths both count.
        """
        if (self.cjk >= self.letter) != (other.cjk >= other.letter):
            return 0.0
        spread = abs(math.log(max(self.length, 1) / max(other.length, 1)))
        if spread > math.log(LENGTH_RATIO):
            return 0.0
        l1 = (
            abs(self.cjk - other.cjk)
            + abs(self.digit - other.digit)
            + abs(self.letter - other.letter)
            + abs(self.other - other.other)
        )
        return max(0.0, round(1 - l1 / 2 - 0.3 * spread, 3))


def shape_of(values: Iterable[str]) -> Shape | None:
    """The shape of (a sample of) a field's distinct values."""
    sample = [v for v in islice(values, SHAPE_SAMPLE) if v]
    if not sample:
        return None
    sums = [0.0, 0.0, 0.0, 0.0]
    total_len = 0
    numeric = True
    for v in sample:
        n = len(v)
        total_len += n
        cjk = digit = letter = 0
        for ch in v:
            if ch.isdigit():
                digit += 1
            elif charclass.is_cjk(ch):
                cjk += 1
            elif ch.isalpha():
                letter += 1
        sums[0] += cjk / n
        sums[1] += digit / n
        sums[2] += letter / n
        sums[3] += (n - cjk - digit - letter) / n
        if numeric and not v.replace(".", "", 1).lstrip("+-").isdigit():
            numeric = False
    k = len(sample)
    shares = [round(s / k, 3) for s in sums]
    return Shape(shares[0], shares[1], shares[2], shares[3], round(total_len / k, 1), k, numeric)


@dataclass
class Risk:
    """A captured request whose value a carried rule would reject."""

    exchange_id: Any
    endpoint: str
    field: str
    rule_key: str
    outcome: str
    code: str | None
    classes: dict[str, int] = dc_field(default_factory=dict)  # offending characters by class

    def as_dict(self) -> dict[str, Any]:
        return {
            "exchange_id": self.exchange_id,
            "endpoint": self.endpoint,
            "field": self.field,
            "rule_key": self.rule_key,
            "outcome": self.outcome,
            "code": self.code,
            "classes": self.classes,
        }


def describe_offending(rule: RuleSpec, value: str) -> dict[str, int]:
    """The characters of ``value`` the rule refuses, counted by class (never the value)."""
    counts: dict[str, int] = {}
    bad = offending(rule, value)
    if rule.kind == "no_surrounding_space":
        bad = [ch for ch in value if ch.isspace()][:1] or []
    for ch in bad:
        names = sorted(charclass.classes(ch) - {"gb2312", "gbk"}) or ["other"]
        if rule.kind == "encodable":
            names = [f"outside_{rule.params['encoding']}"]
        for name in names[:1]:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _carry(rule: RuleSpec, target: FieldProfile) -> dict[str, Any] | None:
    """The part of ``rule`` the target's accepted values do not refute (None: nothing)."""
    p = rule.params
    if rule.kind == "forbidden_chars":
        classes = [c for c in p.get("classes", ()) if c not in target.classes]
        chars = "".join(ch for ch in p.get("chars", "") if ch not in target.chars)
        if not classes and not chars:
            return None
        return {"classes": classes, "chars": chars}
    if rule.kind == "encodable":
        ok = target.encodable.get(p["encoding"], True) if target.counts else True
        return dict(p) if ok else None
    if rule.kind == "no_surrounding_space":
        return {} if not target.spaced else None
    return None


def _implied(params: dict[str, Any], kind: str, existing: list[RuleSpec]) -> bool:
    """True when a rule already on the target says at least as much."""
    for rule in existing:
        if rule.kind != kind:
            continue
        if kind != "forbidden_chars":
            if rule.params == params:
                return True
            continue
        have = set(rule.params.get("classes", ()))
        chars = set(rule.params.get("chars", ""))
        if set(params["classes"]) <= have and all(
            ch in chars or not have.isdisjoint(charclass.classes(ch)) for ch in params["chars"]
        ):
            return True
    return False


def propose(
    table: Table,
    origins: Iterable[RuleSpec],
    *,
    explained: set[int] | None = None,
    existing: Iterable[RuleSpec] = (),
) -> tuple[list[RuleSpec], list[Risk]]:
    """Analogy rules for ``origins`` on the analogous fields of the table, and the risk list.

    ``explained``: rejected rows already explained by a learned rule (they do not support a
    proposal). ``existing``: rules already known (learned this run or stored), so that a
    field that already has an equal or stronger rule gets no proposal.
    """
    explained = explained or set()
    shapes: dict[tuple[str, str], Shape] = {}
    for name, data in table.endpoints.items():
        fields = set(data.counts)
        for i in data.rejected:
            fields.update(table.fields(i))
        for f in fields:
            values: Iterable[str] = data.counts.get(f, {})
            if not data.counts.get(f):
                values = [v for i in data.rejected for v in table.values(i, f) if v]
            s = shape_of(values)
            if s is not None:
                shapes[(name, f)] = s
    known: dict[tuple[str, str], list[RuleSpec]] = {}
    for rule in existing:
        # Earlier analogy proposals do not block their own renewal (the risk list is redone).
        if rule.state != "retired" and rule.source != "analogy":
            known.setdefault((rule.endpoint, rule.field), []).append(rule)
    # One proposal per target field and kind: what every origin carries there, together.
    best: dict[tuple[str, str, str], tuple[RuleSpec, float, list[dict[str, Any]]]] = {}
    for origin in origins:
        if (
            origin.kind not in CARRY_KINDS
            or origin.state == "retired"
            or origin.source == "analogy"
        ):
            continue
        here = shapes.get((origin.endpoint, origin.field))
        if here is None:
            continue
        for (endpoint, f), there in shapes.items():
            if (endpoint, f) == (origin.endpoint, origin.field) or not there.free_text:
                continue
            sim = here.similarity(there)
            if sim < SIMILARITY:
                continue
            params = _carry(origin, table.endpoints[endpoint].profile(f))
            if params is None:
                continue
            source = {
                "endpoint": origin.endpoint,
                "field": origin.field,
                "id": origin.id,
                "key": origin.key,
                "similarity": sim,
            }
            slot = (endpoint, f, origin.kind + "|" + str(params.get("encoding", "")))
            held = best.get(slot)
            if held is not None:
                spec, top, sources = held
                if origin.kind == "forbidden_chars":
                    params = {
                        "classes": sorted(set(spec.params["classes"]) | set(params["classes"])),
                        "chars": "".join(sorted(set(spec.params["chars"]) | set(params["chars"]))),
                    }
                sources.append(source)
                if sim <= top:
                    best[slot] = (spec.but(params=params), top, sources)
                    continue
            else:
                sources = [source]
            if origin.kind == "forbidden_chars":
                params = {
                    "classes": sorted(params["classes"]),
                    "chars": "".join(sorted(params["chars"])),
                }
            spec = RuleSpec(
                endpoint=endpoint,
                field=f,
                kind=origin.kind,
                params=params,
                source="analogy",
                state="suspected",
                derived_from=origin.id,
                evidence={
                    "derived_from_key": origin.key,
                    "similarity": sim,
                    "shape": there.__dict__,
                    "prior": round(max(origin.confidence, 0.3) * sim * 0.6, 3),
                },
            )
            best[slot] = (spec, sim, sources)
    proposals = []
    for (endpoint, f, _), (spec, _, sources) in best.items():
        if _implied(spec.params, spec.kind, known.get((endpoint, f), [])):
            continue
        evidence = {**spec.evidence, "origins": sorted(sources, key=lambda s: -s["similarity"])[:5]}
        proposals.append(spec.but(evidence=evidence))
    rules: list[RuleSpec] = []
    risks: list[Risk] = []
    for spec in proposals:
        data = table.endpoints[spec.endpoint]
        result = evaluate(table, spec, [i for i in data.rejected if i not in explained])
        support = result.support if result else []
        contradict = result.contradict if result else []
        prior = spec.evidence["prior"]
        evidence = {**spec.evidence, **support_evidence(table, support, contradict)}
        at_risk = table.breaking(spec, [i for i in data.rejected + data.other])
        evidence["at_risk"] = len(at_risk)
        rules.append(
            spec.but(
                support=len(support),
                contradict=len(contradict),
                evidence=evidence,
                state=policy.decide_state(len(support), len(contradict)),
                confidence=policy.confidence(len(support), len(contradict), prior=prior),
            )
        )
        for i in at_risk[:RISK_LIMIT]:
            row = table.rows[i]
            worst = [v for v in table.values(i, spec.field) if v is not None]
            classes: dict[str, int] = {}
            for v in worst:
                for k, n in describe_offending(spec, v).items():
                    classes[k] = classes.get(k, 0) + n
            risks.append(
                Risk(
                    table.id(i),
                    spec.endpoint,
                    spec.field,
                    spec.key,
                    row["outcome"],
                    row.get("code"),
                    classes,
                )
            )
    return rules, risks
