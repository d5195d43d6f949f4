"""Induction: for each rejection signature, the field rules that explain it.

For a signature (endpoint + code + normalized message) the learner looks at every field of
the endpoint and asks :func:`harness.learn.predicates.breaks` which candidate rules each
rejected value breaks while no accepted value on the endpoint does. A candidate *covers* the
rejections whose values break it; by construction it contradicts no accepted exchange.

Selection: when candidates cover every rejection of the signature, the best one wins:
first the field the message names (the plan's label for it, or its own name, in the
message; the longest such label), then the simplest kind (required, surrounding whitespace,
characters, encoding, length, checksum, decimal, enum, pattern), then the narrower rule
(fewer forbidden characters, a tighter length bracket). When none covers them all — a
generic message such as 参数校验失败 often hides several rules — a greedy set cover picks
rules, named fields first, each covering at least :data:`MIN_SUPPORT` rejections and
:data:`MIN_SHARE` of the signature (noise such as 系统繁忙 answers at random and is left
unexplained). A rule with a single supporting rejection is kept only when the message
names its field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any

from harness.fields import name_of
from harness.learn import policy
from harness.learn.predicates import (
    CLASS_SIZES,
    ENCODABLE_SIZES,
    FieldProfile,
    breaks,
    char_classes,
    decimal_text,
    nice_bound,
)
from harness.learn.table import EndpointData, Signature, Table
from harness.plan import Plan
from harness.rules import RuleSpec

MIN_SUPPORT = 2  # rejections a rule needs unless the message names its field
MIN_SHARE = 0.1  # share of a signature's rejections a set-cover rule must explain
SAMPLE = 20  # exchange ids kept in evidence

_COMPLEXITY = {
    "required": 1.0,
    "space": 2.0,
    "chars": 3.0,
    "encodable": 3.5,
    "max_length": 4.0,
    "max_bytes": 4.0,
    "checksum": 5.0,
    "decimal": 5.0,
    "enum": 6.0,
}


@dataclass
class Candidate:
    """One candidate rule on one field and the rejections it covers."""

    field: str
    key: tuple[str, ...]
    covered: set[int] = dc_field(default_factory=set)
    infos: list[Any] = dc_field(default_factory=list)
    complexity: float = 0.0
    breadth: tuple[float, ...] = (0.0,)
    names: int = 0  # length of the label the message names the field by (0: not named)
    spec: RuleSpec | None = None


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


def _char_params(
    profile: FieldProfile, infos: list[tuple[frozenset[str], frozenset[str], frozenset[str]]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Forbidden classes and characters: a small cover of the rejected values.

    Each rejected value offers the classes it holds that no accepted value holds, and its
    symbol characters no accepted value holds. A greedy cover picks classes (whole classes
    never seen accepted) before single characters when they explain as much.
    """
    todo = list(range(len(infos)))
    classes: list[str] = []
    chars: set[str] = set()
    while todo:
        gains: dict[tuple[int, str], int] = {}
        for n in todo:
            absent, symbols, _ = infos[n]
            for c in absent:
                gains[(0, c)] = gains.get((0, c), 0) + 1
            for s in symbols:
                gains[(1, s)] = gains.get((1, s), 0) + 1
        if not gains:
            break
        (kind, element), _ = max(
            gains.items(),
            key=lambda kv: (kv[1], -kv[0][0], -CLASS_SIZES.get(kv[0][1], 1), kv[0][1]),
        )
        if kind == 0:
            classes.append(element)
            todo = [n for n in todo if element not in infos[n][0]]
        else:
            chars.add(element)
            todo = [n for n in todo if element not in infos[n][1]]
    generalized = []
    # ASCII letters: a bank that refuses one case of Latin letters refuses the other as well
    # when no accepted value holds either ("no English characters").
    for a, b in (("ascii_upper", "ascii_lower"), ("ascii_lower", "ascii_upper")):
        if a in classes and b not in classes and b not in profile.classes:
            classes.append(b)
            generalized.append(b)
    seen_symbols: set[str] = set()
    also: set[str] = set()
    for _, symbols, _ in infos:
        for s in symbols:
            if s in chars or not char_classes(s).isdisjoint(classes):
                seen_symbols.add(s)
            else:
                also.add(s)
    params = {"classes": sorted(classes), "chars": "".join(sorted(seen_symbols | chars))}
    evidence: dict[str, Any] = {}
    if generalized:
        evidence["generalized"] = generalized
    if also:
        evidence["also_seen"] = "".join(sorted(also))
    return params, evidence


def _char_breadth(params: dict[str, Any]) -> float:
    classes = params["classes"]
    extra = [c for c in params["chars"] if char_classes(c).isdisjoint(classes)]
    return float(sum(CLASS_SIZES.get(c, 1000) for c in classes) + len(extra))


