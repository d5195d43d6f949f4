"""Several sidecars, one PostgreSQL store: two real proxies start at once on an empty
schema (they migrate it in turn) and capture concurrently; nothing is lost, nothing is
duplicated, each exchange names the sidecar that captured it. CI runs it (PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess

import aiohttp
import pytest
from sqlalchemy import create_engine, text

from tests.support.procs import HARNESS, free_port, stop, wait_for_port
from tests.support.upstream import upstream

pytestmark = pytest.mark.postgres
PER_SIDECAR = 150


async def _send(base: str, prefix: str) -> list[int]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=8)) as session:

        async def one(i: int) -> int:
            async with session.post(f"{base}/echo", json={"rid": f"{prefix}{i:05d}"}) as r:
                await r.read()
                return r.status

        return list(await asyncio.gather(*(one(i) for i in range(PER_SIDECAR))))


async def _both(a: str, b: str) -> tuple[list[int], list[int]]:
    first, second = await asyncio.gather(_send(a, "A"), _send(b, "B"))
    return first, second


def test_two_proxies_on_one_postgresql_store_lose_nothing_and_duplicate_nothing(pg_url):
    env = {"HARNESS_KEY": "b2" * 32, "HARNESS_DB": pg_url}
    import os

    procs: list[subprocess.Popen] = []
    ports = [free_port(), free_port()]
    with upstream() as up:
        try:
            for name, port in zip(("side-a", "side-b"), ports, strict=True):
                procs.append(
                    subprocess.Popen(
                        [HARNESS, "proxy", "--upstream", up, "--listen-port", str(port),
                         "--instance", name],
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True,
                        env={**os.environ, **env},
                    )
                )  # fmt: skip
            for proc, port in zip(procs, ports, strict=True):
                wait_for_port(port, timeout=60, proc=proc)
            a, b = asyncio.run(_both(*(f"http://127.0.0.1:{p}" for p in ports)))
            codes = [stop(p) for p in procs]
            logs = [p.stdout.read() for p in procs]
        finally:
            for p in procs:
                stop(p)
                with contextlib.suppress(Exception):
                    p.stdout.close()
    assert a == [200] * PER_SIDECAR and b == [200] * PER_SIDECAR
    assert codes == [0, 0], logs
    for log in logs:
        assert f"{PER_SIDECAR} captured, 0 dropped" in log
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        rows = conn.execute(text("select instance, request_fields from exchanges")).all()
        revision = conn.execute(text("select version_num from alembic_version")).all()
    engine.dispose()
    assert len(revision) == 1  # migrated once, in turn
    rids = [fields["rid"] for _, fields in rows]
    assert len(rows) == 2 * PER_SIDECAR and len(set(rids)) == 2 * PER_SIDECAR
    expected = {f"{p}{i:05d}" for p in "AB" for i in range(PER_SIDECAR)}
    assert set(rids) == expected
    for instance, fields in rows:
        assert instance == {"A": "side-a", "B": "side-b"}[fields["rid"][0]]
