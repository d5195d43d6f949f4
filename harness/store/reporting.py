"""What the incident report and the checklist need from the store, gathered in one place.

:func:`load_report_data` reads a window of captured exchanges (counts by endpoint and
outcome, production rejections by signature), the latest replay run that covers the window
(verdict counts per signature), the rules, and the exchanges that analogy rules flag. It
returns ids, counts, codes and the bank's (sanitized) messages: never a field value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from harness.errors import StoreError
from harness.report import AtRisk, ReportData, Signature
from harness.rules import RuleSpec, violations
from harness.store.models import Exchange, ReplayResult, ReplayRun

SAMPLE_IDS = 10  # exchange ids listed per flagged rule
STAGING_VERDICTS = ("production_only", "reproducible", "different_rejection", "target_error")


def _normalize(message: str | None) -> str | None:
    if message is None:
        return None
    try:
        from harness.classify import normalize_message
    except ImportError:  # the classifier is optional here: group by the message as stored
        return message.strip()
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


def _ids_verdicts(session: Session, runs: Sequence[RunTarget], ids: Sequence[int]) -> Counter[str]:
    query = _of_runs(
        select(ReplayResult.verdict, func.count())
        .where(ReplayResult.exchange_id.in_(list(ids)))
        .group_by(ReplayResult.verdict),
        runs,
    )
    return Counter({v: int(n) for v, n in session.execute(query) if v})


def rule_verdicts(
    session: Session,
    rules: Iterable[RuleSpec],
    runs: Sequence[RunTarget] | None = None,
    by_signature: dict[tuple[str, str | None, str | None], Counter[str]] | None = None,
) -> dict[str, dict[str, int]]:
    """Rule key -> replay verdict counts in each target's latest (or the given) runs.

    A learned or manual rule takes the verdicts of the rejections it explains (its endpoint
    and code, or its message when it has no code); an analogy rule only those of its own
    supporting exchanges.
    """
    try:
        if runs is None:
            runs = latest_runs(session, None, None)
        if not runs:
            return {}
        if by_signature is None:
            by_signature = signature_verdicts(session, runs)
        out: dict[str, dict[str, int]] = {}
        for rule in rules:
            counts: Counter[str] = Counter()
            if rule.source == "analogy":
                ids = [
                    i for i in (rule.evidence or {}).get("support_ids") or [] if isinstance(i, int)
                ]
                if ids:
                    counts = _ids_verdicts(session, runs, ids)
            else:
                message = _normalize(rule.message)
                for (endpoint, code, msg), verdicts in by_signature.items():
                    if endpoint != rule.endpoint:
                        continue
                    if (rule.code is not None and code == rule.code) or (
                        rule.code is None and message is not None and msg == message
                    ):
                        counts.update(verdicts)
            if counts:
                out[rule.key] = dict(counts)
        return out
    except SQLAlchemyError as exc:
        raise _store_error("read replay verdicts", exc) from None


def flagged_exchanges(
    session: Session, rules: Sequence[RuleSpec], start: datetime | None, end: datetime | None
) -> dict[str, AtRisk]:
    """Rule key -> the window's exchanges whose request breaks that rule (by outcome)."""
    by_endpoint: dict[str, list[RuleSpec]] = {}
    for rule in rules:
        by_endpoint.setdefault(rule.endpoint, []).append(rule)
    out = {r.key: AtRisk() for r in rules}
    for endpoint, group in by_endpoint.items():
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
            for rule in violations(group, flat, endpoint):
                risk = out[rule.key]
                risk.by_outcome[outcome] = risk.by_outcome.get(outcome, 0) + 1
                if len(risk.ids) < SAMPLE_IDS:
                    risk.ids.append(int(exchange_id))
    return out


def load_report_data(
    session: Session,
    *,
    plan_name: str,
    day: str | None,
    start: datetime | None,
    end: datetime | None,
) -> ReportData:
    """Everything :func:`harness.report.build_report` shows, for one window of the store."""
    from harness.store.rules import load_rules

    try:
        counts = traffic_counts(session, start, end)
        signatures = rejection_signatures(session, start, end)
        runs = latest_runs(session, start, end)
        by_signature = signature_verdicts(session, runs, start, end)
        rules = load_rules(session)
        analogy = [r for r in rules if r.source == "analogy"]
        verdicts = rule_verdicts(session, rules, runs, signature_verdicts(session, runs))
        at_risk = flagged_exchanges(session, analogy, start, end) if analogy else {}
    except SQLAlchemyError as exc:
        raise _store_error("read the report's data", exc) from None
    return ReportData(
        plan_name=plan_name,
        day=day,
        start=start,
        end=end,
        counts=counts,
        signatures=[
            Signature(e, c, m, n, dict(by_signature.get((e, c, m), {})))
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
    )


def _store_error(what: str, exc: SQLAlchemyError) -> StoreError:
    reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
    return StoreError(f"cannot {what}: {reason[0] if reason else type(exc).__name__}")
