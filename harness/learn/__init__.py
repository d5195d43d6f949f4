"""Learning the field rules production enforces (pure core: rows in, RuleSpecs out).

:func:`learn` runs the whole pipeline over a window of captured exchanges:

1. :mod:`~harness.learn.profile` reads the rows once, in batches: per endpoint and field
   the statistics of accepted values, per rejection signature (endpoint + code +
   normalized message) a bounded sample of rejected rows. Memory does not grow with the
   number of exchanges.
2. :mod:`~harness.learn.analogy` marks free-text fields and their siblings (fields of a
   similar shape vouch for each other's characters).
3. :mod:`~harness.learn.induce` explains each signature's rejections with the simplest set
   of consistent rules (minimum description length over every rule kind).
4. :mod:`~harness.learn.evolve` fits them to the rules already known (from the store): the
   same rule learned again keeps its key, a refinement (a bracket moved, a wider character
   set) replaces the stored parameters, and every known rule is checked against the
   window: support and contradictions (an accepted exchange that breaks a rule retires it;
   see :mod:`~harness.rules.policy`).
5. :mod:`~harness.learn.analogy` carries rules to analogous fields and lists the captured
   requests at risk.

Probing (:mod:`~harness.learn.probe`) is separate: it needs a target to send to. Nothing
here touches the store or the network; ``harness learn`` does that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

from harness.learn import evolve
from harness.learn.analogy import Risk, backed, contextualize, propose
from harness.learn.induce import Learned, induce
from harness.learn.profile import Corpus, Rows
from harness.outcome.signature import Signature
from harness.plan import Plan
from harness.rules import RuleSpec, policy
from harness.timeutil import local_tz

__all__ = ["LearnResult", "Risk", "learn"]


@dataclass
class LearnResult:
    """What one learning run found: rules to save (new, refined, re-checked), the analogy
    risk list, and counts for the record."""

    rules: list[RuleSpec]
    risks: list[Risk]
    stats: dict[str, Any] = field(default_factory=dict)


def learn(
    rows: Rows,
    *,
    plan: Plan | None = None,
    verdicts: Mapping[Any, str] | None = None,
    existing: Iterable[RuleSpec] = (),
    analogy: bool = True,
    normalize: Callable[[str | None], str] | None = None,
    tz: tzinfo | None = None,
    progress: Callable[[int], None] | None = None,
) -> LearnResult:
    """Learn rules from ``rows`` (see the module docstring).

    ``rows``: dicts as :mod:`harness.learn.profile` reads them, as a list or as a callable
    that returns a fresh iterator (a store read in batches; it may be called twice).
    ``verdicts``: replay verdicts by exchange id (``production_only``, ``reproducible``,
    ...), recorded in the evidence of the rules they support. ``existing``: rules from the
    store, reconciled rather than duplicated. ``normalize``: the message normalizer
    (default :func:`harness.outcome.signature.normalize_message`). ``tz``: the timezone of days in
    evidence (default HARNESS_TZ, else UTC). ``progress``: called with the number of rows
    read, every :data:`~harness.learn.profile.PROGRESS_EVERY` rows.
    """
    corpus = Corpus(
        rows, plan=plan, normalize=normalize, tz=tz or local_tz() or UTC, progress=progress
    )
    found = contextualize(corpus)
    known = list(existing)
    learned = _combine(induce(corpus, plan))
    if verdicts:
        learned = [_with_verdicts(item, verdicts) for item in learned]
    learned = _back(corpus, learned, known, found)
    specs, touched = evolve.reconcile(corpus, [item.spec for item in learned], known)
    explained: dict[int, set[str]] = {}
    for item in learned:
        for r in item.support:
            explained.setdefault(id(r), set()).add(item.spec.field)
    risks: list[Risk] = []
    proposals: list[RuleSpec] = []
    if analogy:
        keys = {s.key for s in specs}
        origins = [s for s in specs if s.source == "learned"] + [
            r for r in known if r.source != "analogy" and r.key not in keys
        ]
        proposals, risks = propose(
            corpus, origins, explained=explained, existing=[*specs, *known], found=found
        )
        more, touched_more = evolve.reconcile(corpus, proposals, known)
        specs += more
        touched |= touched_more
    specs += evolve.recheck(
        corpus, [r for r in known if r.key not in touched and r.state != "retired"]
    )
    endpoints = corpus.endpoints.values()
    stats = {
        "exchanges": corpus.exchanges,
        "endpoints": len(corpus.endpoints),
        "accepted": sum(d.accepted for d in endpoints),
        "rejected": sum(d.rejected for d in endpoints),
        "signatures": sum(len(d.signatures) for d in endpoints),
        "explained": len(explained),
        "learned": sum(1 for s in specs if s.source == "learned"),
        "analogy": len(proposals),
        "at_risk": len({r.exchange_id for r in risks}),
    }
    return LearnResult(specs, risks, stats)


def _back(
    corpus: Corpus, learned: list[Learned], known: list[RuleSpec], found: dict[Any, Any]
) -> list[Learned]:
    """Suspected rules an analogous confirmed rule predicted need less evidence of their own
    (:func:`harness.learn.analogy.backed`)."""
    confirmed = [item.spec for item in learned if item.spec.state == "confirmed"] + known
    backing = backed(corpus, [item.spec for item in learned], confirmed, found)
    out = []
    for item in learned:
        origin = backing.get(item.spec.key)
        if origin is None:
            out.append(item)
            continue
        spec = item.spec
        data = corpus.endpoints[spec.endpoint]
        sig = Signature(spec.endpoint, spec.code, spec.message or "")
        rate = data.signature_counts.get(sig, spec.support) / max(data.total, 1)
        need = policy.confirm_at(rate, 1)
        evidence = {**spec.evidence, "confirm_at": need, "backed_by": origin.key}
        spec = spec.but(
            evidence=evidence,
            state=policy.decide_state(spec.support, 0, need=need),
            confidence=policy.confidence(spec.support, 0, rate=rate, tests=1),
        )
        out.append(Learned(spec, item.support, item.signature))
    return out


def _combine(items: list[Learned]) -> list[Learned]:
    """One rule learned from two signatures (same key) becomes one, with both supports."""
    by_key: dict[str, Learned] = {}
    for item in items:
        held = by_key.get(item.spec.key)
        if held is None:
            by_key[item.spec.key] = item
            continue
        seen = {id(r) for r in held.support}
        support = held.support + [r for r in item.support if id(r) not in seen]
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


def _with_verdicts(item: Learned, verdicts: Mapping[Any, str]) -> Learned:
    counts: dict[str, int] = {}
    for row in item.support:
        verdict = verdicts.get(row.id)
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
