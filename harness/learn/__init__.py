"""Learning the field rules production enforces (pure core: rows in, RuleSpecs out).

:func:`learn` runs the whole pipeline over a window of captured exchanges:

1. :mod:`~harness.learn.table` indexes the rows: accepted values per endpoint and field,
   rejections per signature (endpoint + code + normalized message).
2. :mod:`~harness.learn.induce` finds, per signature, the rules that cover its rejections
   and contradict no accepted exchange (:mod:`~harness.learn.predicates` holds the library).
3. Rules already known (from the store) are reconciled: the same rule learned again keeps
   its key, a refinement (a wider character set, a larger limit still contradicted by no
   accepted exchange) replaces the stored parameters in place, and every known rule is
   checked against the window: support and contradictions per day (an accepted exchange
   that breaks a rule retires it; see :mod:`~harness.learn.policy`).
4. :mod:`~harness.learn.analogy` carries character rules to analogous fields and lists
   the captured requests at risk.

Probing (:mod:`~harness.learn.probe`) is separate: it needs a target to send to.
Nothing here touches the store or the network; ``harness learn`` does that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import Any

from harness.learn import policy
from harness.learn.analogy import Risk, propose
from harness.learn.evaluate import contradicting, evaluate
from harness.learn.induce import Learned, induce, support_evidence
from harness.learn.table import Table
from harness.plan import Plan
from harness.rules import RuleSpec

__all__ = ["LearnResult", "Risk", "family", "learn", "merge_params"]


@dataclass
class LearnResult:
    """What one learning run found: rules to save (new, refined, re-checked), the analogy
    risk list, and counts for the record."""

    rules: list[RuleSpec]
    risks: list[Risk]
    stats: dict[str, Any] = field(default_factory=dict)


def family(rule: RuleSpec) -> tuple[Any, ...]:
    """Rules of one family are versions of one rule: same endpoint, field, kind, code and
    the parameter that names what is measured (encoding, algorithm, decimal bound)."""
    p = rule.params
    if rule.kind in ("max_bytes", "encodable"):
        what: Any = p.get("encoding")
    elif rule.kind == "checksum":
        what = p.get("algorithm")
    elif rule.kind == "decimal":
        what = tuple(sorted(k for k, v in p.items() if v is not None))
    else:
        what = None
    return (rule.endpoint, rule.field, rule.kind, rule.code, rule.source == "analogy", what)


def merge_params(kind: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The parameters of one rule family learned on two windows, combined."""
    if kind in ("forbidden_chars", "allowed_chars"):
        return {
            "classes": sorted(set(old.get("classes", ())) | set(new.get("classes", ()))),
            "chars": "".join(sorted(set(old.get("chars", "")) | set(new.get("chars", "")))),
        }
    if kind in ("max_length", "max_bytes"):
        return {**new, "max": max(int(old["max"]), int(new["max"]))}
    if kind == "enum":
        return {"values": sorted(set(old["values"]) | set(new["values"]))}
    if kind == "decimal":
        out = dict(new)
        if "scale" in new and "scale" in old:
            out["scale"] = max(int(old["scale"]), int(new["scale"]))
        if "max" in new and "max" in old:
            out["max"] = str(max(Decimal(str(old["max"])), Decimal(str(new["max"]))))
        if "min" in new and "min" in old:
            out["min"] = str(min(Decimal(str(old["min"])), Decimal(str(new["min"]))))
        return out
    return dict(new)


def _local_tz() -> tzinfo:
    from harness.timeutil import local_tz

    return local_tz()


def learn(
    rows: Sequence[dict[str, Any]],
    *,
    plan: Plan | None = None,
    verdicts: Mapping[Any, str] | None = None,
    existing: Iterable[RuleSpec] = (),
    analogy: bool = True,
    normalize: Callable[[str | None], str] | None = None,
    tz: tzinfo | None = None,
) -> LearnResult:
    """Learn rules from ``rows`` (see the module docstring).

    ``verdicts``: replay verdicts by exchange id (``production_only``, ``reproducible``,
    ...), recorded in the evidence of the rules they support. ``existing``: rules from the
    store, reconciled rather than duplicated. ``normalize``: the message normalizer
    (default :func:`harness.classify.normalize_message`). ``tz``: the timezone of days in
    evidence (default HARNESS_TZ, else UTC).
    """
    table = Table(rows, normalize=normalize, tz=tz or _local_tz() or UTC)
    known = [r for r in existing]
    learned = _combine(induce(table, plan))
    if verdicts:
        learned = [_with_verdicts(table, item, verdicts) for item in learned]
    specs, touched = _reconcile(table, [item.spec for item in learned], known)
    explained: set[int] = set()
    for item in learned:
        explained.update(item.support)
    risks: list[Risk] = []
    proposals: list[RuleSpec] = []
    if analogy:
        origins = [s for s in specs if s.source == "learned"] + [
            r for r in known if r.source != "analogy" and r.key not in {s.key for s in specs}
        ]
        proposals, risks = propose(table, origins, explained=explained, existing=[*specs, *known])
        more, touched_more = _reconcile(table, proposals, known)
        specs += more
        touched |= touched_more
    specs += _recheck(table, [r for r in known if r.key not in touched and r.state != "retired"])
    stats = {
        "exchanges": len(rows),
        "endpoints": len(table.endpoints),
        "accepted": sum(len(d.accepted) for d in table.endpoints.values()),
        "rejected": sum(len(d.rejected) for d in table.endpoints.values()),
        "signatures": sum(len(d.signatures) for d in table.endpoints.values()),
        "explained": len(explained),
        "learned": sum(1 for s in specs if s.source == "learned"),
        "analogy": len(proposals),
        "at_risk": len({r.exchange_id for r in risks}),
    }
    return LearnResult(specs, risks, stats)


