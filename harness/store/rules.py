"""Rules in the store: save (upsert by key), load, look up, change state.

The learner returns :class:`harness.rules.RuleSpec` values; this module turns them into rows
of :class:`harness.store.models.Rule` and back. What saving a rule does to what is stored
(a new rule, evidence merged into the same rule, a stored rule refined in place) is decided
by :func:`harness.rules.evolution.fold`; this module only persists it, and resolves an
analogy rule's origin key to the origin's id once both are stored.

Evidence keys the row's columns come from: ``first_seen`` / ``last_seen`` (ISO 8601
instants); everything else in ``evidence`` is kept as it is (see
:mod:`harness.rules.evolution` and docs/rules-format.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from harness.errors import ConfigError, NotFoundError, StoreError
from harness.rows import LearningRow
from harness.rules import RuleSpec
from harness.rules.evolution import fold
from harness.store.models import Exchange, ReplayResult, Rule
from harness.timeutil import instant
from harness.vocab import RULE_SOURCES, RULE_STATES, RuleSource, RuleState

_KEY_MAX = 512  # width of rules.key


def storage_key(key: str) -> str:
    """A rule key that fits the column: long keys keep a prefix and a SHA-256 of the whole."""
    if len(key) <= _KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key[: _KEY_MAX - len(digest) - 1]}#{digest}"


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_spec(row: Rule) -> RuleSpec:
    """A stored row as a :class:`RuleSpec` (first/last seen copied into its evidence)."""
    evidence = dict(row.evidence or {})
    if row.first_seen is not None:
        evidence["first_seen"] = _aware(row.first_seen).isoformat()  # type: ignore[union-attr]
    if row.last_seen is not None:
        evidence["last_seen"] = _aware(row.last_seen).isoformat()  # type: ignore[union-attr]
    return RuleSpec(
        endpoint=row.endpoint,
        field=row.field,
        kind=row.kind,
        params=dict(row.params or {}),
        code=row.code,
        message=row.message,
        # to_model and set_state let no other word into these columns
        source=cast(RuleSource, row.source),
        state=cast(RuleState, row.state),
        confidence=float(row.confidence or 0.0),
        support=int(row.support or 0),
        contradict=int(row.contradict or 0),
        evidence=evidence,
        derived_from=row.derived_from,
        id=row.id,
    )


def to_model(spec: RuleSpec, row: Rule | None = None, now: datetime | None = None) -> Rule:
    """Write ``spec`` into ``row`` (a new row when None); the id is never copied."""
    now = now or datetime.now(UTC)
    if spec.state not in RULE_STATES:
        raise ConfigError(f"unknown rule state {spec.state!r}")
    if spec.source not in RULE_SOURCES:
        raise ConfigError(f"unknown rule source {spec.source!r}")
    row = row if row is not None else Rule()
    row.key = storage_key(spec.key)
    row.endpoint = spec.endpoint
    row.field = spec.field
    row.kind = spec.kind
    row.params = dict(spec.params)
    row.code = spec.code
    row.message = spec.message
    row.evidence = dict(spec.evidence)
    row.support = int(spec.support)
    row.contradict = int(spec.contradict)
    row.confidence = float(spec.confidence)
    row.source = spec.source
    row.state = spec.state
    if spec.derived_from is not None:
        row.derived_from = spec.derived_from
    row.first_seen = instant(spec.evidence.get("first_seen")) or row.first_seen or now
    row.last_seen = instant(spec.evidence.get("last_seen")) or row.last_seen or now
    row.updated_at = now
    return row


def _rows_by_key(session: Session, keys: Sequence[str]) -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        for row in session.scalars(select(Rule).where(Rule.key.in_(chunk))):
            found[row.key] = row
    return found


def save_rules(
    session: Session, specs: Iterable[RuleSpec], now: datetime | None = None
) -> list[RuleSpec]:
    """Insert or update rules by key; returns them as stored (with ids), in input order
    (what each save does: :func:`harness.rules.evolution.fold`)."""
    now = now or datetime.now(UTC)
    specs = list(specs)
    wanted = [storage_key(s.key) for s in specs]
    wanted += [storage_key(s.replaces) for s in specs if s.replaces]
    rows = _rows_by_key(session, wanted)
    order: list[Rule] = []
    origins: list[tuple[Rule, str]] = []
    for spec in specs:
        key = storage_key(spec.key)
        same = rows.get(key)
        old = rows.get(storage_key(spec.replaces)) if spec.replaces and same is None else None
        change = fold(
            spec,
            to_spec(same) if same is not None else None,
            to_spec(old) if old is not None else None,
            now,
        )
        stored = same if same is not None else old
        if stored is None:  # a new rule
            row = to_model(change.spec, now=now)
            session.add(row)
        else:
            if change.action == "refined":
                rows.pop(storage_key(str(spec.replaces)), None)
            row = to_model(change.spec, stored, now=now)
        rows[key] = row
        order.append(row)
        if change.origin:
            origins.append((row, change.origin))
    session.flush()
    pending = [(row, origin) for row, origin in origins if row.derived_from is None]
    if pending:
        found = _rows_by_key(session, [storage_key(origin) for _, origin in pending])
        for row, origin in pending:
            stored = found.get(storage_key(origin))
            if stored is not None and stored.id != row.id:
                row.derived_from = stored.id
        session.flush()
    return [to_spec(r) for r in order]


def load_rules(
    session: Session,
    endpoint: str | None = None,
    state: str | None = None,
    include_retired: bool = False,
    *,
    source: str | None = None,
    field: str | None = None,
) -> list[RuleSpec]:
    """Stored rules, by endpoint, field, id. Retired rules only when asked for (by
    ``include_retired`` or ``state="retired"``)."""
    if state is not None and state not in RULE_STATES:
        raise ConfigError(f"unknown rule state {state!r} (want one of {', '.join(RULE_STATES)})")
    if source is not None and source not in RULE_SOURCES:
        raise ConfigError(f"unknown rule source {source!r} (want one of {', '.join(RULE_SOURCES)})")
    query = select(Rule)
    if endpoint is not None:
        query = query.where(Rule.endpoint == endpoint)
    if field is not None:
        query = query.where(Rule.field == field)
    if source is not None:
        query = query.where(Rule.source == source)
    if state is not None:
        query = query.where(Rule.state == state)
    elif not include_retired:
        query = query.where(Rule.state != "retired")
    query = query.order_by(Rule.endpoint, Rule.field, Rule.id)
    return [to_spec(r) for r in session.scalars(query)]


def _row(session: Session, rule_id: int) -> Rule:
    row = session.get(Rule, rule_id)
    if row is None:
        raise NotFoundError(f"no rule with id {rule_id!r}")
    return row


def get_rule(session: Session, rule_id: int) -> RuleSpec:
    """One stored rule; :class:`NotFoundError` when there is none with that id."""
    return to_spec(_row(session, rule_id))


def set_state(
    session: Session,
    rule_id: int,
    state: str,
    *,
    by: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> RuleSpec:
    """A manual decision: set a rule's state and record who decided and when.

    The source stays what it was; later learning keeps the decision (see :func:`merge`).
    """
    if state not in RULE_STATES:
        raise ConfigError(f"unknown rule state {state!r} (want one of {', '.join(RULE_STATES)})")
    now = now or datetime.now(UTC)
    row = _row(session, rule_id)
    evidence = dict(row.evidence or {})
    decision: dict[str, Any] = {"state": state, "by": by or "unknown", "at": now.isoformat()}
    if note:
        decision["note"] = note
    evidence["manual"] = [*(evidence.get("manual") or []), decision]
    row.evidence = evidence
    row.state = state
    row.updated_at = now
    session.flush()
    return to_spec(row)


# -- what the learner reads ----------------------------------------------------------------

_LEARN_COLUMNS = (
    Exchange.id,
    Exchange.ts,
    Exchange.endpoint,
    Exchange.outcome,
    Exchange.code,
    Exchange.message,
    Exchange.request_fields,
    Exchange.notes,
)
_YIELD_PER = 5000  # rows fetched at a time: the learner never holds the window


def _learning_row(row: Sequence[Any]) -> LearningRow:
    """One result row of ``select(*_LEARN_COLUMNS)`` as the learner's row."""
    id_, ts, endpoint, outcome, code, message, request_fields, notes = row
    return LearningRow(
        id=id_,
        ts=ts,
        endpoint=endpoint,
        outcome=outcome,
        code=code,
        message=message,
        request_fields=request_fields,
        notes=notes,
    )