def _materialize(
    cand: Candidate, profile: FieldProfile, sig: Signature
) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """Kind, params and kind-specific evidence of a candidate over its covered rejections."""
    key = cand.key
    head = key[0]
    if head == "required":
        return "required", {}, {}
    if head == "space":
        return "no_surrounding_space", {}, {}
    if head == "chars":
        params, evidence = _char_params(profile, cand.infos)
        return "forbidden_chars", params, evidence
    if head == "encodable":
        return "encodable", {"encoding": key[1]}, {}
    if head == "max_length":
        bracket = {"longest_accepted": profile.max_len, "shortest_rejected": min(cand.infos)}
        return "max_length", {"max": profile.max_len}, {"bracket": bracket}
    if head == "max_bytes":
        enc = key[1]
        longest = profile.max_bytes[enc]
        bracket = {"longest_accepted": longest, "shortest_rejected": min(cand.infos)}
        return "max_bytes", {"max": longest, "encoding": enc}, {"bracket": bracket}
    if head == "pattern":
        return "pattern", {"regex": key[1]}, {}
    if head == "checksum":
        return "checksum", {"algorithm": key[1]}, {}
    if head == "enum":
        return "enum", {"values": list(profile.enum or ())}, {}
    if head == "decimal":
        dec = profile.decimal
        assert dec is not None
        if key[1] == "scale":
            return "decimal", {"scale": dec.scale}, {}
        if key[1] == "range":
            # Both bounds from one signature ("amount out of range"): one rule, two bounds.
            above = [v for v in cand.infos if v > dec.max]
            below = [v for v in cand.infos if v < dec.min]
            bracket = {
                "smallest_accepted": decimal_text(dec.min),
                "largest_rejected": decimal_text(max(below)),
                "largest_accepted": decimal_text(dec.max),
                "smallest_rejected": decimal_text(min(above)),
            }
            params = {
                "max": decimal_text(nice_bound(dec.max, min(above), upper=True, scale=dec.scale)),
                "min": decimal_text(nice_bound(max(below), dec.min, upper=False, scale=dec.scale)),
            }
            return "decimal", params, {"bracket": bracket}
        if key[1] == "max":
            low_rejected: Decimal = min(cand.infos)
            bound = nice_bound(dec.max, low_rejected, upper=True, scale=dec.scale)
            bracket = {
                "largest_accepted": decimal_text(dec.max),
                "smallest_rejected": decimal_text(low_rejected),
            }
            return "decimal", {"max": decimal_text(bound)}, {"bracket": bracket}
        high_rejected: Decimal = max(cand.infos)
        bound = nice_bound(high_rejected, dec.min, upper=False, scale=dec.scale)
        bracket = {
            "smallest_accepted": decimal_text(dec.min),
            "largest_rejected": decimal_text(high_rejected),
        }
        return "decimal", {"min": decimal_text(bound)}, {"bracket": bracket}
    return None


def _add_decimal_range(field_path: str, found: dict[tuple[str, ...], Candidate]) -> None:
    """When values break both decimal bounds, offer the range as one candidate too."""
    low, high = found.get(("decimal", "min")), found.get(("decimal", "max"))
    if low is None or high is None:
        return
    both = Candidate(field_path, ("decimal", "range"))
    both.covered = low.covered | high.covered
    both.infos = [*low.infos, *high.infos]
    found[both.key] = both


def _length_breadth(cand: Candidate, profile: FieldProfile) -> tuple[float, ...]:
    longest = profile.max_len if cand.key[0] == "max_length" else profile.max_bytes[cand.key[1]]
    gap = (min(cand.infos) - longest) / max(longest, 1)
    # On exact ties, Chinese text is more often limited in GBK bytes, other text in characters.
    cjk = "cjk" in profile.classes
    order = {"max_length": 1 if cjk else 0, "gbk": 0 if cjk else 1, "utf-8": 2}
    # Brackets within a factor of about 1.4 of each other count as equally tight.
    return (
        float(round(math.log2(1 + gap) * 2)),
        float(order[cand.key[-1] if cand.key[0] == "max_bytes" else "max_length"]),
    )


def candidates(
    table: Table, data: EndpointData, sig: Signature, rows: list[int], plan: Plan | None
) -> list[Candidate]:
    """Every candidate rule for a signature, over every field of its endpoint."""
    fields: set[str] = set(data.counts)
    for i in rows:
        fields.update(table.fields(i))
    message = sig[2]
    # A request without fields (a body that did not parse) says nothing about field rules.
    parsed = [i for i in rows if table.fields(i)]
    out: list[Candidate] = []
    for f in sorted(fields):
        profile = data.profile(f)
        found: dict[tuple[str, ...], Candidate] = {}
        for i in parsed:
            for value in table.values(i, f):
                for key, info in breaks(profile, value).items():
                    cand = found.get(key)
                    if cand is None:
                        cand = found[key] = Candidate(f, key)
                    if i not in cand.covered:
                        cand.covered.add(i)
                        cand.infos.append(info)
        if not found:
            continue
        _add_decimal_range(f, found)
        names, _ = name_score(f, message, plan)
        for cand in found.values():
            cand.names = names
            head = cand.key[0]
            if head == "pattern":
                cand.complexity = next(c for r, _, c in profile.patterns if r == cand.key[1])
            else:
                cand.complexity = _COMPLEXITY[head]
            if head in ("max_length", "max_bytes"):
                cand.breadth = _length_breadth(cand, profile)
            elif head == "encodable":
                cand.breadth = (float(ENCODABLE_SIZES[cand.key[1]]),)
            out.append(cand)
    return out


