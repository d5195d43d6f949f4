"""A simulated bank's day captured in-process: the real sanitizing row builder, no sockets.

``captured(requests, gateway, plan)`` answers each simulated request with the bank's
gateway (its production role), turns the request/response pair into the raw record the
capture addon hands to the ingest process, and builds the sanitized row the ingest would
store (:class:`harness.capture.record.RowBuilder`). The rows come back in the learner's shape. Tests
that need real processes use the proxy; learning tests use this to cover several banks and
days quickly. The sanitizer runs as in production: rules are learned from pseudonyms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from harness.capture.record import RowBuilder
from harness.plan import Plan

KEY = bytes.fromhex("5a" * 32)
LEARN_KEYS = ("id", "ts", "endpoint", "outcome", "code", "message", "request_fields", "notes")

# (method, path, headers, body) -> (status, content type, body)
Answer = Callable[[str, str, dict[str, str], bytes], tuple[int, str, bytes]]


def record(
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    ctype: str,
    reply: bytes,
    ts: float,
) -> dict[str, Any]:
    """The raw record :mod:`harness.capture.addon` builds for one exchange."""
    return {
        "v": 1,
        "ts": ts,
        "t_end": ts + 0.01,
        "client": "127.0.0.1:40000",
        "method": method.encode(),
        "scheme": b"http",
        "host": "127.0.0.1",
        "port": 18080,
        "path": path.encode(),
        "req_headers": tuple((k.encode(), v.encode()) for k, v in headers.items()),
        "req_body": body,
        "req_size": len(body),
        "req_truncated": False,
        "status": status,
        "resp_headers": ((b"content-type", ctype.encode()),),
        "resp_body": reply,
        "resp_size": len(reply),
        "resp_truncated": False,
        "error": None,
    }


def stored_rows(
    requests: Iterable[Any], answer: Answer, plan: Plan, *, start_id: int = 1
) -> list[dict[str, Any]]:
    """The sanitized ``exchanges`` rows the ingest would store for ``requests`` (objects with
    method, path, headers, body and sim_time), answered by ``answer``."""
    builder = RowBuilder(plan, KEY)
    rows = []
    for i, req in enumerate(requests, start_id):
        status, ctype, reply = answer(req.method, req.path, dict(req.headers), req.body)
        rec = record(
            req.method, req.path, dict(req.headers), req.body, status, ctype, reply,
            req.sim_time.timestamp(),
        )  # fmt: skip
        rows.append(builder.build(rec, i))
    return rows


def captured(
    requests: Iterable[Any], answer: Answer, plan: Plan, *, start_id: int = 1
) -> list[dict[str, Any]]:
    """:func:`stored_rows` in the learner's shape (with ids)."""
    out = []
    for i, row in enumerate(stored_rows(requests, answer, plan, start_id=start_id), start_id):
        out.append({**{k: row.get(k) for k in LEARN_KEYS}, "id": i})
    return out


def production(bank: Any) -> Answer:
    """A simulated bank's production role as an :data:`Answer`."""
    from harness.sim.gateway import Gateway

    gateway = Gateway(bank, "prod")

    def answer(method: str, path: str, headers: dict[str, str], body: bytes):
        reply = gateway.handle(method, path, headers.get("Content-Type"), None, body)
        return reply.status, reply.content_type, reply.body

    return answer