def _window(query: Any, start: datetime | None, end: datetime | None, endpoint: str | None) -> Any:
    if start is not None:
        query = query.where(Exchange.ts >= start)
    if end is not None:
        query = query.where(Exchange.ts < end)
    if endpoint is not None:
        query = query.where(Exchange.endpoint == endpoint)
    return query


def count_window(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    endpoint: str | None = None,
) -> int:
    """How many exchanges a window holds."""
    try:
        query = _window(select(func.count(Exchange.id)), start, end, endpoint)
        return int(session.execute(query).scalar_one())
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot count exchanges: {type(exc).__name__}") from None


def iter_learning_rows(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    endpoint: str | None = None,
) -> Iterator[LearningRow]:
    """The exchanges of a window as the learner's rows (id, ts, endpoint, outcome, code,
    message, request_fields, notes), oldest first, fetched :data:`_YIELD_PER` at a time (a
    server-side cursor on PostgreSQL)."""
    query = _window(select(*_LEARN_COLUMNS), start, end, endpoint).order_by(
        Exchange.ts, Exchange.id
    )
    try:
        for row in session.execute(query.execution_options(yield_per=_YIELD_PER)):
            yield _learning_row(row)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read exchanges: {type(exc).__name__}") from None


def learning_rows(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    endpoint: str | None = None,
) -> list[LearningRow]:
    """:func:`iter_learning_rows` as a list (small windows and tests)."""
    return list(iter_learning_rows(session, start, end, endpoint))


