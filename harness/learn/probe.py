"""Probing: confirm a learned rule by sending minimal variants of a rejected request.

When the plan names a target that validates and may be probed (``probe:``: the mock, a
validating pre-production), a rule is confirmed by experiment instead of by counting:

1. *control*: the rejected request as captured must be rejected by the target too
   (otherwise the target does not enforce what production does, and nothing can be
   concluded);
2. *repair*: the same request with only the rule's field normalized (offending characters
   to their full-width forms or dropped, cut to the limit, check character recomputed, ...)
   must be accepted;
3. *isolate*: a delta-debugging search (:func:`ddmin`) over "which fields to take from the
   rejected request into a known-accepted sibling request" finds the minimal
   failure-inducing change; it should be the rule's field;
4. *bound*: once every rule had its turn, the confirmed length, byte and amount rules
   spend what is left of the budget narrowing their traffic bracket to the real limit
   (:mod:`harness.learn.bounds`, at most :data:`BOUND_PER_RULE` probes each).

The search is pure: it takes ``send(base_id, fields) -> Classified``, a callable that sends
the stored exchange ``base_id`` with its flat request fields replaced by ``fields``
(:mod:`harness.replay.probe` is the HTTP one; tests pass a function). Every call is a
probe; the number spent is recorded in the rule's evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from harness.codecs.fields import rule_path
from harness.learn.bounds import BOUND_KINDS, SPENT, narrow
from harness.outcome.classify import Classified
from harness.rules import RuleSpec, as_text, check, policy
from harness.rules import repair as repair_value

FAIL, PASS, UNRESOLVED = "fail", "pass", "unresolved"
BUDGET = 200  # probes per learning run, at most
PER_RULE = 24  # probes per rule, at most
BOUND_PER_RULE = 16  # probes per rule to narrow a bound, at most (a bisection of 11..200: 8)
UNANSWERED_LIMIT = 3  # rules whose control probe got no answer before probing stops


# What the probed target answered: the classifier's reading of its answer.
Send = Callable[[Any, dict[str, Any]], Classified]


class BudgetSpent(Exception):
    """The probe budget ran out in the middle of a search."""


@dataclass
class ProbeReport:
    """The result of probing one rule."""

    confirmed: bool | None  # None: inconclusive (the target does not reject the original)
    spent: int = 0
    exchange_id: Any = None
    sibling_id: Any = None
    minimal: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    last_rejection_differs: bool = field(default=False, repr=False)
    last_outcome: str | None = field(default=None, repr=False)
    unanswered: bool = False  # the target did not answer the control probe
    repaired: bool = False  # the repaired request was accepted: nothing else in it is refused

    def as_evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"confirmed": self.confirmed, "spent": self.spent}
        if self.exchange_id is not None:
            out["exchange_id"] = self.exchange_id
        if self.sibling_id is not None:
            out["sibling_id"] = self.sibling_id
        if self.minimal is not None:
            out["minimal_change"] = self.minimal
        if self.notes:
            out["notes"] = self.notes
        return out


# -- repairing a value -------------------------------------------------------------------


def repair(rule: RuleSpec, value: Any, fallback: Any = None) -> str | None:
    """``value`` changed as little as possible so that it passes ``rule`` (the kind's own
    repair, :meth:`harness.rules.registry.Kind.repair`).

    ``fallback`` (e.g. the same field of an accepted request) is used where no local fix
    exists (a pattern, a missing value). None when nothing passes.
    """
    fixed = repair_value(_accepted_side(rule), value)
    if fixed is not None and check(rule, fixed) and (rule.kind != "required" or fixed.strip()):
        return fixed
    spare = as_text(fallback)
    if spare is not None and check(rule, spare):
        return spare
    return None


def _accepted_side(rule: RuleSpec) -> RuleSpec:
    """A bound rule with its limit on the accepted side of its bracket: a value repaired to
    it is known to pass (the rule's own limit, the least restrictive the bracket allows,
    may lie beyond the real one)."""
    bracket = rule.evidence.get("bracket")
    if not isinstance(bracket, dict):
        return rule
    params = dict(rule.params)
    if rule.kind == "decimal":
        for side in ("max", "min"):
            edge = bracket.get(side)
            if isinstance(edge, dict) and "accepted" in edge and side in params:
                params[side] = str(edge["accepted"])
    elif "accepted" in bracket:
        param = "min" if rule.kind == "min_length" else "max"
        params[param] = int(bracket["accepted"])
    return rule.but(params=params)


# -- delta debugging ---------------------------------------------------------------------


def _split(items: Sequence[str], n: int) -> list[list[str]]:
    size, rest = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < rest else 0)
        if end > start:
            out.append(list(items[start:end]))
        start = end
    return out


def ddmin(changes: Sequence[str], test: Callable[[list[str]], str]) -> list[str]:
    """A 1-minimal subset of ``changes`` for which ``test`` still fails (Zeller's ddmin).

    ``test(subset)`` returns :data:`FAIL`, :data:`PASS` or :data:`UNRESOLVED`; results are
    cached by subset. ``changes`` itself is assumed to fail.
    """
    seen: dict[frozenset[str], str] = {}

    def run(subset: list[str]) -> str:
        key = frozenset(subset)
        if key not in seen:
            seen[key] = test(subset)
        return seen[key]

    current = list(changes)
    n = 2
    while len(current) >= 2:
        chunks = _split(current, n)
        reduced = False
        for chunk in chunks:
            if run(chunk) == FAIL:
                current, n, reduced = chunk, 2, True
                break
        if not reduced:
            for chunk in chunks:
                rest = [c for c in current if c not in chunk]
                if rest and run(rest) == FAIL:
                    current, n, reduced = rest, max(n - 1, 2), True
                    break
        if not reduced:
            if n >= len(current):
                break
            n = min(len(current), 2 * n)
    return current


# -- probing one rule --------------------------------------------------------------------


def _judge(answer: Classified, code: str | None) -> str:
    if answer.outcome == "accepted":
        return PASS
    if answer.outcome == "rejected" and (code is None or answer.code == code):
        return FAIL
    return UNRESOLVED


def confirm(
    rule: RuleSpec,
    rejected: tuple[Any, Mapping[str, Any]],
    send: Send,
    *,
    sibling: tuple[Any, Mapping[str, Any]] | None = None,
    limit: int = PER_RULE,
) -> ProbeReport:
    """Probe one rule with one rejected request ``(id, flat fields)`` (see the module doc).

    ``sibling``: an accepted request on the same endpoint, for the delta-debugging search
    and as a source of values a repair cannot make up.
    """
    rej_id, rej_fields = rejected
    report = ProbeReport(confirmed=None, exchange_id=rej_id)
    code = rule.code

    def probe(base: Any, fields: Mapping[str, Any]) -> str:
        if report.spent >= limit:
            raise BudgetSpent
        report.spent += 1
        answer = send(base, dict(fields))
        report.last_outcome = answer.outcome
        report.last_rejection_differs = (
            answer.outcome == "rejected" and code is not None and answer.code != code
        )
        return _judge(answer, code)

    try:
        if probe(rej_id, rej_fields) != FAIL:
            if report.last_outcome == "upstream_error":
                report.unanswered = True
                report.notes.append("the target did not answer")
            else:
                report.notes.append("the target does not reject the captured request")
            return report
        sib_fields = dict(sibling[1]) if sibling else {}
        repaired = dict(rej_fields)
        paths = [p for p in rej_fields if rule_path(p) == rule.field]
        spare = next((v for p, v in sib_fields.items() if rule_path(p) == rule.field), None)
        if not paths:  # the field is missing: a required rule
            paths = [next((p for p in sib_fields if rule_path(p) == rule.field), rule.field)]
        for path in paths:
            fixed = repair(rule, rej_fields.get(path), spare)
            if fixed is None:
                report.notes.append("no value repairs the field")
                return report
            repaired[path] = fixed
        verdict = probe(rej_id, repaired)
        report.repaired = verdict == PASS
        report.confirmed = verdict == PASS or report.last_rejection_differs
        if report.last_rejection_differs:
            # The rejection this rule explains is gone; another rule answers next.
            report.notes.append("the repaired request is refused with another code")
        elif verdict != PASS:
            report.notes.append("the repaired request is still refused")
        if sibling is not None and report.confirmed:
            report.sibling_id = sibling[0]
            changes = [
                p
                for p in rej_fields
                if p not in sib_fields or as_text(sib_fields[p]) != as_text(rej_fields[p])
            ]

            def test(subset: list[str]) -> str:
                fields = dict(sib_fields)
                for p in subset:
                    fields[p] = rej_fields[p]
                return probe(sibling[0], fields)

            if changes:
                minimal = ddmin(changes, test)
                report.minimal = sorted({rule_path(p) for p in minimal})
                if report.minimal != [rule.field]:
                    report.notes.append("the minimal change is not (only) this field")
    except BudgetSpent:
        report.notes.append("probe budget spent")
    return report


@runtime_checkable
class RowSource(Protocol):
    """Where probing finds the captured rows it sends variants of."""

    def by_ids(self, ids: Sequence[Any]) -> Mapping[str, Any] | None:
        """The row of the first of ``ids`` there is."""
        ...

    def siblings(self, endpoint: str) -> Iterable[Mapping[str, Any]]:
        """Accepted rows on ``endpoint`` to repair a rejected one from."""
        ...


class RowList:
    """A :class:`RowSource` over rows in memory."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.rows = list(rows)
        self._ids = {row.get("id"): row for row in self.rows}

    def by_ids(self, ids: Sequence[Any]) -> Mapping[str, Any] | None:
        return next((self._ids[i] for i in ids if i in self._ids), None)

    def siblings(self, endpoint: str) -> Iterable[Mapping[str, Any]]:
        return (
            r for r in self.rows if r.get("endpoint") == endpoint and r.get("outcome") == "accepted"
        )


def closest(rows: Iterable[Mapping[str, Any]], fields: Mapping[str, Any]) -> Any:
    """The row whose field paths overlap ``fields``' most, with the fewest extra paths."""
    wanted = set(fields)
    best, score = None, -1
    for row in rows:
        have = set(row.get("request_fields") or {})
        s = len(wanted & have) - len(have - wanted)
        if s > score:
            best, score = row, s
            if have == wanted:
                break
    return best


def probe_rules(
    rules: Iterable[RuleSpec],
    rows: RowSource | Iterable[Mapping[str, Any]],
    send: Send,
    *,
    budget: int = BUDGET,
    per_rule: int = PER_RULE,
    per_bound: int = BOUND_PER_RULE,
) -> list[RuleSpec]:
    """Probe the learned rules (source ``learned``, not retired) within ``budget`` probes;
    returns every rule, the probed ones with ``evidence["probe"]`` and a new state.

    A target that does not answer (transport errors) teaches nothing: those rules keep no
    probe evidence, and after :data:`UNANSWERED_LIMIT` of them in a row probing stops.
    What the confirmations leave of the budget narrows the bounds of the confirmed length,
    byte and amount rules (:func:`harness.learn.bounds.narrow`). ``rows``: where the
    captured rows are (a :class:`RowSource`, e.g. the store), or the rows themselves."""
    source = rows if isinstance(rows, RowSource) else RowList(rows)
    out: list[RuleSpec] = []
    left = budget
    silent = 0  # rules in a row whose control probe got no answer
    bounded: list[tuple[int, Any, Mapping[str, Any]]] = []  # (index in out, id, fields)
    for rule in rules:
        skip = rule.source != "learned" or rule.state == "retired"
        if skip or left <= 0 or silent >= UNANSWERED_LIMIT:
            out.append(rule)
            continue
        target = source.by_ids(rule.evidence.get("support_ids") or [])
        if target is None:
            out.append(rule)
            continue
        fields = target.get("request_fields") or {}
        sibling = closest(source.siblings(rule.endpoint), fields)
        report = confirm(
            rule,
            (target.get("id"), fields),
            send,
            sibling=(sibling.get("id"), sibling.get("request_fields") or {}) if sibling else None,
            limit=min(per_rule, left),
        )
        left -= report.spent
        if report.unanswered:  # a target that is down says nothing about the rule
            silent += 1
            out.append(rule)
            continue
        silent = 0
        if report.confirmed and report.repaired and rule.kind in BOUND_KINDS:
            bounded.append((len(out), target.get("id"), fields))
        evidence = {**rule.evidence, "probe": report.as_evidence()}
        out.append(
            rule.but(
                evidence=evidence,
                state=policy.decide_state(
                    rule.support,
                    rule.contradict,
                    need=int(rule.evidence.get("confirm_at") or policy.DEFAULT_CONFIRM),
                    probed=report.confirmed,
                ),
                confidence=policy.confidence(
                    rule.support, rule.contradict, probed=report.confirmed, prior=rule.confidence
                ),
            )
        )
    for index, rej_id, fields in bounded:
        if left <= 0:
            break
        out[index], spent = _narrow(out[index], (rej_id, fields), send, min(per_bound, left))
        left -= spent
    return out


def _narrow(
    rule: RuleSpec, rejected: tuple[Any, Mapping[str, Any]], send: Send, limit: int
) -> tuple[RuleSpec, int]:
    """:func:`harness.learn.bounds.narrow` on ``rejected`` with at most ``limit`` probes;
    returns the rule and the probes spent."""
    rej_id, fields = rejected
    spent = 0

    def probe(variant: dict[str, Any]) -> str:
        nonlocal spent
        if spent >= limit:
            return SPENT
        spent += 1
        return _judge(send(rej_id, variant), rule.code)

    return narrow(rule, fields, probe), spent
