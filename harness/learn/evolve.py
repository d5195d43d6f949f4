"""Rule evolution: new rules fitted to the known ones, and known rules checked again.

A rule learned again (same key) keeps its identity. A rule of the same *family* as a known
one (same endpoint, field, kind, code, source, and what its kind says is measured: an
encoding, an algorithm, a format) refines it: the kind combines both versions
(:meth:`harness.rules.registry.Kind.refine`: a bound's bracket widened by both windows, a
character set extended) and the stored rule is updated in place (``RuleSpec.replaces``;
:mod:`harness.rules.evolution`), unless an accepted exchange of this window contradicts the combination:
then the new version stands alone and the re-check retires the old one. Every known rule
this window did not learn again is checked against it: support and contradictions.
"""

from __future__ import annotations

from typing import Any

from harness.learn.evaluate import evaluate
from harness.learn.induce import support_evidence
from harness.learn.profile import Corpus
from harness.rules import RuleSpec, kind_of, policy


def family(rule: RuleSpec) -> tuple[Any, ...]:
    """Rules of one family are versions of one rule."""
    return (
        rule.endpoint,
        rule.field,
        rule.kind,
        rule.code,
        rule.source == "analogy",
        kind_of(rule).family(rule.params),
    )


def reconcile(
    corpus: Corpus, specs: list[RuleSpec], known: list[RuleSpec]
) -> tuple[list[RuleSpec], set[str]]:
    """Fit new rules to the known ones: (rules to save, keys of known rules they cover)."""
    by_key = {r.key: r for r in known}
    by_family: dict[tuple[Any, ...], RuleSpec] = {}
    for r in known:
        if r.state != "retired":
            by_family.setdefault(family(r), r)
    out: list[RuleSpec] = []
    touched: set[str] = set()
    merged_specs: list[tuple[RuleSpec, RuleSpec, RuleSpec]] = []
    for spec in specs:
        if spec.key in by_key:
            touched.add(spec.key)
            out.append(spec)
            continue
        old = by_family.get(family(spec))
        if old is None:
            out.append(spec)
            continue
        params, evidence = kind_of(spec).refine(
            old.params, old.evidence, spec.params, spec.evidence
        )
        merged = spec.but(params=params, evidence={**spec.evidence, **evidence})
        merged_specs.append((spec, old, merged))
    results = evaluate(corpus, [m for _, _, m in merged_specs])
    for spec, old, merged in merged_specs:
        result = results.get(merged.key)
        if result is None or result.contradict:
            out.append(spec)  # the old version is contradicted: the re-check retires it
            continue
        touched.add(old.key)
        support = result.support or []
        evidence = {**merged.evidence, **support_evidence(corpus, support)}
        replaces = old.key if merged.key != old.key else None
        out.append(
            merged.but(support=len(support), evidence=evidence, id=old.id, replaces=replaces)
        )
    return out, touched


def recheck(corpus: Corpus, rules: list[RuleSpec]) -> list[RuleSpec]:
    """Known rules this run did not learn again: their support and contradictions today."""
    results = evaluate(corpus, rules)
    out = []
    for rule in rules:
        result = results.get(rule.key)
        if result is None or not (result.support or result.contradict):
            continue
        evidence = support_evidence(corpus, result.support, result.contradict)
        support, contradict = len(result.support), len(result.contradict)
        need = int(rule.evidence.get("confirm_at") or policy.DEFAULT_CONFIRM)
        out.append(
            rule.but(
                support=support,
                contradict=contradict,
                evidence={**evidence, "confirm_at": need},
                state=policy.decide_state(support, contradict, need=need),
            )
        )
    return out