def stream_learning_rows(
    factory: sessionmaker[Session],
    start: datetime | None = None,
    end: datetime | None = None,
    endpoint: str | None = None,
) -> Callable[[], Iterator[LearningRow]]:
    """A callable the learner calls for a fresh pass over the window, each in its own
    session: rows stream from the store and are never all in memory."""

    def rows() -> Iterator[LearningRow]:
        with factory() as session:
            yield from iter_learning_rows(session, start, end, endpoint)

    return rows


class StoredRows:
    """The learner rows probing needs, looked up in the store on demand: a rejected
    exchange by id, and an accepted sibling to repair it from."""

    SIBLING_SCAN = 500  # most recent accepted exchanges considered as siblings

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def by_ids(self, ids: Sequence[Any]) -> LearningRow | None:
        """The row of the first of ``ids`` the store holds."""
        wanted = [int(i) for i in ids if isinstance(i, int) or str(i).isdigit()][:100]
        if not wanted:
            return None
        query = select(*_LEARN_COLUMNS).where(Exchange.id.in_(wanted))
        try:
            with self.factory() as session:
                found = {row[0]: _learning_row(row) for row in session.execute(query)}
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read exchanges: {type(exc).__name__}") from None
        return next((found[i] for i in wanted if i in found), None)

    def siblings(self, endpoint: str) -> list[LearningRow]:
        """The most recent accepted exchanges on ``endpoint`` (a rejected request is
        repaired from the one closest to it)."""
        query = (
            select(*_LEARN_COLUMNS)
            .where(Exchange.endpoint == endpoint, Exchange.outcome == "accepted")
            .order_by(Exchange.id.desc())
            .limit(self.SIBLING_SCAN)
        )
        try:
            with self.factory() as session:
                return [_learning_row(row) for row in session.execute(query)]
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read exchanges: {type(exc).__name__}") from None


_VERDICT_RANK = {"production_only": 0, "reproducible": 0, "different_rejection": 0}


def replay_verdicts(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> dict[int, str]:
    """Exchange id -> the verdict of its most recent replay result (any run, any target),
    for the exchanges of a window."""
    query = (
        select(ReplayResult.exchange_id, ReplayResult.verdict)
        .join(Exchange, Exchange.id == ReplayResult.exchange_id)
        .where(ReplayResult.verdict.is_not(None))
        .order_by(ReplayResult.id)
    )
    if start is not None:
        query = query.where(Exchange.ts >= start)
    if end is not None:
        query = query.where(Exchange.ts < end)
    out: dict[int, str] = {}
    try:
        for i, v in session.execute(query):
            held = out.get(int(i))
            # A staging verdict says more about production than a mock's: it wins.
            if held is None or _VERDICT_RANK.get(str(v), 1) <= _VERDICT_RANK.get(held, 1):
                out[int(i)] = str(v)
        return out
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read replay verdicts: {type(exc).__name__}") from None
