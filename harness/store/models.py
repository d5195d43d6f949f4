"""The store's tables: exchanges, replay runs and results, rules.

Every value here is already sanitized: the ingest process pseudonymizes before insert.
Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps the zone; SQLite hands back naive values, which are UTC by construction
    here, so they get their zone back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Exchange(Base):
    """One captured request/response pair, sanitized.

    ``notes`` (JSON, or None) says what the ingest did beyond the columns; keys a consumer
    may read:

    - ``pseudonymized``: sorted list of the request field paths (keys of
      ``request_fields``) whose stored value is not the raw one: the sanitizer replaced
      it whole or in part. Their values are pseudonyms: never build an enum from them.
    - ``request_content_encoding`` / ``response_content_encoding``: the encodings undone
      (``"gzip"``, ``"br, gzip"``) or ``"undecodable"``.
    - ``request_digest`` / ``response_digest``: a keyed digest of a binary body (not kept).
    - ``ingest_error``: the stage that failed (``"decode: ValueError"``); its columns are
      empty.
    """

    __tablename__ = "exchanges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    client: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    scheme: Mapped[str] = mapped_column(String(8), default="http")
    host: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)  # path and sanitized query string
    endpoint: Mapped[str] = mapped_column(String(512))  # "POST /v1/accounts/{id}"

    request_headers: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[name, value], ...]
    request_body: Mapped[bytes | None] = mapped_column(
        LargeBinary
    )  # sanitized, original format+charset
    request_format: Mapped[str] = mapped_column(String(16), default="empty")
    request_charset: Mapped[str | None] = mapped_column(String(32))
    request_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # flat path -> leaf
    request_size: Mapped[int] = mapped_column(Integer, default=0)  # bytes on the wire
    request_truncated: Mapped[bool] = mapped_column(Boolean, default=False)

    status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_format: Mapped[str] = mapped_column(String(16), default="empty")
    response_charset: Mapped[str | None] = mapped_column(String(32))
    response_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_size: Mapped[int] = mapped_column(Integer, default=0)
    response_truncated: Mapped[bool] = mapped_column(Boolean, default=False)

    outcome: Mapped[str] = mapped_column(String(16))  # accepted | rejected | upstream_error
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)  # transport failure, e.g. "connection refused"
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # decode problems, body hashes
    # The capture sidecar that stored it (``--instance``), or ``import`` for imported files.
    instance: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_exchanges_endpoint_outcome_ts", "endpoint", "outcome", "ts"),
        Index("ix_exchanges_outcome_ts", "outcome", "ts"),
        Index("ix_exchanges_code", "code"),
        Index("ix_exchanges_ts", "ts"),
    )


class ReplayRun(Base):
    """One replay (or live shadow, or probe) run over a selection of exchanges."""

    __tablename__ = "replay_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), default="replay")  # replay | shadow | probe
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="running")  # running | done | failed
    plan_name: Mapped[str | None] = mapped_column(String(128))
    selection: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # name -> url
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ReplayResult(Base):
    """What one target answered to one replayed exchange (or variant of it)."""

    __tablename__ = "replay_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("replay_runs.id", ondelete="CASCADE"))
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str] = mapped_column(String(128), default="sanitized")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16))  # accepted | rejected | upstream_error
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    diff: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    verdict: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_replay_results_run", "run_id"),
        Index("ix_replay_results_exchange", "exchange_id"),
        Index("ix_replay_results_verdict", "verdict"),
    )


class Rule(Base):
    """A field rule production enforces, with its evidence."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)  # endpoint|field|kind|params
    endpoint: Mapped[str] = mapped_column(String(512))
    field: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    support: Mapped[int] = mapped_column(Integer, default=0)
    contradict: Mapped[int] = mapped_column(Integer, default=0)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(16), default="learned")  # learned | analogy | manual
    state: Mapped[str] = mapped_column(
        String(16), default="suspected"
    )  # suspected|confirmed|retired
    derived_from: Mapped[int | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_rules_endpoint_field", "endpoint", "field"),)


def width(model: type[Base], column: str) -> int:
    """The length of one of ``model``'s string columns: what a value is clipped to."""
    kind = model.__table__.c[column].type
    if not isinstance(kind, String) or kind.length is None:
        raise TypeError(f"{model.__name__}.{column} is not a string column with a length")
    return kind.length
