"""Send generated traffic to a URL with aiohttp, a bounded number at a time.

``send(requests, base_url, concurrency)`` returns a :class:`Summary`: what was sent, the
HTTP statuses, the bank codes (from JSON ``code`` or XML ``RspCode`` by default; from where
a bank's reply templates put them with ``paths=answer_paths(bank)``) and one
:class:`Response` per request, in the requests' order.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

from harness.errors import ConfigError
from harness.sim.bank import Bank
from harness.sim.engine import SimRequest
from harness.sim.replies import paths_of

_XML_CODE = re.compile(r"<RspCode>([^<]*)</RspCode>")
_XML_MSG = re.compile(r"<RspMsg>([^<]*)</RspMsg>")
_XML_ENCODING = re.compile(rb"encoding=[\"']([A-Za-z0-9_.-]+)[\"']")

# Where a JSON answer's code and message are: dotted paths, the first present wins.
AnswerPaths = tuple[tuple[str, ...], tuple[str, ...]]
DEFAULT_PATHS: AnswerPaths = (("code",), ("msg",))


def answer_paths(bank: Bank) -> AnswerPaths:
    """Where ``bank`` writes codes and messages: its rejection template's places, then its
    success template's."""
    style = bank.style
    codes = paths_of(style.rejection, "code") + paths_of(style.success, "code")
    msgs = paths_of(style.rejection, "msg") + paths_of(style.success, "msg")
    return codes, msgs


def _at(doc: object, paths: tuple[str, ...]) -> str | None:
    for path in paths:
        node = doc
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None and not isinstance(node, (dict, list)):
            return str(node)
    return None


@dataclass(frozen=True)
class Response:
    status: int | None  # None: no HTTP answer (see error)
    code: str | None = None
    msg: str | None = None
    error: str | None = None  # the exception's type name when the request failed


@dataclass
class Summary:
    sent: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # "200", "503", "error"
    codes: Counter[str] = field(default_factory=Counter)
    messages: dict[str, str] = field(default_factory=dict)  # code -> first message seen
    errors: int = 0
    seconds: float = 0.0
    responses: list[Response] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "sent": self.sent,
            "statuses": dict(self.statuses),
            "codes": dict(self.codes),
            "messages": dict(self.messages),
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
        }


def parse_answer(status: int, body: bytes, paths: AnswerPaths = DEFAULT_PATHS) -> Response:
    """The bank code and message of a JSON or XML answer (None when it has neither)."""
    head = body.lstrip()[:1]
    if head == b"{":
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return Response(status)
        if isinstance(doc, dict):
            return Response(status, _at(doc, paths[0]), _at(doc, paths[1]))
        return Response(status)
    if head == b"<":
        m = _XML_ENCODING.search(body[:100])
        try:
            text = body.decode(m.group(1).decode("ascii") if m else "utf-8")
        except (LookupError, UnicodeDecodeError):
            return Response(status)
        code, msg = _XML_CODE.search(text), _XML_MSG.search(text)
        return Response(status, code.group(1) if code else None, msg.group(1) if msg else None)
    return Response(status)


def check_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"not an http(s) URL: {base_url!r}")
    return base_url.rstrip("/")


async def send_async(
    requests: Sequence[SimRequest],
    base_url: str,
    concurrency: int = 16,
    progress: Callable[[int], None] | None = None,
    timeout: float = 30.0,
    paths: AnswerPaths = DEFAULT_PATHS,
) -> Summary:
    """Send ``requests`` to ``base_url``, at most ``concurrency`` at a time."""
    base = check_url(base_url)
    if concurrency < 1:
        raise ConfigError(f"the concurrency must be at least 1, not {concurrency!r}")
    results: list[Response | None] = [None] * len(requests)
    queue = iter(range(len(requests)))
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:

        async def worker() -> None:
            for i in queue:
                req = requests[i]
                try:
                    async with session.request(
                        req.method, base + req.path, data=req.body, headers=req.headers
                    ) as resp:
                        body = await resp.read()
                        results[i] = parse_answer(resp.status, body, paths)
                except (TimeoutError, aiohttp.ClientError) as exc:
                    results[i] = Response(None, error=type(exc).__name__)
                if progress is not None:
                    progress(1)

        await asyncio.gather(*(worker() for _ in range(min(concurrency, max(1, len(requests))))))
    summary = Summary(sent=len(requests), seconds=time.monotonic() - started)
    for r in results:
        assert r is not None
        summary.responses.append(r)
        if r.status is None:
            summary.errors += 1
            summary.statuses["error"] += 1
            continue
        summary.statuses[str(r.status)] += 1
        if r.code is not None:
            summary.codes[r.code] += 1
            if r.msg is not None:
                summary.messages.setdefault(r.code, r.msg)
    return summary


def send(
    requests: Sequence[SimRequest],
    base_url: str,
    concurrency: int = 16,
    progress: Callable[[int], None] | None = None,
    timeout: float = 30.0,
    paths: AnswerPaths = DEFAULT_PATHS,
) -> Summary:
    """:func:`send_async` for callers without an event loop."""
    return asyncio.run(send_async(requests, base_url, concurrency, progress, timeout, paths))
