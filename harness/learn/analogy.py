"""Analogy: carry a rule learned on one field to the fields that look like it.

The second outage of the story came from the business-address field a day after the
company-name field, under the same rule. So for every rule learned on one field this module
proposes the same rule on the *analogous* fields of the gateway, on the same endpoint and
on the others:

- character rules (forbidden or allowed characters, surrounding whitespace) go to free-text
  fields whose values have a similar shape (:class:`Shape`: shares of CJK, digits, letters
  and other characters, and typical length), whatever their names;
- every other rule (formats, checksums, bounds, enums, patterns, presence) goes to fields
  with the same name (``creditor.iban`` and ``debtor.iban``, ``merchantNo`` on every
  endpoint) and a similar shape.

A proposal keeps only what the target's own accepted traffic does not refute
(:meth:`harness.rules.registry.Kind.carry`): a character that production accepted in that
field is dropped, a bound that an accepted value exceeds is not carried, and nothing is
proposed when nothing remains. Proposals are ``suspected`` rules with source ``analogy``
and ``derived_from`` the original. The captured requests whose values the proposal would
reject are the *risk list*. Later production evidence decides: an accepted exchange
breaking the rule retires it, a rejection it alone explains supports it.

:func:`contextualize` also tells each field which fields are its siblings (a shape
similarity of at least :data:`SIBLING_SIMILARITY`): character units that siblings accept
are never forbidden in the field (digits in a company name whose addresses hold digits).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from itertools import islice
from typing import Any

from harness.codecs.fields import name_of
from harness.learn.evaluate import evaluate
from harness.learn.induce import support_evidence
from harness.learn.profile import Corpus, RejectedRow
from harness.rules import RuleSpec, check, kind_of, offending, policy
from harness.rules.regex import class_ranges
from harness.rules.units import unit
from harness.text import charclass

SIMILARITY = 0.4  # proposals need at least this shape similarity
SIBLING_SIMILARITY = 0.6  # fields this alike vouch for each other's characters
SIBLING_SHARE = 0.01  # a unit in at least this share of a sibling's values is plausible
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
    fixed: bool = False  # every value has the same length (a code, not text)
    kana: float = 0.0  # share of kana among the letters (Japanese text)

    @property
    def free_text(self) -> bool:
        """Text people write (names, addresses, remarks), not codes, numbers or enums."""
        return (
            not self.numeric
            and not self.fixed
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
    kana = letters = 0
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
                kana += _is_kana(ch)
        sums[0] += cjk / n
        sums[1] += digit / n
        sums[2] += letter / n
        sums[3] += (n - cjk - digit - letter) / n
        letters += cjk + letter
        if numeric and not v.replace(".", "", 1).lstrip("+-").isdigit():
            numeric = False
    k = len(sample)
    shares = [round(s / k, 3) for s in sums]
    fixed = len({len(v) for v in sample}) == 1
    return Shape(
        shares[0],
        shares[1],
        shares[2],
        shares[3],
        round(total_len / k, 1),
        k,
        numeric,
        fixed,
        round(kana / letters, 3) if letters else 0.0,
    )


_KANA = frozenset({"hiragana", "katakana", "halfwidth_katakana", "kana_small"})


def _is_kana(ch: str) -> bool:
    return not _KANA.isdisjoint(charclass.classes(ch))


FieldRef = tuple[str, str]  # endpoint, field


def shapes(corpus: Corpus) -> dict[FieldRef, Shape]:
    """The shape of every field seen (accepted values, else rejected ones)."""
    out: dict[FieldRef, Shape] = {}
    for name, data in corpus.endpoints.items():
        for f in data.fields():
            values: Iterable[str] = data.stats[f].sample if f in data.stats else ()
            if not values:
                values = [
                    v for rows in data.signatures.values() for r in rows for v in r.values(f) if v
                ]
            s = shape_of(values)
            if s is not None:
                out[(name, f)] = s
    return out


def _script(corpus: Corpus) -> str:
    """The writing of the gateway's traffic: ``ja`` (kana anywhere), ``zh`` (ideographs
    without kana), else ``latin``."""
    classes: set[str] = set()
    for data in corpus.endpoints.values():
        for stats in data.stats.values():
            classes |= stats.classes
    if classes & _KANA:
        return "ja"
    return "zh" if "cjk" in classes else "latin"


def _unit_shares(sample: Iterable[str]) -> dict[str, float]:
    values = [v for v in sample if v]
    counts: dict[str, int] = {}
    for v in values:
        for u in {unit(ch) for ch in v}:
            counts[u] = counts.get(u, 0) + 1
    return {u: n / len(values) for u, n in counts.items()} if values else {}


def contextualize(
    corpus: Corpus, found: dict[FieldRef, Shape] | None = None
) -> dict[FieldRef, Shape]:
    """Mark free-text fields and give each its sibling units (see the module docstring)."""
    found = shapes(corpus) if found is None else found
    script = _script(corpus)
    shares = {
        ref: _unit_shares(corpus.endpoints[ref[0]].stats[ref[1]].sample)
        for ref in found
        if ref[1] in corpus.endpoints[ref[0]].stats
    }
    for ref, here in found.items():
        data = corpus.endpoints[ref[0]]
        if ref[1] not in data.stats:
            continue
        stats = data.stats[ref[1]]
        stats.context["free_text"] = here.free_text
        stats.context["script"] = script
        letters = here.cjk + here.letter
        stats.context["cjk_share"] = here.cjk / letters if letters else 0.0
        stats.context["kana_share"] = here.kana
        siblings: set[str] = set()
        if here.free_text:
            for other, there in found.items():
                if other == ref or not there.free_text:
                    continue
                if here.similarity(there) >= SIBLING_SIMILARITY:
                    siblings |= {u for u, s in shares.get(other, {}).items() if s >= SIBLING_SHARE}
        stats.context["sibling_units"] = frozenset(siblings)
    return found


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
    for ch in offending(rule, value):
        name = (
            unit(ch)
            if len(unit(ch)) > 1
            else next(iter(sorted(charclass.classes(ch) - {"gb2312", "gbk"})), "other")
        )
        counts[name] = counts.get(name, 0) + 1
    if not counts and not check(rule, value):
        counts[rule.kind] = 1
    return counts


def _targets(origin: RuleSpec, found: dict[FieldRef, Shape]) -> Iterable[tuple[FieldRef, float]]:
    here = found.get((origin.endpoint, origin.field))
    if here is None:
        return
    mode = kind_of(origin).analogy
    for ref, there in found.items():
        if ref == (origin.endpoint, origin.field):
            continue
        if mode == "shape" and not there.free_text:
            continue
        if mode == "name" and name_of(ref[1]).lower() != name_of(origin.field).lower():
            continue
        if mode not in ("shape", "name"):
            continue
        sim = here.similarity(there)
        if sim >= SIMILARITY:
            yield ref, sim


def _agrees(rule: RuleSpec, origin: RuleSpec) -> bool:
    """True when a rule learned on a field says what ``origin`` says on an analogous one."""
    if rule.kind != origin.kind:
        return False
    kind = kind_of(rule)
    if rule.kind in ("forbidden_chars", "allowed_chars"):
        # It forbids something the origin forbids too.
        probe = rule.params.get("chars", "") + "".join(
            next(iter(_members(c)), "") for c in rule.params.get("classes", ())
        )
        return any(not check(origin, ch) for ch in probe)
    return kind.family(rule.params) == kind.family(origin.params)


def _members(name: str) -> Iterable[str]:
    """A few characters of a class (for comparing character rules)."""
    for lo, _ in class_ranges(name)[:1]:
        yield chr(lo)


def backed(
    corpus: Corpus,
    rules: Iterable[RuleSpec],
    confirmed: Iterable[RuleSpec],
    found: dict[FieldRef, Shape],
) -> dict[str, RuleSpec]:
    """Learned rules that a confirmed rule on an analogous field predicted, by key.

    Such a rule is a hypothesis stated before its own evidence was counted (the analogy
    made it), so one test, not one per candidate, is what its evidence must beat
    (:mod:`harness.rules.policy`): the address field that fails like the name field did is
    believed after fewer rejections of its own.
    """
    confirmed = [r for r in confirmed if r.state == "confirmed" and r.source != "analogy"]
    out: dict[str, RuleSpec] = {}
    for rule in rules:
        if rule.state != "suspected" or rule.source != "learned":
            continue
        for origin in confirmed:
            if (origin.endpoint, origin.field) == (rule.endpoint, rule.field):
                continue
            targets = {ref for ref, _ in _targets(origin, found)}
            if (rule.endpoint, rule.field) in targets and _agrees(rule, origin):
                out[rule.key] = origin
                break
    return out


def _implied(spec: RuleSpec, existing: list[RuleSpec]) -> bool:
    """True when a rule already on the target says at least as much (a limit the target
    learned from its own bracket always does)."""
    kind = kind_of(spec)
    for rule in existing:
        if rule.kind != spec.kind:
            continue
        if rule.params == spec.params:
            return True
        if kind.limits and kind.family(rule.params) == kind.family(spec.params):
            return True
        if spec.kind == "forbidden_chars":
            have = set(rule.params.get("classes", ()))
            chars = rule.params.get("chars", "")
            if set(spec.params.get("classes", ())) <= have and all(
                ch in chars or not have.isdisjoint(charclass.classes(ch))
                for ch in spec.params.get("chars", "")
            ):
                return True
    return False


def propose(
    corpus: Corpus,
    origins: Iterable[RuleSpec],
    *,
    explained: dict[int, set[str]] | None = None,
    existing: Iterable[RuleSpec] = (),
    found: dict[FieldRef, Shape] | None = None,
) -> tuple[list[RuleSpec], list[Risk]]:
    """Analogy rules for ``origins`` on the analogous fields of the corpus, and the risk list.

    ``explained``: the fields whose learned rules explain each rejected row, by the row's
    ``id()``: a row another field's rule explains does not support a proposal. ``existing``: rules already known (learned this run or
    stored), so that a field that already has an equal or stronger rule gets no proposal.
    """
    explained = explained or {}
    found = shapes(corpus) if found is None else found
    known: dict[FieldRef, list[RuleSpec]] = {}
    for rule in existing:
        # Earlier analogy proposals do not block their own renewal (the risk list is redone).
        if rule.state != "retired" and rule.source != "analogy":
            known.setdefault((rule.endpoint, rule.field), []).append(rule)
    best: dict[tuple[str, str, str, Any], tuple[RuleSpec, float, list[dict[str, Any]]]] = {}
    for origin in origins:
        if origin.state == "retired" or origin.source == "analogy":
            continue
        kind = kind_of(origin)
        for (endpoint, f), sim in _targets(origin, found):
            data = corpus.endpoints[endpoint]
            params = kind.carry(origin.params, data.field_stats(f))
            if params is None:
                continue
            source = {
                "endpoint": origin.endpoint,
                "field": origin.field,
                "id": origin.id,
                "key": origin.key,
                "similarity": sim,
                "confirmed": origin.state == "confirmed",
            }
            slot = (endpoint, f, origin.kind, kind.family(params))
            held = best.get(slot)
            if held is not None:
                spec, top, sources = held
                params = kind.merge(spec.params, params)
                sources.append(source)
                if sim <= top:
                    best[slot] = (spec.but(params=params), top, sources)
                    continue
            else:
                sources = [source]
            spec = RuleSpec(
                endpoint=endpoint,
                field=f,
                kind=origin.kind,
                params=params,
                source="analogy",
                state="suspected",
                derived_from=origin.id,
                origin=origin.key,
                evidence={
                    "similarity": sim,
                    "shape": found[(endpoint, f)].__dict__,
                    "prior": round(max(origin.confidence, 0.3) * sim * 0.6, 3),
                },
            )
            best[slot] = (spec, sim, sources)
    proposals = []
    for (endpoint, f, _, _), (spec, _, sources) in best.items():
        if _implied(spec, known.get((endpoint, f), [])):
            continue
        evidence = {**spec.evidence, "origins": sorted(sources, key=lambda s: -s["similarity"])[:5]}
        proposals.append(spec.but(evidence=evidence))
    pools = {
        spec.key: [
            r
            for rows in corpus.endpoints[spec.endpoint].signatures.values()
            for r in rows
            if explained.get(id(r), set()) <= {spec.field}
        ]
        for spec in proposals
    }
    results = evaluate(corpus, proposals, pools)
    rules: list[RuleSpec] = []
    risks: list[Risk] = []
    for spec in proposals:
        result = results[spec.key]
        support = result.support if result else []
        contradict = result.contradict if result else None
        against = len(contradict) if contradict else 0
        prior = spec.evidence["prior"]
        evidence = {**spec.evidence, **support_evidence(corpus, support, contradict)}
        at_risk = _at_risk(corpus, spec)
        evidence["at_risk"] = len(at_risk)
        # A proposal from a confirmed rule was stated before its own evidence was counted:
        # one hypothesis among the proposals, not one among every candidate.
        data = corpus.endpoints[spec.endpoint]
        rate = data.rejected / max(data.total, 1)
        # Limits are the origin field's: a carried limit stays suspected (the target learns
        # its own from its own bracket); other rules from a confirmed origin were predicted.
        need = policy.NEVER if kind_of(spec).limits else policy.DEFAULT_CONFIRM
        predicted = any(o.get("confirmed") for o in spec.evidence["origins"])
        if predicted and not kind_of(spec).limits:
            need = policy.confirm_at(rate, len(proposals))
        evidence["confirm_at"] = need
        rules.append(
            spec.but(
                support=len(support),
                contradict=against,
                evidence=evidence,
                state=policy.decide_state(len(support), against, need=need),
                confidence=policy.confidence(
                    len(support), against, rate=rate, tests=len(proposals), prior=prior
                ),
            )
        )
        for row, outcome, code in at_risk[:RISK_LIMIT]:
            classes: dict[str, int] = {}
            for v in row.values(spec.field):
                if v is not None:
                    for k, n in describe_offending(spec, v).items():
                        classes[k] = classes.get(k, 0) + n
            risks.append(Risk(row.id, spec.endpoint, spec.field, spec.key, outcome, code, classes))
    return rules, risks


def _at_risk(corpus: Corpus, spec: RuleSpec) -> list[tuple[RejectedRow, str, str | None]]:
    """Captured rejected requests the proposal would also reject (their other fields
    aside): the requests that fail the day this field is checked too."""
    data = corpus.endpoints[spec.endpoint]
    out = []
    for (_, code, _), rows in data.signatures.items():
        for row in rows:
            if row.fields and any(not check(spec, v) for v in row.values(spec.field)):
                out.append((row, "rejected", code))
    return out
