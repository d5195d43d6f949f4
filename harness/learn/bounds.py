"""Probing a limit: where exactly a length, byte or amount bound lies.

Traffic brackets a limit between the largest accepted and the smallest rejected value it
happened to carry; with little traffic that is far from the real limit (a remark seen at
most 11 bytes long, a bank limit of 60). Once a rule is confirmed on a probe-able target,
:func:`search_bound` bisects the bracket: it sends the rejected request with only the
rule's field changed to a value of a chosen size, built from the field's own rejected
value (cut to whole characters, so no character of a class the value lacks is invented and
no other rule trips), or, for amounts, the number at the bracket's scale in plain decimal
text. The search is pure: ``probe(fields) -> PASS | FAIL | UNRESOLVED`` is given by the
caller (:mod:`harness.learn.probe`), which counts and limits probes.

An answer that is neither an acceptance nor this rule's rejection (a transport error,
another code) stops the search; the rule then keeps its traffic bracket.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from harness.codecs.fields import rule_path
from harness.rules import RuleSpec, as_text, check, kind_of
from harness.rules.bracket import decimal_text, nice_decimal
from harness.rules.lengths import Bound as LengthBound
from harness.text import charclass

PASS, FAIL = "pass", "fail"
SPENT = "spent"  # a probe function's answer when the budget is spent
BOUND_KINDS = ("max_length", "max_bytes", "decimal")


class Unresolved(Exception):
    """The target answered something that says nothing about this bound."""


@dataclass
class Bound:
    """One bound as probing left it: ``low`` passes, ``high`` fails (for a lower bound,
    ``low`` is the smallest accepted and ``high`` the largest rejected value)."""

    param: str  # "max" | "min"
    low: int | str
    high: int | str
    probes: int = 0
    exact: bool = False  # low and high are neighbours: the limit is known
    stopped: str | None = None  # why the search ended early

    def as_evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"low": self.low, "high": self.high, "probes": self.probes}
        out["exact"] = self.exact
        if self.stopped:
            out["stopped"] = self.stopped
        return out


def bisect(
    passing: int,
    failing: int,
    test: Callable[[int], str],
    guesses: Sequence[int] = (),
) -> tuple[int, int, str | None]:
    """Narrow ``passing`` (known to pass) and ``failing`` (known to fail) to neighbours.

    Works both ways (an upper bound has ``passing < failing``, a lower one the reverse).
    ``guesses`` are tried first, in order, while strictly between the two (a likely limit
    and its neighbour: two probes when the guess is right). ``test`` returns PASS, FAIL or
    anything else, which stops the search and is returned as the reason, with the
    narrowing so far: ``(passing, failing, reason or None)``.
    """
    pending = list(guesses)
    while abs(failing - passing) > 1:
        mid = None
        while pending:
            guess = pending.pop(0)
            if min(passing, failing) < guess < max(passing, failing):
                mid = guess
                break
        if mid is None:
            mid = (passing + failing) // 2
        verdict = test(mid)
        if verdict == PASS:
            passing = mid
        elif verdict == FAIL:
            failing = mid
        else:
            return passing, failing, verdict
    return passing, failing, None


# -- values of a chosen size -------------------------------------------------------------


def _width(rule: RuleSpec) -> Callable[[str], int]:
    if rule.kind == "max_bytes":
        encoding = rule.params.get("encoding", "gbk")
        return lambda ch: charclass.byte_length(ch, encoding)
    return lambda ch: 1


def cut_to(value: str, size: int, width: Callable[[str], int]) -> str | None:
    """``value`` cut to exactly ``size`` (characters or bytes, as ``width`` counts), keeping
    whole characters in their order; None when no such cut exists.

    The prefix is taken; when its next character overshoots, one earlier character as much
    narrower as the gap is dropped to make room for it (``上海a宏`` at 6 GBK bytes is
    ``上海宏``), so a value holding a one-byte character reaches every byte length.
    """
    out: list[str] = []
    total = 0
    for ch in value:
        if total == size:
            break
        w = width(ch)
        if total + w > size:
            need = total + w - size
            for j in range(len(out) - 1, -1, -1):
                if width(out[j]) == need:
                    return "".join(out[:j] + out[j + 1 :]) + ch
            return None
        out.append(ch)
        total += w
    return "".join(out) if total == size else None


STOPS = {"unresolved": "another answer", SPENT: "probe budget spent"}


def _stop_reason(verdict: str) -> str:
    return STOPS.get(verdict, verdict)


def _length_bound(rule: RuleSpec, value: str, probe_value: Callable[[str], str]) -> Bound | None:
    width = _width(rule)
    size = sum(width(ch) for ch in value)
    # Without a traffic bracket (a rule written by hand), its own limit is taken to pass.
    bracket = rule.evidence.get("bracket") or {}
    low = int(bracket.get("accepted", rule.params["max"]))
    high = min(size, int(bracket.get("rejected") or size))
    if high <= low:
        return None
    sizes, texts = [], []
    for n in range(low + 1, high):
        text = cut_to(value, n, width)
        if text is not None and text == text.strip():
            sizes.append(n)
            texts.append(text)
    bound = Bound("max", low, high)

    def test(i: int) -> str:
        verdict = probe_value(texts[i])
        bound.probes += verdict != SPENT
        return verdict

    # The limit the bracket suggests (a conventional one) and its neighbour go first.
    limit = int(rule.params["max"])
    guesses = [sizes.index(n) for n in (limit, limit + 1) if n in sizes]
    passing, failing, stop = bisect(-1, len(sizes), test, guesses)
    bound.low = sizes[passing] if passing >= 0 else low
    bound.high = sizes[failing] if failing < len(sizes) else high
    bound.exact = int(bound.high) - int(bound.low) == 1
    bound.stopped = _stop_reason(stop) if stop else None
    return bound


# -- amounts -----------------------------------------------------------------------------


def _places(text: str | None) -> int:
    if not text or "." not in text:
        return 0
    return len(text.split(".", 1)[1])


def _sides(rule: RuleSpec) -> list[tuple[str, str, str]]:
    """(param, accepted side, rejected side) of each decimal bound the bracket narrows."""
    bracket = rule.evidence.get("bracket") or {}
    sides = []
    for param in ("max", "min"):
        side = bracket.get(param)
        if (
            rule.params.get(param) is not None
            and isinstance(side, dict)
            and {
                "accepted",
                "rejected",
            }
            <= set(side)
        ):
            sides.append((param, str(side["accepted"]), str(side["rejected"])))
    return sides


def _decimal_bounds(rule: RuleSpec, value: str, probe_value: Callable[[str], str]) -> list[Bound]:
    texts = [value, *(t for side in _sides(rule) for t in side[1:])]
    scale = max(_places(t) for t in texts)
    unit = Decimal(1).scaleb(-scale)

    def text(k: int) -> str:
        return format(Decimal(k).scaleb(-scale), "f")

    def units(number: Decimal, rounding: str) -> int:
        return int((number / unit).to_integral_value(rounding))

    out: list[Bound] = []
    for param, accepted, rejected in _sides(rule):
        try:
            good, bad = Decimal(str(accepted)), Decimal(str(rejected))
            now = Decimal(str(rule.params[param]))
        except InvalidOperation:
            continue
        upper = param == "max"
        inward, outward = (ROUND_FLOOR, ROUND_CEILING) if upper else (ROUND_CEILING, ROUND_FLOOR)
        guess = units(now, inward)
        bound = Bound(param, text(units(good, inward)), text(units(bad, outward)))

        def test(k: int, bound: Bound = bound) -> str:
            verdict = probe_value(text(k))
            bound.probes += verdict != SPENT
            return verdict

        passing, failing, stop = bisect(
            units(good, inward),
            units(bad, outward),
            test,
            guesses=(guess, guess + (1 if upper else -1)),
        )
        bound.low, bound.high = text(passing), text(failing)
        bound.exact = abs(passing - failing) == 1
        bound.stopped = _stop_reason(stop) if stop else None
        out.append(bound)
        if stop:
            break
    return out


# -- the search --------------------------------------------------------------------------


def search_bound(
    rule: RuleSpec,
    fields: Mapping[str, Any],
    probe: Callable[[dict[str, Any]], str],
) -> list[Bound]:
    """Bisect the bound(s) of a ``max_length``, ``max_bytes`` or ``decimal`` rule.

    ``fields``: the flat fields of a request the rule rejects and whose repair was accepted
    (nothing else in it is refused). ``probe(fields)`` sends a variant and judges the
    answer: PASS, FAIL, or anything else (``"unresolved"``: another answer; ``"spent"``:
    no budget left), which stops the search. Returns the bounds searched, none when the
    rule has nothing to narrow (no bracket, one field value only).
    """
    if rule.kind not in BOUND_KINDS:
        return []
    broken = [p for p in fields if rule_path(p) == rule.field and not check(rule, fields[p])]
    if len(broken) != 1:
        return []  # none, or several values to size at once: the bracket stays
    path = broken[0]
    value = as_text(fields[path]) or ""

    def probe_value(text: str) -> str:
        return probe({**fields, path: text})

    if rule.kind == "decimal":
        return _decimal_bounds(rule, value, probe_value)
    bound = _length_bound(rule, value, probe_value)
    return [bound] if bound is not None else []


def refined(rule: RuleSpec, bounds: Sequence[Bound]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule's parameters and bracket once probing narrowed it.

    A bracket probing narrowed (a finished search, or one the budget cut short) gives the
    limit the same way a traffic bracket does (:mod:`harness.rules.bracket`): a finished
    search leaves neighbours, so the limit is exact. A search stopped by another answer
    changes nothing: the traffic bracket stays.
    """
    params = dict(rule.params)
    bracket = dict(rule.evidence.get("bracket") or {})
    kind = kind_of(rule)
    for bound in bounds:
        if bound.stopped not in (None, STOPS[SPENT]):
            continue
        if rule.kind == "decimal":
            side = {"accepted": bound.low, "rejected": bound.high}
            bracket[bound.param] = side
            upper = bound.param == "max"
            low, high = Decimal(str(bound.low)), Decimal(str(bound.high))
            scale = max(_places(str(bound.low)), _places(str(bound.high)))
            if bound.exact:
                params[bound.param] = str(bound.low)
            else:
                limit = (
                    nice_decimal(low, high, upper=True, scale=scale)
                    if upper
                    else nice_decimal(high, low, upper=False, scale=scale)
                )
                params[bound.param] = decimal_text(limit)
        else:
            bracket = {"accepted": bound.low, "rejected": bound.high}
            assert isinstance(kind, LengthBound)
            params[bound.param] = kind.limit_from(bracket)
    return params, bracket


