"""What gets replayed: a stored (sanitized) exchange as a request for a target.

:class:`Sample` holds the columns replay needs, from an ``Exchange`` or from a row dict with
the same column names (the live shadow gets dicts). :func:`build_request` turns it into
the request a target receives:

- method and path (with its sanitized query) as stored, appended to the target's base URL;
- the stored request headers minus hop-by-hop headers, ``Host``, ``Content-Length``,
  ``Content-Encoding`` (the stored body is identity-encoded), the plan's secret headers and
  anything stored as ``[redacted]``; secrets are supplied afresh
  (:func:`harness.targets.signers.fresh_headers`), never from the store;
- the stored sanitized body bytes, in their original format and charset;
- then the signer's turn. ``Host`` and ``Content-Length`` are set by the HTTP client for the
  target and the final body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from harness import codecs
from harness.codecs import fields
from harness.outcome.verdicts import Answer
from harness.plan import Plan
from harness.targets.signers import Signer

REDACTED = "[redacted]"
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
SET_BY_CLIENT = frozenset({"host", "content-length", "content-encoding"})


@dataclass
class Sample:
    """One stored exchange, as replay sees it."""

    id: int
    endpoint: str
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    production: Answer
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    skip: str | None = None  # why it cannot be replayed, if it cannot
    _tree: Any = field(default=None, repr=False)
    _decoded: bool = field(default=False, repr=False)

    @classmethod
    def from_row(cls, row: Any) -> Sample:
        """From an ``Exchange`` or a mapping with the same column names."""
        get = row.get if isinstance(row, Mapping) else (lambda k, d=None: getattr(row, k, d))
        body = get("request_body") or b""
        skip = None
        if get("request_truncated"):
            skip = "request body truncated at capture"
        elif not body and (get("request_size") or 0) > 0 and get("request_format") == "binary":
            skip = "binary request body not stored"
        return cls(
            id=int(get("id")),  # type: ignore[arg-type]
            endpoint=str(get("endpoint") or ""),
            method=str(get("method") or "GET"),
            path=str(get("path") or "/"),
            headers=[(str(k), str(v)) for k, v in (get("request_headers") or ())],
            body=bytes(body),
            production=Answer(
                outcome=get("outcome"),
                code=get("code"),
                message=get("message"),
                status=get("status"),
                error=get("error"),
            ),
            response_headers=[(str(k), str(v)) for k, v in (get("response_headers") or ())],
            response_body=bytes(get("response_body") or b""),
            skip=skip,
        )

    def production_tree(self) -> Any:
        """Production's decoded response tree (decoded once)."""
        if not self._decoded:
            ct = header(self.response_headers, "content-type")
            self._tree = decoded(self.response_body, ct)[0].tree if self.response_body else None
            self._decoded = True
        return self._tree


CACHED_BODY = 16 * 1024  # bodies up to this size are decoded once per process


def decoded(data: bytes, content_type: str | None) -> tuple[Any, dict[str, Any] | None]:
    """(``codecs.Body``, flat fields or None) of a body; small bodies are cached, since
    replays see the same answers over and over. Treat both as read-only.
    """
    if len(data) <= CACHED_BODY:
        return _decoded(data, content_type)
    return _decode(data, content_type)


def _decode(data: bytes, content_type: str | None) -> tuple[Any, dict[str, Any] | None]:
    body = codecs.decode(data, content_type)
    flat = dict(fields.flatten(body.tree)) if body.format in ("json", "form", "xml") else None
    return body, flat


_decoded = lru_cache(maxsize=2048)(_decode)


def header(pairs: list[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    for k, v in pairs:
        if k.lower() == lname:
            return v
    return None


def base_headers(
    sample: Sample, plan: Plan, fresh: Mapping[str, str], secret: frozenset[str] | None = None
) -> dict[str, str]:
    """The stored headers that may be replayed, plus fresh secrets (before signing).

    ``secret`` is ``plan.secret_headers``, passed in by callers that build many requests.
    """
    if secret is None:
        secret = plan.secret_headers
    out: dict[str, str] = {}
    lower: dict[str, str] = {}
    for name, value in sample.headers:
        lname = name.lower()
        if lname in HOP_BY_HOP or lname in SET_BY_CLIENT or lname in secret or value == REDACTED:
            continue
        if lname in lower:  # a repeated header: one line, comma-joined (RFC 9110)
            out[lower[lname]] = f"{out[lower[lname]]}, {value}"
        else:
            lower[lname] = name
            out[name] = value
    for name, value in fresh.items():
        for existing in [k for k in out if k.lower() == name.lower()]:
            del out[existing]
        out[name] = value
    return out


def build_request(
    sample: Sample,
    base_url: str,
    plan: Plan,
    signer: Signer,
    fresh: Mapping[str, str],
    secret: frozenset[str] | None = None,
) -> tuple[str, str, dict[str, str], bytes]:
    """(method, url, headers, body) for one target, signed."""
    headers = base_headers(sample, plan, fresh, secret)
    headers, body = signer.sign(sample.method, sample.path, headers, sample.body)
    path = sample.path if sample.path.startswith("/") else f"/{sample.path}"
    return sample.method, base_url.rstrip("/") + path, headers, body


def safe_headers(pairs: Any, plan: Plan, secret: frozenset[str] | None = None) -> list[list[str]]:
    """A target's response headers for the store: secret ones replaced by ``[redacted]``."""
    if secret is None:
        secret = plan.secret_headers
    return [[str(k), REDACTED if str(k).lower() in secret else str(v)] for k, v in pairs]
