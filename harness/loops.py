"""The event loop the harness's servers and clients run on: uvloop's when it is installed
(a faster loop for the same aiohttp code), else asyncio's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop  # optional: uvloop may be absent
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop
