"""One finished mitmproxy flow as the raw exchange record the ingest reads.

The record holds the raw request and response exactly as mitmproxy holds them, bodies cut
at the capture limit, nothing decoded (:mod:`harness.capture.record` turns it into a sanitized
row). The live capture (:mod:`harness.capture.frames`) and ``harness import`` of flow files share
it, so both go through the same decode, classify and sanitize path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.rows import RawExchange

if TYPE_CHECKING:
    from mitmproxy.http import HTTPFlow

__all__ = ["RawExchange", "record"]


def _body(content: bytes | None, limit: int) -> tuple[bytes | None, int, bool]:
    """(kept bytes, original size, truncated?) for a raw body."""
    if content is None:
        return None, 0, False
    size = len(content)
    if size > limit:
        return content[:limit], size, True
    return content, size, False


def record(flow: HTTPFlow, max_body: int) -> RawExchange:
    """The raw exchange as primitive values (marshal-able); no decoding here."""
    req = flow.request
    peer = flow.client_conn.peername
    req_body, req_size, req_trunc = _body(req.raw_content, max_body)
    rec: RawExchange = {
        "v": 1,
        "ts": req.timestamp_start,
        "client": f"{peer[0]}:{peer[1]}" if peer else None,
        "method": req.data.method,
        "scheme": req.data.scheme,
        "host": req.data.host,
        "port": req.data.port,
        "path": req.data.path,
        "req_headers": req.data.headers.fields,
        "req_body": req_body,
        "req_size": req_size,
        "req_truncated": req_trunc,
        "status": None,
        "resp_headers": (),
        "resp_body": None,
        "resp_size": 0,
        "resp_truncated": False,
        "t_end": None,
        "error": None,
    }
    resp = flow.response
    if resp is not None:
        body, size, trunc = _body(resp.raw_content, max_body)
        rec["status"] = resp.data.status_code
        rec["resp_headers"] = resp.data.headers.fields
        rec["resp_body"] = body
        rec["resp_size"] = size
        rec["resp_truncated"] = trunc
        rec["t_end"] = resp.timestamp_end
    if flow.error is not None:
        rec["error"] = flow.error.msg
        if rec["t_end"] is None:
            rec["t_end"] = flow.error.timestamp
    return rec