def _rank(c: Candidate) -> tuple[Any, ...]:
    return (-c.names, c.complexity, c.breadth, c.field, c.key)


def select(cands: list[Candidate], rows: list[int]) -> list[Candidate]:
    """The candidates that explain a signature (see the module docstring)."""
    everything = set(rows)
    full = [c for c in cands if c.covered >= everything]
    if full:
        best = min(full, key=_rank)
        if len(everything) >= MIN_SUPPORT or best.names:
            return [best]
        return []
    chosen: list[Candidate] = []
    todo = set(everything)
    need = max(MIN_SUPPORT, int(MIN_SHARE * len(everything) + 0.999))
    for pool in ([c for c in cands if c.names], cands):
        while todo:
            gains = [(len(c.covered & todo), c) for c in pool if c not in chosen]
            gains = [
                (g, c) for g, c in gains if g >= need or (g >= 1 and c.names and g >= MIN_SUPPORT)
            ]
            if not gains:
                break
            _, best = min(gains, key=lambda gc: (-gc[0], _rank(gc[1])))
            chosen.append(best)
            todo -= best.covered
    return chosen


@dataclass
class Learned:
    """A rule induced from one signature, with the rows that support it."""

    spec: RuleSpec
    support: list[int]
    signature: Signature


def induce(table: Table, plan: Plan | None = None) -> list[Learned]:
    """Rules for every rejection signature in the table, one signature at a time."""
    out: list[Learned] = []
    for data in table.endpoints.values():
        for sig, rows in sorted(data.signatures.items(), key=lambda kv: (str(kv[0][1]), kv[0][2])):
            cands = candidates(table, data, sig, rows, plan)
            alternatives = [c for c in cands if c.covered >= set(rows)]
            alternatives.sort(key=_rank)
            for cand in select(cands, rows):
                learned = _learned(table, data, sig, rows, cand, alternatives, plan)
                if learned is not None:
                    out.append(learned)
    return out


def _learned(
    table: Table,
    data: EndpointData,
    sig: Signature,
    rows: list[int],
    cand: Candidate,
    alternatives: list[Candidate],
    plan: Plan | None,
) -> Learned | None:
    profile = data.profile(cand.field)
    made = _materialize(cand, profile, sig)
    if made is None:
        return None
    kind, params, extra = made
    support = sorted(cand.covered)
    names, label = name_score(cand.field, sig[2], plan)
    evidence: dict[str, Any] = {
        "signature": {"code": sig[1], "message": sig[2]},
        "rejected": len(rows),
        "accepted": len(data.accepted),
        "names_field": bool(names),
        **extra,
    }
    if label:
        evidence["label"] = label
    others: list[dict[str, Any]] = []
    for alt in alternatives:
        if alt is cand or len(others) >= 3:
            continue
        alt_made = _materialize(alt, data.profile(alt.field), sig)
        if alt_made:
            others.append({"field": alt.field, "kind": alt_made[0], "params": alt_made[1]})
    if others:
        evidence["alternatives"] = others
    evidence.update(support_evidence(table, support))
    spec = RuleSpec(
        endpoint=data.name,
        field=cand.field,
        kind=kind,
        params=params,
        code=sig[1],
        message=sig[2] or None,
        source="learned",
        support=len(support),
        contradict=0,
        evidence=evidence,
    )
    spec = spec.but(
        state=policy.decide_state(len(support), 0),
        confidence=policy.confidence(len(support), 0, names_field=bool(names)),
    )
    return Learned(spec, support, sig)


def support_evidence(
    table: Table, support: Iterable[int], contradict: Iterable[int] = ()
) -> dict[str, Any]:
    """Per-day counts, id samples and first/last seen of supporting and contradicting rows."""
    days: dict[str, dict[str, int]] = {}
    times = []
    sup = list(support)
    con = list(contradict)
    for name, idx in (("support", sup), ("contradict", con)):
        for i in idx:
            day = days.setdefault(table.day(i), {"support": 0, "contradict": 0})
            day[name] += 1
            ts = table.ts(i)
            if ts is not None:
                times.append(ts)
    out: dict[str, Any] = {"days": days, "support_ids": [table.id(i) for i in sup[:SAMPLE]]}
    if con:
        out["contradict_ids"] = [table.id(i) for i in con[:SAMPLE]]
    if times:
        out["first_seen"] = min(times).isoformat()
        out["last_seen"] = max(times).isoformat()
    return out
