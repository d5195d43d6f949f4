"""What the incident report shows, as plain values gathered from the store.

:func:`harness.report.gather.load_report_data` fills a :class:`ReportData`; the rest of
:mod:`harness.report` only reads it. Everything here is an id, a count, a code, a bank's
(sanitized) message or a time: never a field value.

Counting rules, so that every figure in the report means one thing:

- a rejection is *explained* by a rule when its request breaks the rule and the rule names
  the rejection's code (or its message, when the rule has no code); a rule's count is the
  rejections it explains, so rules that share one generic code each count their own;
- a rejection's *verdict* is what staging said when it was replayed (the latest run of each
  target): ``reproducible`` when any staging target rejected it the same way,
  ``production_only`` when staging accepted it, ``other`` for a different rejection or a
  target error, ``unreplayed`` when no staging replay covers it;
- a request is *at risk* when production accepted it and a suspected rule (one carried to
  an analogous field, or learned but unconfirmed) would reject it;
- *customers* are counted by the value of the first of the plan's sensitive fields a
  request carries (pseudonymized deterministically at capture, so equal values stay equal):
  list the customer identifier first in ``sensitive.fields``. Without sensitive fields the
  report does not count customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal

from harness.rules import RuleSpec

Category = Literal["production_only", "reproducible", "other", "unreplayed"]
CATEGORIES: tuple[Category, ...] = ("production_only", "reproducible", "other", "unreplayed")
CATEGORY_WORDS = {
    "production_only": "production-only",
    "reproducible": "reproducible in staging",
    "other": "other answer in staging",
    "unreplayed": "not replayed",
}


@dataclass(frozen=True)
class SignatureCount:
    """Production rejections with one endpoint, code and normalized message."""

    endpoint: str
    code: str | None
    message: str | None
    count: int
    verdicts: dict[str, int] = field(default_factory=dict)  # replay verdict -> count
    first_seen: datetime | None = None  # the first such rejection in the store


@dataclass
class Impact:
    """The window's rejections one rule explains (or that no rule explains)."""

    count: int = 0
    customers: int | None = None
    by_category: dict[str, int] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    ids: list[int] = field(default_factory=list)

    def category(self, name: str) -> int:
        return self.by_category.get(name, 0)


@dataclass
class AtRisk:
    """The window's exchanges a suspected rule would reject: counts by production outcome,
    distinct customers among the accepted ones, and a few ids (accepted ones first)."""

    by_outcome: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    customers: int | None = None

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def accepted(self) -> int:
        return self.by_outcome.get("accepted", 0)


@dataclass
class ReportData:
    plan_name: str
    day: str | None
    start: datetime | None
    end: datetime | None
    counts: list[tuple[str, str, int]] = field(default_factory=list)  # endpoint, outcome, n
    signatures: list[SignatureCount] = field(default_factory=list)
    run: dict[str, Any] | None = None  # the replay runs the verdicts come from
    rules: list[RuleSpec] = field(default_factory=list)
    rule_verdicts: dict[str, dict[str, int]] = field(default_factory=dict)  # rule key -> counts
    at_risk: dict[str, AtRisk] = field(default_factory=dict)  # suspected rule key -> flagged
    impacts: dict[str, Impact] = field(default_factory=dict)  # rule key -> what it explains
    unexplained: Impact = field(default_factory=Impact)
    timeline: dict[datetime, dict[str, int]] = field(default_factory=dict)  # UTC hour -> cat
    customers: int | None = None  # distinct customers among the window's rejections
    customer_fields: list[str] = field(default_factory=list)  # the fields that named them
    tz: tzinfo | None = None  # the timezone days and hours are shown in

    @property
    def total(self) -> int:
        return sum(n for _, _, n in self.counts)

    @property
    def rejected(self) -> int:
        return sum(n for _, o, n in self.counts if o == "rejected")

    def by_category(self) -> dict[str, int]:
        """All rejections of the window by verdict category (each rejection once)."""
        out: dict[str, int] = {}
        for cats in self.timeline.values():
            for name, n in cats.items():
                out[name] = out.get(name, 0) + n
        return out

    def impact(self, rule: RuleSpec) -> Impact:
        return self.impacts.get(rule.key) or Impact()

    def risk(self, rule: RuleSpec) -> AtRisk:
        return self.at_risk.get(rule.key) or AtRisk()
