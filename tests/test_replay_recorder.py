"""A recording HTTP server for the replay tests, and the tests of replay's HTTP client.

:class:`Recorder` is a real aiohttp server on 127.0.0.1 (its own thread and event loop)
that records every request it receives (arrival time, method, path, headers, body) and
answers through a handler. The replay and shadow tests import it from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from harness.replay.client import Sender, TokenBucket
from tests.support.procs import free_port


@dataclass
class Arrival:
    at: float  # time.monotonic() when the server read the request
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, dict[str, str], bytes]
Handler = Callable[[Arrival], Reply | Awaitable[Reply]]


def ok_json(arrival: Arrival) -> Reply:
    return 200, {"Content-Type": "application/json"}, b'{"code":"000000","msg":"ok"}'


class Recorder:
    """A real HTTP server that records arrivals; ``handler`` answers (sync or async)."""

    def __init__(self, handler: Handler = ok_json) -> None:
        self.handler = handler
        self.arrivals: list[Arrival] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        arrival = Arrival(
            time.monotonic(), request.method, request.path_qs, dict(request.headers), body
        )
        self.arrivals.append(arrival)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self.handler(arrival)
            if asyncio.iscoroutine(reply):
                reply = await reply
        finally:
            self.in_flight -= 1
        status, headers, payload = reply  # type: ignore[misc]
        return web.Response(status=status, headers=headers, body=payload)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def start(self) -> Recorder:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@contextlib.contextmanager
def recording(handler: Handler = ok_json) -> Iterator[Recorder]:
    server = Recorder(handler).start()
    try:
        yield server
    finally:
        server.stop()


# --- tests of replay's HTTP client ----------------------------------------------------------


def _send_many(url: str, n: int, **sender_options) -> list:
    async def go():
        async with Sender(**sender_options) as sender:
            return await asyncio.gather(
                *(sender.send("POST", f"{url}/p?i={i}", {}, b"x") for i in range(n))
            )

    return asyncio.run(go())


@pytest.mark.slow
def test_rate_limit_spaces_arrivals():
    """20 requests at 10/s: the server sees them spread over at least ~1.9 s."""
    with recording() as server:
        answers = _send_many(server.url, 20, concurrency=32, rate=10)
    assert all(a.status == 200 for a in answers)
    times = sorted(a.at for a in server.arrivals)
    assert len(times) == 20
    assert times[-1] - times[0] >= 1.8


def test_concurrency_limit_holds():
    async def slow(arrival: Arrival) -> Reply:
        await asyncio.sleep(0.05)
        return ok_json(arrival)

    with recording(slow) as server:
        answers = _send_many(server.url, 24, concurrency=3)
    assert [a.status for a in answers] == [200] * 24
    assert 1 <= server.max_in_flight <= 3


def test_connection_refused_is_an_answer_not_an_exception():
    port = free_port()
    [answer] = _send_many(f"http://127.0.0.1:{port}", 1)
    assert answer.status is None
    assert answer.error == "connection refused"
    assert answer.latency_ms is not None


def test_timeout_is_named():
    async def stuck(arrival: Arrival) -> Reply:
        await asyncio.sleep(1)
        return ok_json(arrival)

    with recording(stuck) as server:
        [answer] = _send_many(server.url, 1, timeout=0.1)
    assert answer.error == "timeout"


def test_token_bucket_unlimited_does_not_wait():
    async def go():
        bucket = TokenBucket(0)
        for _ in range(1000):
            await bucket.take()
        return True

    assert asyncio.run(go())


def test_body_and_path_are_sent_as_stored():
    with recording() as server:
        body = "名称=某某(某某)".encode("gbk")

        async def go():
            async with Sender() as sender:
                return await sender.send(
                    "PUT", f"{server.url}/a%20b/c?q=%E4%B8%AD&x=1", {"X-A": "1"}, body
                )

        answer = asyncio.run(go())
    assert answer.status == 200
    [arrival] = server.arrivals
    assert arrival.method == "PUT"
    assert arrival.path == "/a%20b/c?q=%E4%B8%AD&x=1"
    assert arrival.body == body
    assert arrival.headers["X-A"] == "1"
    assert arrival.headers["Content-Length"] == str(len(body))
    assert "Content-Type" not in arrival.headers  # none was stored, none is invented
