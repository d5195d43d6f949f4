"""Induction: for each rejection signature, the field rules that explain it.

For a signature (endpoint + code + normalized message) the learner asks every rule kind
(:mod:`harness.rules.registry`), for every field of the endpoint and every rejected value,
which candidate rules the value breaks that no accepted value of the field breaks. A
candidate *covers* the rejections whose values break it; by construction it contradicts no
accepted exchange.

Choosing among candidates is a minimum-description-length problem: explain the
signature's rejections with the set of rules that is cheapest to state, where a rule costs
the bits its kind says (:meth:`Kind.cost`: a named format or character set is cheap, an
enum costs per value, a forbid-list per character it names) and every rejection left
unexplained costs :func:`exception_bits` (about the bits needed to point at it among the
endpoint's exchanges). The greedy approximation of weighted set cover picks, again and
again, the candidate with the largest saving (rejections newly explained times the
exception cost, minus its own cost), until none saves anything:

- candidates on the field the message names (the plan's label for it, or its name) go
  first, at a quarter of their cost: the bank said which field;
- equal savings go to the cheaper rule, then to the more general one
  (:meth:`Kind.preference`: fewest valid values refused);
- no share of the signature is required: one code and one fixed message for every
  rejection (a generic validation error) still yields one rule per field that broke, and
  every rejection that some consistent rule explains is explained;
- a rejection that no consistent rule explains (a random "system busy") stays unexplained;
- each rule is built from the rejections only it explains: a value rejected for its ``&``
  that is also longer than any accepted one says nothing about a length limit.

How many rejections make a rule believable is not decided here but by
:mod:`harness.rules.policy`: thinly supported rules stay ``suspected``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from harness.codecs.fields import name_of
from harness.learn.evaluate import Sightings
from harness.learn.profile import Corpus, EndpointData, RejectedRow
from harness.outcome.signature import Signature
from harness.plan import Plan
from harness.rules import RuleSpec, policy
from harness.rules.registry import KINDS, Key, Kind
from harness.rules.stats import FieldStats

NAMED_FACTOR = 0.25  # the cost of a rule on the field the message names
SAMPLE = 20  # exchange ids kept in evidence
MIN_TESTS = 10


def exception_bits(data: EndpointData) -> float:
    """What leaving one rejection unexplained costs (see the module docstring)."""
    return math.log2(data.total + 1) + 2.0


@dataclass
class Candidate:
    """One candidate rule on one field and the rejections it covers (row index -> infos)."""

    field: str
    key: Key
    kind: Kind
    covered: dict[int, list[Any]] = dc_field(default_factory=dict)
    names: int = 0  # length of the label the message names the field by (0: not named)
    cost: float = 0.0
    pref: tuple[Any, ...] = ()

    @property
    def infos(self) -> list[Any]:
        return [info for infos in self.covered.values() for info in infos]

    def rank(self) -> tuple[Any, ...]:
        # Preferences of different kinds compare element by element: numbers as numbers,
        # anything else as text after them.
        pref = tuple(
            (0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v)) for v in self.pref
        )
        return (-self.names, self.cost, pref, self.field, str(self.key))


def plain(value: str) -> bool:
    """A plain string (a JSON number of the same text may still break a type rule)."""
    return type(value) is str


def name_score(field_path: str, message: str, plan: Plan | None) -> tuple[int, str | None]:
    """How strongly ``message`` names the field: the length of the label (or name) found."""
    if not message:
        return 0, None
    label = plan.label_for(field_path) if plan else None
    if label and label in message:
        return len(label), label
    name = name_of(field_path)
    if len(name) >= 3 and name.lower() in message.lower():
        return len(name), name
    return 0, None


def candidates(
    data: EndpointData, sig: Signature, rows: Sequence[RejectedRow], plan: Plan | None
) -> list[Candidate]:
    """Every candidate rule for a signature, over every field of its endpoint."""
    message = sig[2]
    out: list[Candidate] = []
    kinds = list(KINDS.values())
    for f in sorted(data.fields()):
        stats = data.field_stats(f)
        known = stats.counts if stats.counts is not None else dict.fromkeys(stats.sample)
        found: dict[Key, Candidate] = {}
        memo: dict[str | None, list[tuple[Key, Any, Kind]]] = {}
        for i, row in enumerate(rows):
            if not row.fields:
                continue  # a body that did not parse says nothing about field rules
            for value in row.values(f):
                if value in known and value is not None and value.strip() and plain(value):
                    continue  # a value production accepted passes every consistent rule
                broken = memo.get(value)
                if broken is None:
                    broken = memo[value] = [
                        (key, info, kind)
                        for kind in kinds
                        for key, info in kind.candidates(stats, value)
                    ]
                for key, info, kind in broken:
                    cand = found.get(key)
                    if cand is None:
                        cand = found[key] = Candidate(f, key, kind)
                    cand.covered.setdefault(i, []).append(info)
        if not found:
            continue
        names, _ = name_score(f, message, plan)
        for cand in found.values():
            cand.names = names
            infos = cand.infos
            cand.cost = cand.kind.cost(cand.key, infos, stats) * (NAMED_FACTOR if names else 1.0)
            cand.pref = cand.kind.preference(cand.key, infos, stats)
            out.append(cand)
    return out


def select(cands: list[Candidate], rows: Sequence[RejectedRow], bits: float) -> list[Candidate]:
    """The candidates that explain a signature (see the module docstring)."""
    uncovered = {i for i, row in enumerate(rows) if row.fields}
    chosen: list[Candidate] = []
    _greedy(cands, chosen, uncovered, bits)
    released = _release_bounds(chosen, cands)
    if released:
        others = [c for c in cands if not c.kind.bounds(c.key)]
        _greedy(others, chosen, released, bits)
    return _refit(_prune(chosen), cands)


def _greedy(
    cands: list[Candidate], chosen: list[Candidate], uncovered: set[int], bits: float
) -> None:
    """Weighted set cover: add to ``chosen`` the candidate saving most bits, again and again
    (candidates on the field the message names first)."""
    for pool in ([c for c in cands if c.names], cands):
        while uncovered:
            best: Candidate | None = None
            best_key: tuple[Any, ...] = ()
            for cand in pool:
                new = len(cand.covered.keys() & uncovered)
                if not new or cand in chosen:
                    continue
                saving = new * bits - cand.cost
                key = (-saving, *cand.rank())
                if saving > 0 and (best is None or key < best_key):
                    best, best_key = cand, key
            if best is None:
                break
            chosen.append(best)
            uncovered -= best.covered.keys()


def _release_bounds(chosen: list[Candidate], cands: list[Candidate]) -> set[int]:
    """Bounds keep only the rejections nothing else explains.

    A value rejected for an illegal character that is also longer than any accepted value
    is evidence for the character rule or for a length limit: the data cannot tell. A rule
    that refuses a valid customer costs more than a rule missed, so the limit is set by the
    rejections only a bound explains (the least restrictive limit), and the others go to the
    other rules. Returns the rows released (they need an explanation again).
    """
    released: set[int] = set()
    for bound in [c for c in chosen if c.kind.bounds(c.key)]:
        elsewhere: set[int] = set()
        for other in cands:
            if other is not bound and not (other.field == bound.field and other.kind is bound.kind):
                elsewhere |= other.covered.keys()
        exclusive = bound.covered.keys() - elsewhere
        if not exclusive:
            continue
        # Only the rows nearer the accepted values than every exclusive one would move the
        # limit: those go to the other rules, the rest stay evidence for the bound.
        upper = bound.kind.upper_key(bound.key)
        edge = [v for i in exclusive for v in bound.covered[i]]
        nearest = min(edge) if upper else max(edge)
        nearer = {
            i
            for i, infos in bound.covered.items()
            if i not in exclusive and any((v < nearest) if upper else (v > nearest) for v in infos)
        }
        if nearer:
            released |= nearer
            bound.covered = {i: v for i, v in bound.covered.items() if i not in nearer}
    return released


def _refit(chosen: list[Candidate], cands: list[Candidate]) -> list[Candidate]:
    """Each chosen rule replaced by the cheapest candidate that explains its own rows.

    The greedy choice counts every row a candidate covers, coincidences included: a list
    of the characters accepted remittances use covers rows rejected for other fields that
    happen to hold a comma. Once each rule keeps only its own rows, the simplest explanation
    of those rows (SWIFT X) may be another candidate.
    """
    out = []
    for cand in chosen:
        own = cand.covered.keys()
        better = min(
            (c for c in cands if c.covered.keys() >= own and not c.kind.bounds(c.key)),
            key=lambda c: c.rank()[1:],
            default=None,
        )
        if better is not None and better is not cand and better.cost < cand.cost:
            better.covered = {i: better.covered[i] for i in own}
            out.append(better)
        else:
            out.append(cand)
    return out


def _prune(chosen: list[Candidate]) -> list[Candidate]:
    """Each chosen rule keeps the rejections only it explains.

    A rejected value can hold more than one oddity: the name rejected for its ``&`` may also
    be longer than any accepted name. Rows that another chosen rule explains are no evidence
    for this one (they would set a length limit at the first coincidence), so a rule is
    built from, and supported by, its own rows; a rule left without any is dropped.
    """
    kept = list(chosen)
    for cand in sorted(chosen, key=lambda c: len(c.covered)):
        others: set[int] = set()
        for other in kept:
            if other is not cand:
                others |= other.covered.keys()
        if cand.covered.keys() <= others:
            kept.remove(cand)
    out = []
    for cand in kept:
        others = set()
        for other in kept:
            if other is not cand:
                others |= other.covered.keys()
        cand.covered = {i: infos for i, infos in cand.covered.items() if i not in others}
        out.append(cand)
    return out


@dataclass
class Learned:
    """A rule induced from one signature, with the rejected rows that support it."""

    spec: RuleSpec
    support: list[RejectedRow]
    signature: Signature


def induce(corpus: Corpus, plan: Plan | None = None) -> list[Learned]:
    """Rules for every rejection signature, one signature at a time."""
    out: list[Learned] = []
    for data in corpus.endpoints.values():
        bits = exception_bits(data)
        for sig, rows in sorted(data.signatures.items(), key=lambda kv: (str(kv[0][1]), kv[0][2])):
            cands = candidates(data, sig, rows, plan)
            chosen = select(cands, rows, bits)
            out.extend(_learned(corpus, data, sig, rows, cands, chosen, plan))
    return out


def _learned(
    corpus: Corpus,
    data: EndpointData,
    sig: Signature,
    rows: Sequence[RejectedRow],
    cands: list[Candidate],
    chosen: list[Candidate],
    plan: Plan | None,
) -> Iterable[Learned]:
    groups: dict[tuple[str, str], list[Candidate]] = {}
    for cand in chosen:
        groups.setdefault((cand.field, cand.kind.name), []).append(cand)
    rate = data.signature_counts.get(sig, len(rows)) / max(data.total, 1)
    for (f, _), group in groups.items():
        stats = data.field_stats(f)
        kind = group[0].kind
        built = kind.build([(c.key, c.infos) for c in group], stats)
        pairs: list[tuple[tuple[dict[str, Any], dict[str, Any]], set[int]]]
        if len(built) == len(group):
            pairs = [(b, set(c.covered)) for b, c in zip(built, group, strict=True)]
        else:
            union = set().union(*(c.covered.keys() for c in group))
            pairs = [(b, union) for b in built]
        names, label = name_score(f, sig[2], plan)
        tests = sum(1 for c in cands if c.field == f) if names else len(cands)
        need = policy.confirm_at(rate, max(tests, MIN_TESTS))
        for (params, extra), covered in pairs:
            support = [rows[i] for i in sorted(covered)]
            evidence: dict[str, Any] = {
                "signature": {"code": sig[1], "message": sig[2]},
                "rejected": data.signature_counts.get(sig, len(rows)),
                "accepted": data.accepted,
                "names_field": bool(names),
                "confirm_at": need,
                **extra,
            }
            if label:
                evidence["label"] = label
            alternatives = _alternatives(group, covered, cands)
            if alternatives:
                evidence["alternatives"] = alternatives
            evidence.update(support_evidence(corpus, support))
            spec = RuleSpec(
                endpoint=data.name,
                field=f,
                kind=kind.name,
                params=params,
                code=sig[1],
                message=sig[2] or None,
                source="learned",
                support=len(support),
                contradict=0,
                evidence=evidence,
            )
            spec = spec.but(
                state=policy.decide_state(len(support), 0, need=need),
                confidence=policy.confidence(
                    len(support), 0, rate=rate, tests=max(tests, MIN_TESTS)
                ),
            )
            yield Learned(spec, support, sig)


def _alternatives(
    group: list[Candidate], covered: set[int], cands: list[Candidate]
) -> list[dict[str, Any]]:
    """Other candidates that explain the same rejections (up to three), for people."""
    out: list[dict[str, Any]] = []
    for alt in sorted(cands, key=Candidate.rank):
        if alt in group or not covered <= alt.covered.keys() or len(out) >= 3:
            continue
        out.append({"field": alt.field, "kind": alt.kind.name, "key": [str(k) for k in alt.key]})
    return out


def support_evidence(
    corpus: Corpus, support: Iterable[RejectedRow], contradict: Sightings | None = None
) -> dict[str, Any]:
    """Per-day counts, id samples and first/last seen of supporting and contradicting rows
    (``contradict``: the accepted exchanges that break the rule)."""
    days: dict[str, dict[str, int]] = {}
    times = []
    sup = [(r.id, r.ts) for r in support]
    for _, ts in sup:
        day = days.setdefault(corpus.day(ts), {"support": 0, "contradict": 0})
        day["support"] += 1
        if ts is not None:
            times.append(ts)
    out: dict[str, Any] = {"days": days, "support_ids": [i for i, _ in sup[:SAMPLE]]}
    if contradict:
        for name, n in contradict.days.items():
            days.setdefault(name, {"support": 0, "contradict": 0})["contradict"] += n
        out["contradict_ids"] = contradict.ids[:SAMPLE]
        times += [t for t in (contradict.first, contradict.last) if t is not None]
    if times:
        out["first_seen"] = min(times).isoformat()
        out["last_seen"] = max(times).isoformat()
    return out


def stats_for(corpus: Corpus, rule: RuleSpec) -> FieldStats | None:
    data = corpus.endpoints.get(rule.endpoint)
    return None if data is None else data.field_stats(rule.field)
