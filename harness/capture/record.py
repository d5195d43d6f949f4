"""From a raw capture record to a sanitized ``exchanges`` row (used by the ingest process).

The proxy sends each exchange as a dict of primitive values (a :class:`harness.rows.RawExchange`):
method, path, header fields as ``(bytes, bytes)`` pairs, raw bodies (perhaps truncated),
status, timings, a transport error. :class:`RowBuilder` turns one into a row (a
:class:`harness.rows.ExchangeRow`): bodies decoded
(Content-Encoding, then format and charset), classified, sanitized, re-encoded in their
original format and charset, flattened into field maps. Nothing raw leaves this module:
every value put into a row has passed the sanitizer (bodies, headers, path and query, the
rejection message, the transport error), and a stage that fails leaves its columns empty
(the row keeps what the earlier stages produced, and a note names the stage).

Content-Encoding is undone within the body limit (:func:`harness.codecs.decode_content_encoding`):
an encoded body that inflates past it is cut there and flagged truncated, like a large
body. ``notes["pseudonymized"]`` lists the request field paths (as in ``request_fields``)
whose value the sanitizer replaced, whole or in part. A text body (no fields to tell
sensitive parts by) is pseudonymized whole.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
from datetime import UTC, datetime
from typing import Any, Literal, cast, overload

from harness import codecs
from harness.codecs import fields
from harness.errors import CodecError
from harness.outcome.classify import Classifier
from harness.plan import Plan
from harness.plan.endpoint import endpoint_key
from harness.rows import ExchangeRow, RawExchange
from harness.sanitize import REDACTED, Sanitizer
from harness.store.models import Exchange, width

log = logging.getLogger(__name__)

# Column widths of harness.store.models.Exchange: longer values are clipped, not refused.
# Column widths, from the model: a value is clipped to its column, never refused.
_WIDTHS = {
    name: width(Exchange, name)
    for name in ("client", "method", "scheme", "host", "endpoint", "code", "instance")
}
_CHARSET_WIDTH = width(Exchange, "request_charset")
_TEXT_COLUMNS = ("path", "message", "error", "code", "endpoint", "host", "client")
_STRUCTURED = ("json", "form", "xml")
MiB = 1024 * 1024


def _str(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


@overload
def _clip(value: str, width: int) -> str: ...
@overload
def _clip(value: str | None, width: int) -> str | None: ...
def _clip(value: str | None, width: int) -> str | None:
    return value if value is None or len(value) <= width else value[:width]


def _lookup(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Lower-case header name -> its first value."""
    out: dict[str, str] = {}
    for k, v in pairs:
        out.setdefault(k.lower(), v)
    return out


SHIM_LIMIT = 16 * MiB


def decode_content_encoding(
    data: bytes, encoding: str | None, limit: int = SHIM_LIMIT
) -> tuple[bytes, str | None]:
    """Kept for callers of the old name (the mock): use
    :func:`harness.codecs.decode_content_encoding` instead.

    Returns (identity bytes, the encodings undone or None). Raises ValueError for an
    unknown or corrupt encoding, and for a body that inflates past ``limit`` bytes (it
    stops there: a bomb costs at most ``limit``).
    """
    try:
        decoded = codecs.decode_content_encoding(data, encoding, limit)
    except CodecError as exc:
        raise ValueError(str(exc)) from None
    if decoded.truncated and len(decoded.data) >= limit:
        raise ValueError(f"body inflates past {limit} bytes")
    if decoded.truncated:
        raise ValueError("body does not decode: the stream ends early")
    return decoded.data, ", ".join(decoded.encodings) or None


Side = Literal["request", "response"]


