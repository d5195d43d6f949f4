"""HAR 1.2 both ways: entries as raw exchange records (import), stored exchanges as entries
(export). Pure: values in, values out.

Import (:func:`records`): each entry becomes the record the capture addon builds for a
live flow (:mod:`harness.capture.flowrecord`), so ``harness import`` decodes, classifies and
sanitizes it exactly as live traffic. A HAR holds bodies as text, already decoded by the
browser or tool that wrote it: the text is encoded back in the charset its ``mimeType``
names (UTF-8 otherwise), ``"encoding": "base64"`` is honoured, and ``Content-Encoding``
headers are dropped (the body is identity now). A response with status 0 (none came) is
an upstream error. HTTP/2 pseudo-headers (``:authority``) are not headers.

Export (:func:`entry`): a stored exchange (already sanitized: pseudonyms, redacted
headers) as a HAR entry, with what the harness knows in ``_harness`` (id, endpoint,
outcome, code, message, instance).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from harness.errors import ConfigError
from harness.rows import RawExchange

__all__ = ["CREATOR", "entry", "records"]

CREATOR = {"name": "bank-shadow-harness", "version": "1"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _charset(mime: str | None) -> str:
    for part in (mime or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def _bytes(text: Any, encoding: str | None, mime: str | None) -> bytes:
    if text is None:
        return b""
    if encoding == "base64":
        try:
            return base64.b64decode(str(text))
        except ValueError:
            return b""
    try:
        return str(text).encode(_charset(mime))
    except (LookupError, UnicodeEncodeError):
        return str(text).encode("utf-8")


def _cut(data: bytes, limit: int) -> tuple[bytes | None, int, bool]:
    if not data:
        return None, 0, False
    return (data[:limit], len(data), True) if len(data) > limit else (data, len(data), False)


def _headers(items: Any) -> tuple[tuple[bytes, bytes], ...]:
    out = []
    for h in items or ():
        name, value = str(h.get("name", "")), str(h.get("value", ""))
        if not name or name.startswith(":") or name.lower() == "content-encoding":
            continue
        out.append((name.encode("utf-8"), value.encode("utf-8")))
    return tuple(out)


def _time(text: Any) -> float | None:
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def records(doc: Any, max_body: int) -> Iterator[RawExchange]:
    """The raw exchange records of a HAR document (a parsed JSON mapping)."""
    try:
        entries = doc["log"]["entries"]
    except (KeyError, TypeError):
        raise ConfigError("not a HAR file: no log.entries") from None
    if not isinstance(entries, list):
        raise ConfigError("not a HAR file: log.entries is not a list")
    for item in entries:
        if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
            continue
        yield _record(item, max_body)


def _record(item: dict[str, Any], max_body: int) -> RawExchange:
    req = item["request"]
    resp: dict[str, Any] = item["response"] if isinstance(item.get("response"), dict) else {}
    parts = urlsplit(str(req.get("url", "")))
    scheme = parts.scheme or "http"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    post: dict[str, Any] = req["postData"] if isinstance(req.get("postData"), dict) else {}
    if post.get("text") is None and post.get("params"):
        body = urlencode([(p.get("name", ""), p.get("value", "")) for p in post["params"]])
        req_bytes = body.encode("utf-8")
    else:
        req_bytes = _bytes(post.get("text"), post.get("encoding"), post.get("mimeType"))
    content: dict[str, Any] = resp["content"] if isinstance(resp.get("content"), dict) else {}
    resp_bytes = _bytes(content.get("text"), content.get("encoding"), content.get("mimeType"))
    ts = _time(item.get("startedDateTime"))
    try:
        spent = float(item.get("time") or 0) / 1000.0
    except (TypeError, ValueError):
        spent = 0.0
    status = resp.get("status")
    status = int(status) if isinstance(status, int | float) and int(status) > 0 else None
    req_body, req_size, req_cut = _cut(req_bytes, max_body)
    resp_body, resp_size, resp_cut = _cut(resp_bytes, max_body)
    error = resp.get("_error") or item.get("_error")
    if status is None and not error:
        error = "no response"
    return {
        "v": 1,
        "ts": ts,
        "client": None,
        "method": str(req.get("method") or "GET").encode("ascii", "replace"),
        "scheme": scheme.encode("ascii", "replace"),
        "host": parts.hostname or "",
        "port": parts.port or _DEFAULT_PORTS.get(scheme, 80),
        "path": path.encode("utf-8"),
        "req_headers": _headers(req.get("headers")),
        "req_body": req_body,
        "req_size": req_size,
        "req_truncated": req_cut,
        "status": status,
        "resp_headers": _headers(resp.get("headers")) if status is not None else (),
        "resp_body": resp_body if status is not None else None,
        "resp_size": resp_size if status is not None else 0,
        "resp_truncated": resp_cut,
        "t_end": (ts + spent) if ts is not None else None,
        "error": str(error) if error and status is None else None,
    }


def _text(body: bytes | None, charset: str | None) -> dict[str, Any]:
    if not body:
        return {"text": ""}
    try:
        return {"text": body.decode(charset or "utf-8")}
    except (UnicodeDecodeError, LookupError):
        return {"text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def _header(pairs: list[Any], name: str) -> str | None:
    for k, v in pairs or ():
        if str(k).lower() == name:
            return str(v)
    return None


def entry(x: Any) -> dict[str, Any]:
    """A stored (sanitized) exchange as one HAR entry."""
    ts: datetime = x.ts if x.ts.tzinfo else x.ts.replace(tzinfo=UTC)
    url = f"{x.scheme or 'http'}://{x.host}{x.path if str(x.path).startswith('/') else '/'}"
    query = urlsplit(url).query
    req_type = _header(x.request_headers, "content-type") or ""
    resp_type = _header(x.response_headers, "content-type") or ""
    request: dict[str, Any] = {
        "method": x.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": str(k), "value": str(v)} for k, v in x.request_headers or ()],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(query, True)],
        "headersSize": -1,
        "bodySize": x.request_size or 0,
    }
    if x.request_body:
        request["postData"] = {"mimeType": req_type, **_text(x.request_body, x.request_charset)}
    answered = x.status is not None
    wait = float(x.duration_ms or 0.0)
    return {
        "startedDateTime": ts.astimezone(UTC).isoformat(timespec="milliseconds"),
        "time": wait,
        "request": request,
        "response": {
            "status": x.status or 0,
            "statusText": "",
            "httpVersion": "HTTP/1.1" if answered else "",
            "cookies": [],
            "headers": [{"name": str(k), "value": str(v)} for k, v in x.response_headers or ()],
            "content": {
                "size": len(x.response_body or b""),
                "mimeType": resp_type,
                **_text(x.response_body, x.response_charset),
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": x.response_size or 0,
            **({"_error": x.error} if x.error else {}),
        },
        "cache": {},
        "timings": {"send": 0, "wait": wait, "receive": 0},
        "_harness": {
            "id": x.id,
            "endpoint": x.endpoint,
            "outcome": x.outcome,
            "code": x.code,
            "message": x.message,
            "instance": x.instance,
        },
    }
