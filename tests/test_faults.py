"""Fault injection with real processes: capture survives, counts honestly, and resumes.

Every test runs the real `harness proxy` (with its real ingest process) in front of a real
upstream, drives it with real HTTP clients, injects one fault while traffic flows, clears
it, and checks:

- **honest counts**: every exchange the upstream answered (so the proxy saw its answer) is
  either captured (acknowledged stored or spooled) or counted as dropped: ``answered ==
  captured + dropped``, and what was captured is in the store once the fault is gone
  (spools back-filled);
- **capture resumes**: exchanges sent after the fault are stored.

Faults: the ingest killed repeatedly under load; a full small filesystem (a tmpfs, root
only); a spool directory turned read-only; the database file deleted; the store down at
start; PostgreSQL stopped and started (only where HARNESS_TEST_PG_RESTART=1 says the
server may be restarted: CI sets it; the server is always started again).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from harness.capture.spool import Spool, fallback_spool_path
from tests.support.procs import HARNESS, free_port, stop, wait_for_port
from tests.support.upstream import ECHOED, upstream

pytestmark = pytest.mark.slow

ENV = {"HARNESS_KEY": "fa" * 32}
COUNTS = re.compile(r"proxy stopped: (\d+) captured, (\d+) dropped, (\d+) errors")


@dataclass
class Proxy:
    proc: subprocess.Popen
    base: str
    log: Path
    counts: tuple[int, int, int] = (0, 0, 0)

    def ingest_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def proxy(up: str, db: str, tmp: Path, *extra: str, wait: bool = True) -> Iterator[Proxy]:
    """`harness proxy` with its log in a file (a pipe nobody reads could fill and stall it)."""
    port = free_port()
    log = tmp / f"proxy-{port}.log"
    args = [HARNESS, "proxy", "--upstream", up, "--listen-port", str(port), "--db", db, *extra]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **ENV}
        )
    p = Proxy(proc, f"http://127.0.0.1:{port}", log)
    try:
        if wait:
            wait_for_port(port, timeout=60, proc=proc, what="harness proxy")
        yield p
    finally:
        code = stop(proc, signal.SIGTERM, timeout=240)
        m = COUNTS.search(p.text())
        assert code == 0 and m, p.text()[-3000:]
        p.counts = (int(m[1]), int(m[2]), int(m[3]))


@dataclass
class Load:
    """Workers posting unique ids to /echo until told to stop; counts what was answered.

    ``answered`` is what the client got back; the upstream's own record of what it answered
    (:func:`upstream_answered`) is the ground truth the counts are checked against.
    """

    base: str
    workers: int = 4
    answered: list[str] = field(default_factory=list)
    failed: int = 0
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _stop: bool = False

    async def _worker(self, w: int, session: aiohttp.ClientSession, limit: int | None) -> None:
        i = 0
        while not self._stop and (limit is None or i < limit):
            rid = f"{self.prefix}-{w}-{i:06d}"
            i += 1
            try:
                async with session.post(f"{self.base}/echo", json={"rid": rid}) as r:
                    data = await r.json(content_type=None)
                    if r.status == 200 and data["data"]["echo"]["rid"] == rid:
                        self.answered.append(rid)
                    else:
                        self.failed += 1
            except (TimeoutError, aiohttp.ClientError, ValueError, KeyError):
                self.failed += 1
                await asyncio.sleep(0.05)

    async def run(self, seconds: float | None = None, per_worker: int | None = None) -> None:
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            tasks = [
                asyncio.create_task(self._worker(w, session, per_worker))
                for w in range(self.workers)
            ]
            if seconds is not None:
                await asyncio.sleep(seconds)
                self._stop = True
            await asyncio.gather(*tasks)


def send(base: str, per_worker: int = 25) -> list[str]:
    load = Load(base)
    asyncio.run(load.run(per_worker=per_worker))
    return load.answered


async def during(load: Load, seconds: float, *actions: tuple[float, object]) -> None:
    """Run ``load`` for ``seconds``; call each action (a callable) after its delay."""

    async def act() -> None:
        started = time.monotonic()
        for delay, action in actions:
            await asyncio.sleep(max(0.0, started + delay - time.monotonic()))
            await asyncio.to_thread(action)  # type: ignore[arg-type]

    await asyncio.gather(load.run(seconds=seconds), act())


def stored_ids(db: str) -> list[str]:
    """The rid of every stored /echo exchange (SQLite path or PostgreSQL URL)."""
    from harness.store import open_store
    from harness.store.queries import list_exchanges

    factory = open_store(db, create=False)
    try:
        with factory() as s:
            rows = list_exchanges(s, limit=None, newest_first=False)
            return [
                r.request_fields["rid"]
                for r in rows
                if r.request_fields and "rid" in r.request_fields
            ]
    finally:
        factory.kw["bind"].dispose()


def wait_until(predicate, timeout: float = 120.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:.0f} s")
        time.sleep(0.2)


def upstream_answered(clients: list[str]) -> list[str]:
    """What the upstream answered for the loads these client ids came from."""
    prefixes = {rid.split("-", 1)[0] for rid in clients}
    return [rid for rid in ECHOED if rid.split("-", 1)[0] in prefixes]


def check_honest(p: Proxy, clients: list[str], stored: list[str]) -> None:
    """answered == captured + dropped; every captured exchange is in the store, once."""
    answered = upstream_answered(clients)
    assert set(clients) <= set(answered)
    captured, dropped, errors = p.counts
    assert errors == 0, p.text()[-3000:]
    assert len(answered) == captured + dropped, (len(answered), p.counts)
    assert len(stored) == len(set(stored)), "an exchange was stored twice"
    assert set(stored) <= set(answered)
    assert len(stored) == captured, (len(stored), p.counts)


@pytest.fixture(scope="module")
def up():
    with upstream() as url:
        yield url


def test_the_ingest_killed_repeatedly_under_load(up, tmp_path):
    db = str(tmp_path / "h.db")
    answered: list[str] = []
    with proxy(up, db, tmp_path) as p:
        load = Load(p.base)
        kills: list[int] = []

        def kill() -> None:
            wait_until(lambda: bool(p.ingest_pids()), what="an ingest process")
            for pid in p.ingest_pids():
                os.kill(pid, signal.SIGKILL)
                kills.append(pid)

        # More deaths than the old "5 restarts, then capture is off for good".
        asyncio.run(during(load, 14.0, *((1.0 + 2.0 * i, kill) for i in range(6))))
        answered += load.answered
        assert len(kills) >= 6
        wait_until(lambda: bool(p.ingest_pids()), what="a restarted ingest")
        after = send(p.base)  # capture resumes
        answered += after
        children = subprocess.run(
            ["ps", "-o", "stat=", "--ppid", str(p.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert not [s for s in children if s.startswith("Z")], "dead ingests left as zombies"
    stored = stored_ids(db)
    check_honest(p, answered, stored)
    assert set(after) <= set(stored), "exchanges after the last restart were not stored"
    assert "stopped (" in p.text()  # each death was seen and logged


def _is_root() -> bool:
    return os.geteuid() == 0


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``path`` (root only); unmounted after."""
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill(directory: Path) -> Path:
    """Fill a filesystem to the last byte; returns the filler file."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for block in (65536, 512, 1):  # big blocks, then the last partial ones
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * block)
    finally:
        os.close(fd)
    return filler


@pytest.mark.skipif(not _is_root(), reason="mounting a small tmpfs needs root (CI runs as root)")
def test_a_full_filesystem_spools_elsewhere_and_back_fills(up, tmp_path):
    with tmpfs(tmp_path / "small", "8m") as small:
        db = str(small / "h.db")
        fallback = fallback_spool_path(small / "h.spool")
        Spool(fallback).clear()
        answered: list[str] = []
        with proxy(up, db, tmp_path) as p:
            answered += send(p.base, 10)  # the store works
            wait_until(lambda: len(stored_ids(db)) == len(answered), what="first rows stored")
            filler = _fill(small)
            full = send(p.base, 25)  # SQLite and the first spool fail: the fallback holds them
            answered += full
            wait_until(lambda: len(Spool(fallback)) > 0, what="rows in the fallback spool")
            filler.unlink()  # space again: the store answers, the fallback is back-filled
            wait_until(
                lambda: not Spool(fallback).exists(), timeout=120, what="the fallback back-filled"
            )
            after = send(p.base)
            answered += after
        stored = stored_ids(db)
    check_honest(p, answered, stored)
    assert p.counts[1] == 0, "nothing should be lost: the fallback spool had room"
    assert set(full) <= set(stored) and set(after) <= set(stored)
    assert "trying the next place" in p.text()


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Make ``directory`` read-only for this process: a read-only tmpfs remount as root
    (root ignores permission bits), chmod 0555 otherwise."""
    if _is_root():
        res = subprocess.run(
            ["mount", "-o", "remount,ro", str(directory)], capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr
        try:
            yield
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(directory)], check=True)
    else:
        os.chmod(directory, 0o555)
        try:
            yield
        finally:
            os.chmod(directory, 0o755)