class RowBuilder:
    """Turns raw capture records into sanitized rows under one plan and one key."""

    def __init__(
        self, plan: Plan, key: bytes, max_body: int = MiB, instance: str | None = None
    ) -> None:
        self.plan = plan
        self.instance = _clip(instance, _WIDTHS["instance"]) if instance else None
        self.key = key
        self.max_body = max_body  # decoded (Content-Encoding undone) bodies stop here
        self.classifier = Classifier(plan)
        self.sanitizer = Sanitizer(key, plan)
        self.errors = 0

    # -- public ---------------------------------------------------------------------------

    def build(self, rec: RawExchange, seq: int = 0) -> ExchangeRow:
        """One row for the ``exchanges`` table; never raises for a bad record."""
        row = self._skeleton(rec)
        stage = "headers"
        replaced: dict[str, str] = {}
        try:
            req_pairs = [(_str(k), _str(v)) for k, v in rec.get("req_headers") or ()]
            resp_pairs = [(_str(k), _str(v)) for k, v in rec.get("resp_headers") or ()]
            req_h = _lookup(req_pairs)
            resp_h = _lookup(resp_pairs)
            row["ts"] = self._time(req_h, row)
            stage = "path"
            raw_path = _str(rec.get("path")) or "/"
            row["endpoint"] = _clip(
                endpoint_key(row["method"], raw_path.split("?", 1)[0], self.plan.endpoints),
                _WIDTHS["endpoint"],
            )
            row["path"] = self.sanitizer.query(raw_path)
            stage = "headers"
            req_ce = req_h.get("content-encoding")
            resp_ce = resp_h.get("content-encoding")
            row["request_headers"] = self._headers(req_pairs, drop_encoding=req_ce is not None)
            row["response_headers"] = self._headers(resp_pairs, drop_encoding=resp_ce is not None)
            stage = "decode"
            req_body, req_bytes = self._decode(rec.get("req_body"), req_h, "request", row)
            resp_body, resp_bytes = self._decode(rec.get("resp_body"), resp_h, "response", row)
            stage = "classify"
            got = self.classifier.classify(
                rec.get("status"), resp_pairs, resp_body, rec.get("error")
            )
            row["outcome"] = got.outcome
            row["code"] = _clip(got.code, _WIDTHS["code"])
            stage = "sanitize"
            req_out, req_replaced = self._sanitize(req_body, row["request_truncated"], None)
            # The response is scrubbed of echoes of the request's raw values too (a rejection
            # message that quotes the company name it refused).
            resp_out, resp_replaced = self._sanitize(
                resp_body, row["response_truncated"], req_replaced
            )
            replaced = {**req_replaced, **resp_replaced}
            if got.message is not None:
                row["message"] = self.sanitizer.text(got.message, replaced)
            stage = "encode"
            self._store_body(req_out, req_body, req_bytes, "request", row)
            self._store_body(resp_out, resp_body, resp_bytes, "response", row)
            _note_pseudonymized(req_body, row)
        except Exception as exc:
            self.errors += 1
            row.setdefault("notes", None)
            notes = dict(row["notes"] or {})
            notes["ingest_error"] = f"{stage}: {type(exc).__name__}"
            row["notes"] = notes
            log.error(
                "exchange #%d (%s): %s failed: %s", seq, row["endpoint"], stage, type(exc).__name__
            )
        row["error"] = self._error(rec.get("error"), replaced)
        columns = _columns(row)
        for name in _TEXT_COLUMNS:  # PostgreSQL text cannot hold NUL characters
            value = columns[name]
            if value and "\x00" in value:
                columns[name] = value.replace("\x00", "\ufffd")
        return row

    # -- stages ---------------------------------------------------------------------------

    def _skeleton(self, rec: RawExchange) -> ExchangeRow:
        """The columns that need no sanitizing; everything else starts empty."""
        method = _str(rec.get("method")).upper() or "GET"
        scheme = _str(rec.get("scheme")) or "http"
        host = _str(rec.get("host"))
        port = rec.get("port")
        if port and port != {"http": 80, "https": 443}.get(scheme):
            host = f"{host}:{port}"
        status = rec.get("status")
        fallback = self.classifier.by_status(status, rec.get("error"))  # until the body is read
        ts = rec.get("ts")
        t_end = rec.get("t_end")
        return {
            "ts": datetime.fromtimestamp(ts, UTC) if ts else datetime.now(UTC),
            "client": _clip(rec.get("client"), _WIDTHS["client"]),
            "method": _clip(method, _WIDTHS["method"]),
            "scheme": _clip(scheme, _WIDTHS["scheme"]),
            "host": _clip(host, _WIDTHS["host"]),
            "path": "/",  # replaced by the sanitized path
            "endpoint": _clip(f"{method} /", _WIDTHS["endpoint"]),
            "request_headers": [],
            "request_body": None,
            "request_format": "empty",
            "request_charset": None,
            "request_fields": None,
            "request_size": int(rec.get("req_size") or 0),
            "request_truncated": bool(rec.get("req_truncated")),
            "status": status,
            "response_headers": [],
            "response_body": None,
            "response_format": "empty",
            "response_charset": None,
            "response_fields": None,
            "response_size": int(rec.get("resp_size") or 0),
            "response_truncated": bool(rec.get("resp_truncated")),
            "outcome": fallback.outcome,
            "code": _clip(fallback.code, _WIDTHS["code"]),
            "message": None,
            "duration_ms": round((t_end - ts) * 1000.0, 3) if ts and t_end else None,
            "error": None,  # set from the sanitized transport error
            "notes": None,
            "instance": self.instance,
        }

    def _error(self, error: Any, replaced: dict[str, str]) -> str | None:
        """The transport error, sanitized (it may quote the bytes of a malformed answer)."""
        if not error:
            return None
        try:
            return self.sanitizer.error(_str(error), replaced)
        except Exception as exc:  # never store what could not be sanitized
            log.error("a transport error could not be sanitized: %s", type(exc).__name__)
            return REDACTED

    def _time(self, headers: dict[str, str], row: ExchangeRow) -> datetime:
        """The capture time, or the plan's time header when the plan names one."""
        ts: datetime = row["ts"]
        if not self.plan.time_header:
            return ts
        value = headers.get(self.plan.time_header.lower())
        if value is None:
            return ts
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            _note(row, "time_header", "unparsable")
            return ts
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)

    def _headers(self, pairs: list[tuple[str, str]], drop_encoding: bool) -> list[list[str]]:
        out = self.sanitizer.headers(pairs)
        # The stored body is identity-encoded: a Content-Encoding header would lie about it.
        return [[k, v] for k, v in out if not (drop_encoding and k.lower() == "content-encoding")]

    def _decode(
        self, data: bytes | None, headers: dict[str, str], side: Side, row: ExchangeRow
    ) -> tuple[codecs.Body, bytes]:
        """The decoded body and the identity-encoded bytes it was decoded from."""
        content_type = headers.get("content-type")
        if not data:
            return codecs.decode(b"", content_type), b""
        content_encoding = headers.get("content-encoding")
        if content_encoding:
            try:
                decoded = codecs.decode_content_encoding(data, content_encoding, self.max_body)
            except CodecError:
                # Cannot see inside: keep only its size and a keyed digest.
                _note(row, f"{side}_content_encoding", "undecodable")
                return codecs.Body("binary", None, None, {"size": len(data)}), data
            data = decoded.data
            if decoded.encodings:
                _note(row, f"{side}_content_encoding", ", ".join(decoded.encodings))
            if decoded.truncated:
                _columns(row)[f"{side}_truncated"] = True
        return codecs.decode(data, content_type), data

    def _sanitize(
        self, body: codecs.Body, truncated: Any, known: dict[str, str] | None
    ) -> tuple[codecs.Body, dict[str, str]]:
        """The body with every leaf sanitized, and the raw -> pseudonym map of what changed.

        ``known`` holds raw values replaced elsewhere whose echoes are scrubbed here too.
        """
        if body.format in ("empty", "binary"):
            return body, {}
        if body.format == "text":
            # Free text has no field names (and a body that claimed a structure but did not
            # parse, malformed or cut short, has lost them), so nobody can tell which parts
            # are sensitive: pseudonymize all of it (its shape, punctuation and layout
            # survive). Its echoes elsewhere (a message taken from it) are scrubbed too.
            text = body.tree if isinstance(body.tree, str) else ""
            new = self.sanitizer.value(text)
            return dataclasses.replace(body, tree=new), ({text: new} if new != text else {})
        tree, replaced = self.sanitizer.tree(body.tree, known)
        return dataclasses.replace(body, tree=tree), replaced

    def _store_body(
        self, out: codecs.Body, before: codecs.Body, data: bytes, side: Side, row: ExchangeRow
    ) -> None:
        """Store the sanitized body ``out``; ``before``/``data`` are what it was made from."""
        columns = _columns(row)
        columns[f"{side}_format"] = out.format
        columns[f"{side}_charset"] = _clip(out.charset, _CHARSET_WIDTH)
        if out.format == "empty":
            return
        if out.format == "binary":
            digest = hmac.new(self.key, data, hashlib.sha256).hexdigest()[:32]
            _note(row, f"{side}_digest", digest)
            return
        if out.tree == before.tree and out.meta.get("exact"):
            # Nothing was sensitive: the bytes are already what encode() would write.
            columns[f"{side}_body"] = data
        else:
            columns[f"{side}_body"] = codecs.encode(out)
        if out.format in _STRUCTURED and not out.meta.get("error"):
            flat = fields.flatten(out.tree)
            columns[f"{side}_fields"] = flat
            numbers = [p for p, v in flat.items() if isinstance(v, codecs.JsonNumber)]
            if side == "request" and numbers:  # the JSON column keeps them as text
                _note(row, "request_numbers", numbers)


def _note_pseudonymized(before: codecs.Body, row: ExchangeRow) -> None:
    """``notes["pseudonymized"]``: request field paths whose stored value is not the raw one."""
    after = row.get("request_fields")
    if not after:
        return
    raw = fields.flatten(before.tree)
    changed = sorted(path for path, value in after.items() if raw.get(path, _ABSENT) != value)
    if changed:
        _note(row, "pseudonymized", changed)


_ABSENT = object()


def _note(row: ExchangeRow, key: str, value: Any) -> None:
    notes = dict(row.get("notes") or {})
    notes[key] = value
    row["notes"] = notes


def _columns(row: ExchangeRow) -> dict[str, Any]:
    """The row by column names made at run time (``f"{side}_body"``, the text columns):
    mypy checks only literal keys, so these writes are checked by the tests instead."""
    return cast(dict[str, Any], row)
