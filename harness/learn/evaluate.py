"""Checking a known rule against a window of traffic: what supports it, what contradicts it.

Used for rules already in the store (learned on earlier days, carried by analogy, written
by hand) and for analogy proposals. *Support* is the rejected exchanges (of the rule's
signature when it has a code) whose value breaks the rule; a *contradiction* is an accepted
exchange on the rule's endpoint whose value breaks it: production took what the rule says
it refuses.

The accepted side is settled from the field statistics when the kind can tell
(:meth:`harness.rules.registry.Kind.clear`); the rules it cannot settle are checked value by
value in one more streaming pass over the window (:func:`contradictions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harness.learn.profile import Corpus, RejectedRow, iterate, rejected_row
from harness.rules import RuleSpec, check, kind_of

ID_SAMPLE = 20  # contradicting exchange ids kept per rule


class Sightings:
    """Accepted exchanges that break a rule, in bounded memory: how many, per day, the
    first and last time, and the first :data:`ID_SAMPLE` ids (a stale rule may be broken by
    every one of ten million exchanges)."""

    def __init__(self, corpus: Corpus) -> None:
        self._day = corpus.day
        self.count = 0
        self.days: dict[str, int] = {}
        self.ids: list[Any] = []
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, exchange_id: Any, ts: datetime | None) -> None:
        self.count += 1
        day = self._day(ts)
        self.days[day] = self.days.get(day, 0) + 1
        if len(self.ids) < ID_SAMPLE:
            self.ids.append(exchange_id)
        if ts is not None:
            self.first = ts if self.first is None else min(self.first, ts)
            self.last = ts if self.last is None else max(self.last, ts)

    def __len__(self) -> int:
        return self.count


@dataclass
class Evaluation:
    """What supports and what contradicts a rule in this window."""

    support: list[RejectedRow]
    contradict: Sightings


def supporting(
    corpus: Corpus, rule: RuleSpec, pool: Sequence[RejectedRow] | None = None
) -> list[RejectedRow]:
    """Rejected rows whose value breaks ``rule`` (of its signature when it has a code)."""
    data = corpus.endpoints.get(rule.endpoint)
    if data is None:
        return []
    if pool is None:
        pool = [
            row
            for (_, code, message), rows in data.signatures.items()
            if rule.code is None
            or (code == rule.code and (not rule.message or message == rule.message))
            for row in rows
        ]
    return [r for r in pool if r.fields and any(not check(rule, v) for v in r.values(rule.field))]


def needs_scan(corpus: Corpus, rule: RuleSpec) -> bool:
    """True when the statistics cannot tell whether an accepted value breaks ``rule``."""
    data = corpus.endpoints.get(rule.endpoint)
    if data is None or not data.accepted:
        return False
    if rule.field not in data.stats and not kind_of(rule).judges_absent:
        return False
    return kind_of(rule).clear(rule.params, data.field_stats(rule.field)) is not True


def contradictions(corpus: Corpus, rules: Iterable[RuleSpec]) -> dict[str, Sightings]:
    """Accepted rows breaking each rule, by rule key (one pass over the window's rows for
    the rules the statistics cannot settle; the others see none)."""
    rules = list(rules)
    out = {r.key: Sightings(corpus) for r in rules}
    pending: dict[str, list[RuleSpec]] = {}
    for rule in rules:
        if needs_scan(corpus, rule):
            pending.setdefault(rule.endpoint, []).append(rule)
    if not pending:
        return out
    for row in iterate(corpus.rows):
        if row.get("outcome") != "accepted":
            continue
        todo = pending.get(row["endpoint"])
        if not todo:
            continue
        values = rejected_row(row)
        for rule in todo:
            if any(not check(rule, v) for v in values.values(rule.field)):
                out[rule.key].add(values.id, values.ts)
    return out


def evaluate(
    corpus: Corpus,
    rules: Sequence[RuleSpec],
    pools: Mapping[str, Sequence[RejectedRow]] | None = None,
) -> dict[str, Evaluation | None]:
    """Support and contradictions of each rule in this window, by key; None when the window
    holds no exchange of the rule's endpoint. ``pools``: the rejected rows that may support
    a rule, by key (default: its signature's)."""
    against = contradictions(corpus, rules)
    out: dict[str, Evaluation | None] = {}
    for rule in rules:
        if rule.endpoint not in corpus.endpoints:
            out[rule.key] = None
            continue
        pool = (pools or {}).get(rule.key)
        out[rule.key] = Evaluation(supporting(corpus, rule, pool), against[rule.key])
    return out