def _combine(items: list[Learned]) -> list[Learned]:
    """One rule learned from two signatures (same key) becomes one, with both supports."""
    by_key: dict[str, Learned] = {}
    for item in items:
        held = by_key.get(item.spec.key)
        if held is None:
            by_key[item.spec.key] = item
            continue
        support = sorted(set(held.support) | set(item.support))
        main = held if len(held.support) >= len(item.support) else item
        other = item if main is held else held
        evidence = dict(main.spec.evidence)
        evidence["other_signatures"] = [
            *evidence.get("other_signatures", []),
            {"code": other.signature[1], "message": other.signature[2]},
        ]
        by_key[item.spec.key] = Learned(
            main.spec.but(support=len(support), evidence=evidence), support, main.signature
        )
    return list(by_key.values())


def _with_verdicts(table: Table, item: Learned, verdicts: Mapping[Any, str]) -> Learned:
    counts: dict[str, int] = {}
    for i in item.support:
        verdict = verdicts.get(table.id(i))
        if verdict:
            counts[verdict] = counts.get(verdict, 0) + 1
    if not counts:
        return item
    evidence = {
        **item.spec.evidence,
        "verdicts": counts,
        "production_only": counts.get("production_only", 0) > 0,
    }
    return Learned(item.spec.but(evidence=evidence), item.support, item.signature)


def _reconcile(
    table: Table, specs: list[RuleSpec], known: list[RuleSpec]
) -> tuple[list[RuleSpec], set[str]]:
    """Fit new rules to the known ones: same key, or a refinement of the same family."""
    by_key = {r.key: r for r in known}
    by_family: dict[tuple[Any, ...], RuleSpec] = {}
    for r in known:
        if r.state != "retired":
            by_family.setdefault(family(r), r)
    out: list[RuleSpec] = []
    touched: set[str] = set()
    for spec in specs:
        if spec.key in by_key:
            touched.add(spec.key)
            out.append(spec)
            continue
        old = by_family.get(family(spec))
        if old is None:
            out.append(spec)
            continue
        merged = spec.but(params=merge_params(spec.kind, old.params, spec.params))
        data = table.endpoints[spec.endpoint]
        if contradicting(table, data, merged):
            out.append(spec)  # the old version is contradicted: the re-check retires it
            continue
        touched.add(old.key)
        result = evaluate(table, merged, _support_pool(table, spec))
        support = result.support if result else []
        evidence = {**spec.evidence, **support_evidence(table, support)}
        if merged.key != old.key:
            evidence["replaces_key"] = old.key
        out.append(merged.but(support=len(support), evidence=evidence, id=old.id))
    return out, touched


def _support_pool(table: Table, spec: RuleSpec) -> list[int]:
    data = table.endpoints[spec.endpoint]
    if spec.code is None:
        return data.rejected
    return [
        i
        for (_, code, message), rows in data.signatures.items()
        if code == spec.code and (not spec.message or message == spec.message)
        for i in rows
    ]


def _recheck(table: Table, rules: list[RuleSpec]) -> list[RuleSpec]:
    """Known rules this run did not learn again: their support and contradictions today."""
    out = []
    explained_pool: dict[str, list[int]] = {}
    for rule in rules:
        pool = None
        if rule.code is None and rule.endpoint in table.endpoints:
            pool = explained_pool.setdefault(rule.endpoint, table.endpoints[rule.endpoint].rejected)
        result = evaluate(table, rule, pool)
        if result is None or not (result.support or result.contradict):
            continue
        evidence = support_evidence(table, result.support, result.contradict)
        support, contradict = len(result.support), len(result.contradict)
        out.append(
            rule.but(
                support=support,
                contradict=contradict,
                evidence=evidence,
                state=policy.decide_state(support, contradict),
            )
        )
    return out
