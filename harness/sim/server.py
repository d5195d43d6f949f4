"""The simulated bank as a real HTTP server (aiohttp.web), one process per role.

The server is a thin adapter over :class:`harness.sim.gateway.Gateway`: it reads the body,
asks the gateway, and writes the reply. No per-request YAML or logging work (one debug line
at most), so a single process answers thousands of requests a second. SIGINT and SIGTERM
stop it cleanly (aiohttp's run_app handles both).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from harness.errors import ConfigError
from harness.sim.gateway import Gateway
from harness.sim.signature import HEADER

log = logging.getLogger("harness.sim")


def make_app(gateway: Gateway) -> web.Application:
    """An aiohttp application that answers every path as the gateway does."""
    debug = log.isEnabledFor(logging.DEBUG)

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        reply = gateway.handle(
            request.method,
            request.path,
            request.headers.get("Content-Type"),
            request.headers.get(HEADER),
            body,
        )
        if debug:
            o = reply.outcome
            log.debug(
                "%s %s -> %d %s %s",
                request.method,
                request.path,
                reply.status,
                o.answer.code,
                o.rule or o.reason,
            )
        return web.Response(
            status=reply.status, body=reply.body, headers={"Content-Type": reply.content_type}
        )

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def serve(
    gateway: Gateway, host: str, port: int, ready: Callable[[str], None] | None = None
) -> None:
    """Serve until SIGINT or SIGTERM; ``ready`` is called with the base URL once listening."""
    url = f"http://{host}:{port}"

    def announce(_message: str) -> None:
        if ready is not None:
            ready(url)

    try:
        web.run_app(
            make_app(gateway),
            host=host,
            port=port,
            access_log=None,
            print=announce,
            handle_signals=True,
        )
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
