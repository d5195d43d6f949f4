"""A small real HTTP upstream for the capture tests: aiohttp.web in a thread, 127.0.0.1.

Routes (every answer is a bank-style business answer unless noted):
- ``POST /echo``: JSON ``{"code":"000000","msg":"成功","data":{"echo": <request JSON>}}``
  (or the raw request text under ``data.raw`` when it is not JSON); a request's ``rid``
  is recorded in :data:`ECHOED` (what the upstream answered, whatever the client saw).
- ``POST /openapi/v1/account/open``: rejects an ``enterpriseName`` holding half-width
  parentheses with ``ED0012`` and a message that quotes the name, like real gateways do.
- ``POST /xml``: GBK XML; ``<RspMsg>`` quotes the request's ``<EntName>``.
- ``GET /slow?s=0.5``: waits, then answers.
- ``GET /big?mb=20``: a large JSON body (the client must get all of it).
- ``GET /binary``: random-looking bytes, ``application/octet-stream``.
- ``GET /gzip``: a gzip-encoded JSON answer.
- ``GET /status/{code}``: that HTTP status with a JSON error body.
- ``POST /form``: a GBK form; answers JSON echoing its decoded fields under ``data``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from tests.support.procs import free_port

ECHOED: list[str] = []  # every "rid" /echo answered, in order (the tests' ground truth)


async def _echo(request: web.Request) -> web.Response:
    raw = await request.read()
    try:
        data: dict = {"echo": json.loads(raw)}
    except ValueError:
        data = {"raw": raw.decode("utf-8", "replace")}
    rid = data.get("echo", {}).get("rid") if isinstance(data.get("echo"), dict) else None
    if isinstance(rid, str):
        ECHOED.append(rid)
    return web.json_response(
        {"code": "000000", "msg": "成功", "data": data},
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )


async def _open(request: web.Request) -> web.Response:
    body = await request.json()
    name = str(body.get("enterpriseName", ""))
    if "(" in name or ")" in name:
        answer = {"code": "ED0012", "msg": f"企业名称含有非法字符: {name}"}
    else:
        answer = {"code": "000000", "msg": "成功", "data": {"accountNo": "6222020200001234567"}}
    return web.json_response(answer, dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def _xml(request: web.Request) -> web.Response:
    raw = (await request.read()).decode("gbk")
    start, end = raw.find("<EntName>"), raw.find("</EntName>")
    name = raw[start + 9 : end] if start >= 0 and end > start else ""
    code, msg = ("ED0012", f"企业名称{name}含有非法字符") if "(" in name else ("000000", "成功")
    text = (
        '<?xml version="1.0" encoding="GBK"?>\n'
        f"<Response><Head><RspCode>{code}</RspCode><RspMsg>{msg}</RspMsg></Head>"
        f"<Body><EntName>{name}</EntName></Body></Response>"
    )
    return web.Response(body=text.encode("gbk"), content_type="application/xml", charset="GBK")


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("s", "0.5")))
    return web.json_response({"code": "000000", "msg": "slow"})


async def _big(request: web.Request) -> web.Response:
    mb = int(request.query.get("mb", "20"))
    filler = "x" * (mb * 1024 * 1024)
    body = ('{"code":"000000","msg":"big","data":"' + filler + '"}').encode()
    return web.Response(body=body, content_type="application/json")


async def _binary(_: web.Request) -> web.Response:
    body = bytes((i * 7919) % 256 for i in range(4096))
    return web.Response(body=body, content_type="application/octet-stream")


async def _gzip(_: web.Request) -> web.Response:
    body = gzip.compress(json.dumps({"code": "000000", "msg": "压缩"}, ensure_ascii=False).encode())
    return web.Response(
        body=body, content_type="application/json", headers={"Content-Encoding": "gzip"}
    )


async def _status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    return web.json_response({"code": f"E{code}", "msg": "error"}, status=code)


async def _form(request: web.Request) -> web.Response:
    from urllib.parse import parse_qsl

    raw = (await request.read()).decode("ascii", "replace")
    fields = dict(parse_qsl(raw, keep_blank_values=True, encoding="gbk"))
    return web.json_response(
        {"code": "000000", "msg": "成功", "data": fields},
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )


def make_app() -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/echo", _echo)
    app.router.add_post("/openapi/v1/account/open", _open)
    app.router.add_post("/xml", _xml)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/big", _big)
    app.router.add_get("/binary", _binary)
    app.router.add_get("/gzip", _gzip)
    app.router.add_get("/status/{code}", _status)
    app.router.add_post("/form", _form)
    return app


@contextmanager
def upstream() -> Iterator[str]:
    """Serve :func:`make_app` on a free 127.0.0.1 port in a thread; yields its base URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(make_app(), access_log=None)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="upstream", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the test upstream did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
