"""What the incident report and the checklist need from the store, gathered in one place.

:func:`load_report_data` reads a window of captured exchanges (counts by endpoint and
outcome, production rejections by signature and since when), each target's latest replay
run that covers the window (verdicts per signature and per rejection), the rules with the
rejections each one explains, the requests suspected rules would reject, and customers by
pseudonym. :mod:`harness.report.model` says how each figure is counted. It returns ids,
counts, codes, times and the bank's (sanitized) messages: never a field value. Every scan
streams rows (``yield_per``) and keeps counters and capped samples, not rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from harness.codecs.fields import matches, name_of
from harness.errors import StoreError
from harness.export.openapi import EndpointFacts
from harness.outcome.signature import normalize_message
from harness.plan import Plan
from harness.report.model import AtRisk, Impact, ReportData, SignatureCount
from harness.rules import RuleSpec, violations
from harness.store.models import Exchange, ReplayResult, ReplayRun
from harness.store.rules import load_rules

SAMPLE_IDS = 10  # exchange ids listed per flagged rule
STAGING_VERDICTS = ("production_only", "reproducible", "different_rejection", "target_error")


def _normalize(message: str | None) -> str | None:
    if message is None:
        return None
    return normalize_message(message)


def _window(query: Any, start: datetime | None, end: datetime | None) -> Any:
    if start is not None:
        query = query.where(Exchange.ts >= start)
    if end is not None:
        query = query.where(Exchange.ts < end)
    return query


def traffic_counts(
    session: Session, start: datetime | None, end: datetime | None
) -> list[tuple[str, str, int]]:
    """(endpoint, outcome, count) for the window."""
    query = _window(
        select(Exchange.endpoint, Exchange.outcome, func.count()).group_by(
            Exchange.endpoint, Exchange.outcome
        ),
        start,
        end,
    )
    return sorted((e, o, int(n)) for e, o, n in session.execute(query))


def rejection_signatures(
    session: Session, start: datetime | None, end: datetime | None
) -> list[tuple[str, str | None, str | None, int]]:
    """(endpoint, code, normalized message, count) of production's rejections, most first."""
    query = _window(
        select(Exchange.endpoint, Exchange.code, Exchange.message, func.count())
        .where(Exchange.outcome == "rejected")
        .group_by(Exchange.endpoint, Exchange.code, Exchange.message),
        start,
        end,
    )
    merged: Counter[tuple[str, str | None, str | None]] = Counter()
    for endpoint, code, message, n in session.execute(query):
        merged[(endpoint, code, _normalize(message))] += int(n)
    return sorted(
        ((e, c, m, n) for (e, c, m), n in merged.items()), key=lambda s: (-s[3], s[0], s[1] or "")
    )


RunTarget = tuple[int, str]  # (replay run id, target name)


def latest_runs(session: Session, start: datetime | None, end: datetime | None) -> list[RunTarget]:
    """Per target, the newest replay (or live shadow) run with results in the window.

    A staging replay and a later mock replay both count: each target's newest word.
    """
    query = _window(
        select(ReplayResult.target, func.max(ReplayResult.run_id))
        .join(Exchange, Exchange.id == ReplayResult.exchange_id)
        .join(ReplayRun, ReplayRun.id == ReplayResult.run_id)
        .where(ReplayRun.kind.in_(("replay", "shadow")))
        .group_by(ReplayResult.target),
        start,
        end,
    )
    return sorted((int(run_id), target) for target, run_id in session.execute(query))


def _of_runs(query: Any, runs: Sequence[RunTarget]) -> Any:
    return query.where(
        or_(*(and_(ReplayResult.run_id == r, ReplayResult.target == t) for r, t in runs))
    )