def narrow(
    rule: RuleSpec, fields: Mapping[str, Any], probe: Callable[[dict[str, Any]], str]
) -> RuleSpec:
    """``rule`` with the bound(s) probing proved on ``fields`` (see :func:`search_bound`),
    the search in ``evidence["probe"]["bound"]`` (for a decimal rule, one entry per bound:
    ``{"max": {...}, "min": {...}}``) and its probes added to ``evidence["probe"]["spent"]``.
    A rule whose parameters change names its old key in ``replaces``, so the stored rule is
    refined in place (:mod:`harness.rules.evolution`)."""
    bounds = search_bound(rule, fields, probe)
    if not bounds:
        return rule
    found: dict[str, Any]
    if rule.kind == "decimal":
        found = {b.param: b.as_evidence() for b in bounds}
    else:
        found = bounds[0].as_evidence()
    params, narrowed = refined(rule, bounds)
    probed = dict(rule.evidence.get("probe") or {})
    probed["bound"] = found
    probed["spent"] = int(probed.get("spent", 0)) + sum(b.probes for b in bounds)
    evidence = {**rule.evidence, "probe": probed}
    if narrowed:
        evidence["bracket"] = narrowed
    replaces = rule.replaces or (rule.key if params != rule.params else None)
    return rule.but(params=params, evidence=evidence, replaces=replaces)
