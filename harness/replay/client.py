"""Sending replayed requests: one aiohttp session, a connection limit and a token bucket.

aiohttp, not httpx: on this kind of machine it is about 25x faster (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import errno
import ssl as ssl_module
import time
from types import TracebackType

import aiohttp
from yarl import URL

from harness.replay.answer import RawAnswer
from harness.timeutil import utcnow

__all__ = ["RawAnswer", "Sender", "TokenBucket", "describe_error"]

MAX_STORED_BODY = 1 << 20  # a target's answer is stored up to 1 MiB


class TokenBucket:
    """At most ``rate`` requests per second, bursts of ``burst``; ``rate <= 0`` is unlimited.

    Requests leave at least ``1 / rate`` seconds apart once the burst is spent (``burst=1``,
    the default: evenly spaced from the first request on).
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self._tokens = float(self.burst)
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        if self.rate <= 0:
            return
        async with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate
                await asyncio.sleep(wait)
                self._stamp = time.monotonic()
                self._tokens = 0.0
            else:
                self._tokens -= 1


class Sender:
    """An aiohttp client with ``limit`` connections, a rate limit and a per-request timeout.

    Use as ``async with Sender(...) as sender: await sender.send(...)``.
    """

    def __init__(self, concurrency: int = 32, rate: float = 0.0, timeout: float = 10.0) -> None:
        self.concurrency = max(1, int(concurrency))
        self.bucket = TokenBucket(rate)
        self.timeout = aiohttp.ClientTimeout(total=timeout if timeout and timeout > 0 else None)
        self.sent = 0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Sender:
        connector = aiohttp.TCPConnector(limit=self.concurrency, limit_per_host=self.concurrency)
        self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        ssl: ssl_module.SSLContext | None = None,
    ) -> RawAnswer:
        """One request; ``ssl`` is the target's TLS context (None: verify against the
        system store)."""
        assert self._session is not None, "use Sender as an async context manager"
        if self.bucket.rate > 0:
            await self.bucket.take()
        self.sent += 1
        sent_at = utcnow()
        started = time.perf_counter()
        skip = (
            ()
            if not body or any(k.lower() == "content-type" for k in headers)
            else ("Content-Type",)
        )
        try:
            async with self._session.request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=body or None,
                skip_auto_headers=skip,
                allow_redirects=False,
                ssl=ssl if ssl is not None else True,
            ) as resp:
                data = await resp.read()
                return RawAnswer(
                    status=resp.status,
                    headers=list(resp.headers.items()),
                    body=data[:MAX_STORED_BODY],
                    latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
                    sent_at=sent_at,
                )
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            return RawAnswer(
                status=None,
                error=describe_error(exc),
                latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
                sent_at=sent_at,
            )


def describe_error(exc: BaseException) -> str:
    """A short, payload-free name for a transport failure."""
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "certificate not trusted"
    if isinstance(exc, aiohttp.ClientSSLError):
        return "TLS handshake failed"
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = getattr(exc, "os_error", None)
        if (
            isinstance(os_error, ConnectionRefusedError)
            or getattr(os_error, "errno", None) == errno.ECONNREFUSED
        ):
            return "connection refused"
        return "cannot connect"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "incomplete response"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    return type(exc).__name__