def signature_verdicts(
    session: Session,
    runs: Sequence[RunTarget],
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[tuple[str, str | None, str | None], Counter[str]]:
    """(endpoint, code, normalized message) -> verdict -> count over the given runs' targets."""
    if not runs:
        return {}
    query = _window(
        _of_runs(
            select(
                Exchange.endpoint,
                Exchange.code,
                Exchange.message,
                ReplayResult.verdict,
                func.count(),
            ).join(ReplayResult, ReplayResult.exchange_id == Exchange.id),
            runs,
        )
        .where(Exchange.outcome == "rejected")
        .group_by(Exchange.endpoint, Exchange.code, Exchange.message, ReplayResult.verdict),
        start,
        end,
    )
    out: dict[tuple[str, str | None, str | None], Counter[str]] = {}
    for endpoint, code, message, verdict, n in session.execute(query):
        if verdict:
            out.setdefault((endpoint, code, _normalize(message)), Counter())[verdict] += int(n)
    return out


def rule_verdicts(
    session: Session,
    rules: Iterable[RuleSpec],
    runs: Sequence[RunTarget] | None = None,
) -> dict[str, dict[str, int]]:
    """Rule key -> replay verdict counts in each target's latest (or the given) runs.

    A learned or manual rule takes the verdicts of the rejections it explains (see
    :mod:`harness.report.model`: its own, even when it shares a generic code with other
    rules); an analogy rule only those of its own supporting exchanges.
    """
    rules = list(rules)
    try:
        if runs is None:
            runs = latest_runs(session, None, None)
        if not runs:
            return {}
        explained = explained_ids(session, rules, None, None)
        out: dict[str, dict[str, int]] = {}
        for rule in rules:
            if rule.source == "analogy":
                ids = [
                    i for i in (rule.evidence or {}).get("support_ids") or [] if isinstance(i, int)
                ]
            else:
                ids = explained.get(rule.key, [])
            counts = _ids_verdicts(session, runs, ids) if ids else Counter()
            if counts:
                out[rule.key] = dict(counts)
        return out
    except SQLAlchemyError as exc:
        raise _store_error("read replay verdicts", exc) from None


def _ids_verdicts(session: Session, runs: Sequence[RunTarget], ids: Sequence[int]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for chunk in _chunks(ids):
        query = _of_runs(
            select(ReplayResult.verdict, func.count())
            .where(ReplayResult.exchange_id.in_(chunk))
            .group_by(ReplayResult.verdict),
            runs,
        )
        counts.update({v: int(n) for v, n in session.execute(query) if v})
    return counts


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def explains(rule: RuleSpec, code: str | None, message: str | None) -> bool:
    """Whether ``rule`` can explain a rejection with this code and normalized message (the
    request must also break it): it names the code, or the message when it has no code; a
    learned or manual rule that names neither explains any rejection of its endpoint."""
    if rule.state == "retired":
        return False
    if rule.code is not None:
        return code == rule.code
    if rule.message is not None:
        return message is not None and _normalize(rule.message) == message
    return rule.source != "analogy"


def _rejected(
    session: Session, endpoints: Iterable[str] | None, start: Any, end: Any
) -> Iterator[Any]:
    """The window's rejections (of these endpoints), oldest id first, streamed."""
    query = select(
        Exchange.id,
        Exchange.ts,
        Exchange.endpoint,
        Exchange.code,
        Exchange.message,
        Exchange.request_fields,
    ).where(Exchange.outcome == "rejected")
    if endpoints is not None:
        query = query.where(Exchange.endpoint.in_(sorted(set(endpoints))))
    query = _window(query.order_by(Exchange.id), start, end)
    yield from session.execute(query.execution_options(yield_per=2000))


def _explained_by(by_endpoint: dict[str, list[RuleSpec]], row: Any) -> list[RuleSpec]:
    group = by_endpoint.get(row.endpoint) or []
    flat = row.request_fields if isinstance(row.request_fields, dict) else {}
    message = _normalize(row.message)
    candidates = [r for r in group if explains(r, row.code, message)]
    return violations(candidates, flat, row.endpoint) if candidates else []


def explained_ids(
    session: Session, rules: Sequence[RuleSpec], start: Any, end: Any
) -> dict[str, list[int]]:
    """Rule key -> ids of the rejections it explains in the window (every one)."""
    by_endpoint = _by_endpoint(r for r in rules if r.state != "retired")
    out: dict[str, list[int]] = {}
    if not by_endpoint:
        return out
    for row in _rejected(session, by_endpoint, start, end):
        for rule in _explained_by(by_endpoint, row):
            out.setdefault(rule.key, []).append(int(row.id))
    return out


def _by_endpoint(rules: Iterable[RuleSpec]) -> dict[str, list[RuleSpec]]:
    out: dict[str, list[RuleSpec]] = {}
    for rule in rules:
        out.setdefault(rule.endpoint, []).append(rule)
    return out


def exchange_categories(
    session: Session, runs: Sequence[RunTarget], start: Any, end: Any
) -> dict[int, str]:
    """Exchange id -> verdict category (see :mod:`harness.report.model`) of the window's
    rejections that a staging replay covers; the others are ``unreplayed``."""
    if not runs:
        return {}
    query = _window(
        _of_runs(
            select(ReplayResult.exchange_id, ReplayResult.verdict)
            .join(Exchange, Exchange.id == ReplayResult.exchange_id)
            .where(Exchange.outcome == "rejected", ReplayResult.verdict.in_(STAGING_VERDICTS)),
            runs,
        ),
        start,
        end,
    )
    rank = {"reproducible": 3, "production_only": 2, "other": 1}
    out: dict[int, str] = {}
    for exchange_id, verdict in session.execute(query.execution_options(yield_per=5000)):
        category = verdict if verdict in rank else "other"
        old = out.get(int(exchange_id))
        if old is None or rank[category] > rank[old]:
            out[int(exchange_id)] = category
    return out


CUSTOMER_CAP = 200_000  # distinct customers counted exactly at most (memory stays bounded)


class Customers:
    """Distinct customers, by the value of the first of the plan's sensitive fields a
    request carries (see :mod:`harness.report.model`)."""

    def __init__(self, plan: Plan | None) -> None:
        self.patterns = list(plan.sensitive_fields) if plan is not None else []
        self.fields_used: Counter[str] = Counter()

    @property
    def known(self) -> bool:
        return bool(self.patterns)

    def key(self, flat: Any) -> str | None:
        if not self.patterns or not isinstance(flat, dict):
            return None
        for pattern in self.patterns:
            for path, value in flat.items():
                if value not in (None, "") and matches(pattern, path):
                    self.fields_used[name_of(path)] += 1
                    return f"{pattern}\0{value}"
        return None

    @staticmethod
    def add(seen: set[int], key: str | None) -> None:
        if key is not None and len(seen) < CUSTOMER_CAP:
            seen.add(hash(key))


def _local_hour(ts: datetime, tz: tzinfo) -> datetime:
    if ts.tzinfo is None:  # SQLite hands back naive UTC
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(tz).replace(minute=0, second=0, microsecond=0)


def impacts(
    session: Session,
    rules: Sequence[RuleSpec],
    start: Any,
    end: Any,
    categories: dict[int, str],
    customers: Customers,
    tz: tzinfo,
) -> tuple[dict[str, Impact], Impact, dict[datetime, dict[str, int]], int | None]:
    """One pass over the window's rejections: what each rule explains, what none explains,
    rejections per local hour and verdict category, and distinct customers."""
    by_endpoint = _by_endpoint(r for r in rules if r.state != "retired")
    out: dict[str, Impact] = {}
    seen: dict[str, set[int]] = {}
    unexplained, unexplained_seen = Impact(), set[int]()
    timeline: dict[datetime, dict[str, int]] = {}
    everyone: set[int] = set()
    for row in _rejected(session, None, start, end):
        category = categories.get(int(row.id), "unreplayed")
        hour = timeline.setdefault(_local_hour(row.ts, tz), {})
        hour[category] = hour.get(category, 0) + 1
        key = customers.key(row.request_fields)
        customers.add(everyone, key)
        explained = _explained_by(by_endpoint, row)
        targets = [
            (out.setdefault(r.key, Impact()), seen.setdefault(r.key, set())) for r in explained
        ]
        for impact, who in targets or [(unexplained, unexplained_seen)]:
            _count(impact, who, row, category, key, customers)
    for key, impact in out.items():
        impact.customers = len(seen[key]) if customers.known else None
    unexplained.customers = len(unexplained_seen) if customers.known else None
    return out, unexplained, timeline, (len(everyone) if customers.known else None)


def _count(
    impact: Impact, who: set[int], row: Any, category: str, key: str | None, customers: Customers
) -> None:
    impact.count += 1
    impact.by_category[category] = impact.by_category.get(category, 0) + 1
    ts = row.ts if row.ts.tzinfo else row.ts.replace(tzinfo=UTC)
    impact.first = ts if impact.first is None or ts < impact.first else impact.first
    impact.last = ts if impact.last is None or ts > impact.last else impact.last
    if len(impact.ids) < SAMPLE_IDS:
        impact.ids.append(int(row.id))
    customers.add(who, key)


def flagged_exchanges(
    session: Session,
    rules: Sequence[RuleSpec],
    start: datetime | None,
    end: datetime | None,
    customers: Customers | None = None,
) -> dict[str, AtRisk]:
    """Rule key -> the window's exchanges whose request breaks that rule, by outcome, with
    the distinct customers among the accepted ones and a few ids (accepted ones first)."""
    customers = customers or Customers(None)
    out = {r.key: AtRisk() for r in rules}
    seen: dict[str, set[int]] = {r.key: set() for r in rules}
    rejected_ids: dict[str, list[int]] = {r.key: [] for r in rules}
    for endpoint, group in _by_endpoint(rules).items():
        query = _window(
            select(Exchange.id, Exchange.outcome, Exchange.request_fields)
            .where(Exchange.endpoint == endpoint)
            .order_by(Exchange.id),
            start,
            end,
        )
        for exchange_id, outcome, flat in session.execute(query.execution_options(yield_per=2000)):
            if not isinstance(flat, dict):
                continue
            broken = violations(group, flat, endpoint)
            key = customers.key(flat) if broken and outcome == "accepted" else None
            for rule in broken:
                risk = out[rule.key]
                risk.by_outcome[outcome] = risk.by_outcome.get(outcome, 0) + 1
                if outcome == "accepted":
                    customers.add(seen[rule.key], key)
                    if len(risk.ids) < SAMPLE_IDS:
                        risk.ids.append(int(exchange_id))
                elif len(rejected_ids[rule.key]) < SAMPLE_IDS:
                    rejected_ids[rule.key].append(int(exchange_id))
    for key, risk in out.items():
        risk.ids += rejected_ids[key][: SAMPLE_IDS - len(risk.ids)]
        risk.customers = len(seen[key]) if customers.known else None
    return out


def first_rejections(
    session: Session, end: datetime | None
) -> dict[tuple[str, str | None, str | None], datetime]:
    """(endpoint, code, normalized message) -> the first such rejection in the store (before
    ``end``): since when production has been refusing it."""
    query = _window(
        select(Exchange.endpoint, Exchange.code, Exchange.message, func.min(Exchange.ts))
        .where(Exchange.outcome == "rejected")
        .group_by(Exchange.endpoint, Exchange.code, Exchange.message),
        None,
        end,
    )
    out: dict[tuple[str, str | None, str | None], datetime] = {}
    for endpoint, code, message, first in session.execute(query):
        if first is None:
            continue
        first = first if first.tzinfo else first.replace(tzinfo=UTC)
        key = (endpoint, code, _normalize(message))
        out[key] = min(first, out.get(key, first))
    return out


def load_report_data(
    session: Session,
    *,
    plan_name: str,
    day: str | None,
    start: datetime | None,
    end: datetime | None,
    plan: Plan | None = None,
    tz: tzinfo = UTC,
) -> ReportData:
    """Everything :func:`harness.report.build_report` shows, for one window of the store."""
    customers = Customers(plan)
    try:
        counts = traffic_counts(session, start, end)
        signatures = rejection_signatures(session, start, end)
        firsts = first_rejections(session, end)
        runs = latest_runs(session, start, end)
        by_signature = signature_verdicts(session, runs, start, end)
        rules = load_rules(session)
        verdicts = rule_verdicts(session, rules, runs)
        categories = exchange_categories(session, runs, start, end)
        explained, unexplained, timeline, distinct = impacts(
            session, rules, start, end, categories, customers, tz
        )
        suspected = [r for r in rules if r.state == "suspected"]
        at_risk = (
            flagged_exchanges(session, suspected, start, end, Customers(plan)) if suspected else {}
        )
    except SQLAlchemyError as exc:
        raise _store_error("read the report's data", exc) from None
    return ReportData(
        plan_name=plan_name,
        day=day,
        start=start,
        end=end,
        counts=counts,
        signatures=[
            SignatureCount(e, c, m, n, dict(by_signature.get((e, c, m), {})), firsts.get((e, c, m)))
            for e, c, m, n in signatures
        ],
        run=(
            {
                "ids": sorted({run_id for run_id, _ in runs}),
                "targets": sorted({target for _, target in runs}),
                "by_target": {target: run_id for run_id, target in runs},
            }
            if runs
            else None
        ),
        rules=rules,
        rule_verdicts=verdicts,
        at_risk=at_risk,
        impacts=explained,
        unexplained=unexplained,
        timeline=timeline,
        customers=distinct,
        customer_fields=[name for name, _ in customers.fields_used.most_common()],
        tz=tz,
    )


def _store_error(what: str, exc: SQLAlchemyError) -> StoreError:
    reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
    return StoreError(f"cannot {what}: {reason[0] if reason else type(exc).__name__}")


def count_results(
    session: Session, run_id: int, *, verdict: str | None = None, target: str | None = None
) -> int:
    """How many results a run has (with this verdict, for this target): the total behind a
    ``harness runs show --limit`` listing."""
    query = select(func.count()).select_from(ReplayResult).where(ReplayResult.run_id == run_id)
    if verdict:
        query = query.where(ReplayResult.verdict == verdict)
    if target:
        query = query.where(ReplayResult.target == target)
    try:
        return int(session.execute(query).scalar_one())
    except SQLAlchemyError as exc:
        raise _store_error("count replay results", exc) from None


def endpoint_facts(session: Session) -> dict[str, EndpointFacts]:
    """Per endpoint: its most frequent request format and charset, and the HTTP statuses of
    production's acceptances and rejections (for the OpenAPI export)."""
    formats: dict[str, Counter[tuple[str, str | None]]] = {}
    statuses: dict[str, dict[str, set[int]]] = {}
    try:
        for endpoint, fmt, charset, n in session.execute(
            select(
                Exchange.endpoint, Exchange.request_format, Exchange.request_charset, func.count()
            ).group_by(Exchange.endpoint, Exchange.request_format, Exchange.request_charset)
        ):
            formats.setdefault(endpoint, Counter())[(fmt, charset)] += int(n)
        for endpoint, outcome, status in session.execute(
            select(Exchange.endpoint, Exchange.outcome, Exchange.status)
            .where(Exchange.status.is_not(None))
            .group_by(Exchange.endpoint, Exchange.outcome, Exchange.status)
        ):
            statuses.setdefault(endpoint, {}).setdefault(outcome, set()).add(int(status or 0))
    except SQLAlchemyError as exc:
        raise _store_error("read the endpoints' traffic", exc) from None
    out = {}
    for endpoint, counts in formats.items():
        (fmt, charset), _ = counts.most_common(1)[0]
        seen = statuses.get(endpoint, {})
        out[endpoint] = EndpointFacts(
            media=fmt,
            charset=charset,
            accepted=tuple(sorted(seen.get("accepted", ()))),
            rejected=tuple(sorted(seen.get("rejected", ()))),
        )
    return out