@contextlib.contextmanager
def spool_dir(tmp_path: Path) -> Iterator[Path]:
    if _is_root():
        with tmpfs(tmp_path / "spool", "16m") as d:
            yield d
    else:
        d = tmp_path / "spool"
        d.mkdir()
        yield d


def test_a_read_only_spool_directory_falls_back_and_back_fills(up, tmp_path):
    db_path = tmp_path / "h.db"
    with spool_dir(tmp_path) as sdir:
        spool = sdir / "h.spool"
        fallback = fallback_spool_path(spool)
        Spool(fallback).clear()
        answered: list[str] = []
        with proxy(up, str(db_path), tmp_path, "--spool", str(spool)) as p:
            answered += send(p.base, 10)
            wait_until(lambda: len(stored_ids(str(db_path))) == len(answered), what="rows stored")
            # The store is locked (spool!) and the spool directory read-only (fall back!).
            lock = sqlite3.connect(db_path, timeout=30, isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            try:
                with read_only(sdir):
                    during_fault = send(p.base, 25)
                    answered += during_fault
                    wait_until(lambda: len(Spool(fallback)) > 0, what="the fallback spool")
            finally:
                lock.execute("ROLLBACK")
                lock.close()
            wait_until(lambda: not Spool(fallback).exists(), what="the fallback back-filled")
            after = send(p.base)
            answered += after
        stored = stored_ids(str(db_path))
    check_honest(p, answered, stored)
    assert p.counts[1] == 0
    assert set(during_fault) <= set(stored) and set(after) <= set(stored)


def test_a_read_only_spool_directory_at_start_is_one_line(up, tmp_path):
    with spool_dir(tmp_path) as sdir, read_only(sdir):
        res = subprocess.run(
            [
                HARNESS,
                "proxy",
                "--upstream",
                up,
                "--listen-port",
                str(free_port()),
                "--db",
                str(tmp_path / "h.db"),
                "--spool",
                str(sdir / "h.spool"),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, **ENV},
            timeout=120,
        )
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "not writable" in res.stderr and "Traceback" not in res.stderr


def test_a_deleted_database_is_recreated_and_nothing_is_swallowed(up, tmp_path):
    db_path = tmp_path / "h.db"
    with proxy(up, str(db_path), tmp_path) as p:
        before = send(p.base, 10)
        wait_until(lambda: len(stored_ids(str(db_path))) == len(before), what="rows stored")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{db_path}{suffix}")
        after = send(p.base, 25)
        wait_until(lambda: db_path.exists(), what="the store recreated")
        wait_until(
            lambda: len(stored_ids(str(db_path))) == len(after), what="rows in the new store"
        )
    assert sorted(stored_ids(str(db_path))) == sorted(after)  # none went into the old inode
    assert p.counts == (len(before) + len(after), 0, 0)
    assert "was deleted while open" in p.text()
    assert os.stat(db_path).st_mode & 0o077 == 0


def test_the_store_down_at_start_does_not_stop_the_proxy(up, pg_url, tmp_path):
    from sqlalchemy.engine import make_url

    from tests.test_capture_ingest import Forwarder

    url = make_url(pg_url)
    fwd = Forwarder((url.host or "127.0.0.1", url.port or 5432))  # not listening yet: down
    via = url.set(host="127.0.0.1", port=fwd.port).render_as_string(hide_password=False)
    spool = tmp_path / "pg.spool"
    answered: list[str] = []
    try:
        with proxy(up, via, tmp_path, "--spool", str(spool)) as p:
            answered += send(p.base, 10)  # served while the store is down: spooled
            wait_until(lambda: len(Spool(spool)) == len(answered), what="rows spooled")
            fwd.up()
            wait_until(lambda: not Spool(spool).exists(), what="the spool back-filled")
            answered += send(p.base)
    finally:
        fwd.close()
    check_honest(p, answered, stored_ids(pg_url))
    assert "starting anyway" in p.text()


PG_RESTART = os.environ.get("HARNESS_TEST_PG_RESTART") == "1"
PG_CLUSTER = os.environ.get("HARNESS_TEST_PG_CLUSTER", "15 main").split()


def _pg_ctl(action: str) -> None:
    subprocess.run(["pg_ctlcluster", *PG_CLUSTER, action], check=True, timeout=120)


@pytest.mark.skipif(
    not PG_RESTART,
    reason="restarts the shared PostgreSQL server: only where HARNESS_TEST_PG_RESTART=1 (CI)",
)
def test_postgresql_stopped_and_started_under_load(up, pg_url, tmp_path):
    spool = tmp_path / "pg.spool"
    answered: list[str] = []
    with proxy(up, pg_url, tmp_path, "--spool", str(spool)) as p:
        answered += send(p.base, 10)
        wait_until(lambda: len(stored_ids(pg_url)) == len(answered), what="rows stored")
        _pg_ctl("stop")
        try:
            down = send(p.base, 25)
            answered += down
            wait_until(lambda: len(Spool(spool)) > 0, what="rows spooled while it is down")
        finally:
            _pg_ctl("start")
        wait_until(lambda: not Spool(spool).exists(), timeout=180, what="the spool back-filled")
        after = send(p.base)
        answered += after
    stored = stored_ids(pg_url)
    check_honest(p, answered, stored)
    assert p.counts[1] == 0
    assert set(down) <= set(stored) and set(after) <= set(stored)
