"""The mock gateway served over HTTP (aiohttp): every path answered as
:class:`harness.mock.gateway.MockGateway` decides, and ``GET /__harness/mock`` for
readiness checks."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from harness.loops import loop_factory
from harness.mock.gateway import MockGateway

__all__ = ["STATUS_PATH", "make_app", "run"]

STATUS_PATH = "/__harness/mock"


def make_app(gateway: MockGateway) -> web.Application:
    """An aiohttp application answering every path as the mock gateway does."""

    async def status(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "rules": gateway.rule_count,
                "endpoints": sorted(gateway.rules),
                "plan": gateway.plan.name,
            }
        )

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        answer = gateway.answer(
            request.method,
            request.path_qs,
            request.headers.get("Content-Type"),
            body,
            request.headers.get("Content-Encoding"),
        )
        headers = {"Content-Type": answer.content_type, **answer.headers}
        return web.Response(status=answer.status, body=answer.body, headers=headers)

    # The gateway undoes Content-Encoding itself (bounded, and a body it cannot undo is a
    # malformed request, not aiohttp's own 400).
    app = web.Application(client_max_size=gateway.max_body, handler_args={"auto_decompress": False})
    app.router.add_get(STATUS_PATH, status)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def run(
    gateway: MockGateway,
    host: str = "127.0.0.1",
    port: int = 18082,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM; ``ready`` gets the base URL once listening."""
    app = make_app(gateway)
    if ready is not None:

        async def on_startup(_app: web.Application) -> None:
            ready(f"http://{host}:{port}")

        app.on_startup.append(on_startup)
    web.run_app(
        app,
        host=host,
        port=port,
        print=None,
        access_log=None,
        handle_signals=True,
        loop=loop_factory()(),
    )
