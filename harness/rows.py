"""What flows between the stages, as typed dicts: one shape per hand-over.

=====================  ==================================  =======================================
shape                  made by                             read by
=====================  ==================================  =======================================
:class:`RawExchange`   the proxy (:func:`harness.capture.  the ingest (:class:`harness.capture.
                       flowrecord.record`), ``harness      record.RowBuilder`), over the pipe
                       import`` (:mod:`harness.capture.    (:mod:`harness.capture.frames`)
                       har`)
:class:`ExchangeRow`   :meth:`harness.capture.record.      the sink and its spool
                       RowBuilder.build`                   (:mod:`harness.capture.sink`), the
                                                           store (:func:`harness.store.queries.
                                                           insert_exchanges`), the live shadow
:class:`LearningRow`   the store (:func:`harness.store.    the learner (:class:`harness.learn.
                       rules.iter_learning_rows`)          profile.Corpus`) and the prober
=====================  ==================================  =======================================

A :class:`RawExchange` is *raw*: unsanitized bytes as the client and the gateway sent them;
it lives only inside the proxy and the ingest process. The two rows hold only sanitized
values. Typed dicts are plain dicts at run time (marshal, JSON and SQLAlchemy take them as
they are); the types are for the reader and for mypy. Readers of a raw exchange use
``.get``: a record from an older proxy or a test may lack keys.
"""

# No ``from __future__ import annotations`` here: TypedDict reads NotRequired[...] at class
# creation, so ExchangeRow.__optional_keys__ says ``id`` only with evaluated annotations.
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from harness.vocab import ExchangeOutcome

__all__ = ["ExchangeRow", "HeaderPairs", "LearningRow", "RawExchange"]

HeaderPairs = Sequence[tuple[bytes, bytes]]  # header fields in order, as on the wire


class RawExchange(TypedDict):
    """One finished exchange as primitive values (marshal-able), nothing decoded.

    Bodies are cut at the capture limit (``*_truncated``; ``*_size`` is the size before the
    cut). ``ts`` and ``t_end`` are epoch seconds; ``status`` is None and ``error`` set when
    no answer came.
    """

    v: int  # the record's version: 1
    ts: float | None
    client: str | None  # "host:port" of the client
    method: bytes
    scheme: bytes
    host: str
    port: int
    path: bytes  # path and query, raw
    req_headers: HeaderPairs
    req_body: bytes | None
    req_size: int
    req_truncated: bool
    status: int | None
    resp_headers: HeaderPairs
    resp_body: bytes | None
    resp_size: int
    resp_truncated: bool
    t_end: float | None
    error: str | None  # the transport error, raw


class ExchangeRow(TypedDict):
    """One sanitized exchange, keyed by the columns of ``exchanges``
    (:class:`harness.store.models.Exchange` documents each, and the keys of ``notes``).

    ``id`` is there only once the store has given one (a sink that wants ids sets it).
    """

    ts: datetime
    client: str | None
    method: str
    scheme: str
    host: str
    path: str
    endpoint: str
    request_headers: list[list[str]]  # [[name, value], ...]
    request_body: bytes | None
    request_format: str
    request_charset: str | None
    request_fields: dict[str, Any] | None  # flat path -> leaf
    request_size: int
    request_truncated: bool
    status: int | None
    response_headers: list[list[str]]
    response_body: bytes | None
    response_format: str
    response_charset: str | None
    response_fields: dict[str, Any] | None
    response_size: int
    response_truncated: bool
    outcome: ExchangeOutcome
    code: str | None
    message: str | None
    duration_ms: float | None
    error: str | None
    notes: dict[str, Any] | None
    instance: str | None
    id: NotRequired[int]


class LearningRow(TypedDict):
    """The columns of one stored exchange the learner reads (what induction, analogy and
    probing need, nothing else)."""

    id: int
    ts: datetime
    endpoint: str
    outcome: ExchangeOutcome
    code: str | None
    message: str | None
    request_fields: dict[str, Any] | None
    notes: dict[str, Any] | None
