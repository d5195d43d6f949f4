"""Facts derived from :class:`ReportData` that several parts of the report state: pure.

Rules are grouped by what a reader acts on, one endpoint's field; each group carries the
rejections its rules explain (a rejection explained by two rules of one field counts once
for the field only if both rules name it: the group adds the rules' own counts, and the
report says "rejections explained", never "requests", for a group's figure).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, tzinfo

from harness.report.model import ReportData
from harness.rules import RuleSpec, describe


@dataclass
class FieldGroup:
    """The live rules on one endpoint's field and what they explain in the window."""

    endpoint: str
    field: str
    rules: list[RuleSpec] = dataclasses.field(default_factory=list)
    count: int = 0
    production_only: int = 0
    reproducible: int = 0
    customers: int | None = None
    first: datetime | None = None  # first such rejection in the store (since when)

    @property
    def words(self) -> str:
        return "; ".join(describe(r) for r in self.rules)

    @property
    def where(self) -> str:
        """Who enforces it, from the replays: production only, staging too, or unknown."""
        if self.reproducible:
            return "staging too"
        if self.production_only:
            return "production only"
        return "not replayed"


def since(data: ReportData, rule: RuleSpec) -> datetime | None:
    """The first rejection in the store that ``rule`` could explain (its endpoint and code,
    or message), else the first it explains in the window."""
    firsts = [
        s.first_seen
        for s in data.signatures
        if s.first_seen is not None
        and s.endpoint == rule.endpoint
        and (
            (rule.code is not None and s.code == rule.code)
            or (rule.code is None and rule.message is not None and s.message == rule.message)
        )
    ]
    return min(firsts) if firsts else data.impact(rule).first


def learned_groups(data: ReportData) -> list[FieldGroup]:
    """Fields with live learned (or manual) rules, most explained rejections first."""
    groups: dict[tuple[str, str], FieldGroup] = {}
    for rule in data.rules:
        if rule.state == "retired" or rule.source == "analogy":
            continue
        g = groups.setdefault((rule.endpoint, rule.field), FieldGroup(rule.endpoint, rule.field))
        g.rules.append(rule)
        impact = data.impact(rule)
        g.count += impact.count
        g.production_only += impact.category("production_only")
        g.reproducible += impact.category("reproducible")
        if impact.customers is not None:
            g.customers = max(g.customers or 0, impact.customers)
        first = since(data, rule)
        if first is not None and (g.first is None or first < g.first):
            g.first = first
    return sorted(
        groups.values(), key=lambda g: (-g.production_only, -g.count, g.endpoint, g.field)
    )


def suspected(data: ReportData) -> list[RuleSpec]:
    """Live suspected rules, most accepted requests at risk first."""
    rules = [r for r in data.rules if r.state == "suspected"]
    return sorted(rules, key=lambda r: (-data.risk(r).accepted, r.endpoint, r.field, r.kind))


def at_risk_total(data: ReportData) -> int:
    """Accepted requests that at least one suspected rule would reject (a request broken by
    two such rules counts for each: an upper bound, said so where it is shown)."""
    return sum(data.risk(r).accepted for r in suspected(data))


def origin(data: ReportData, rule: RuleSpec) -> RuleSpec | None:
    by_id = {r.id: r for r in data.rules if r.id is not None}
    if rule.derived_from is not None and rule.derived_from in by_id:
        return by_id[rule.derived_from]
    key = (rule.evidence or {}).get("derived_from_key")
    return next((r for r in data.rules if r.key == key), None)


def production_only_total(data: ReportData) -> int:
    return data.by_category().get("production_only", 0)


def when(ts: datetime | None, tz: tzinfo | None, day: bool = True) -> str:
    """A time for people, in the report's timezone: ``2026-11-24 08:03``."""
    if ts is None:
        return "?"
    local = ts.astimezone(tz) if tz is not None else ts
    return local.strftime("%Y-%m-%d %H:%M" if day else "%H:%M")


def percent(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    value = 100 * part / whole
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"
