"""Store benchmark: the ingest's insert path against a bare SQLAlchemy Core bulk insert, and the
"one day's rejections for endpoint X" query.

Synthetic, already-sanitized exchange rows (1,000,000 by default, 300,000 on PostgreSQL) go
into one store through three paths, taking turns every :data:`TURN` rows so that the
machine's noise falls on all three alike, into the same table of the same SQLite file (or
the same PostgreSQL schema):

- **ingest**: the ingest process's own path, ``harness.capture.sink.Sink.write`` (one Core
  executemany per batch of ``harness.capture.ingest.BATCH`` rows, one transaction each, through
  the store's engine);
- **bare Core**: ``sqlalchemy.create_engine(url)`` and ``conn.execute(insert(table), rows)``
  in batches of the same size, one transaction each: what SQLAlchemy does by default (the
  standard library's JSON encoder), with the same SQLite pragmas (WAL, synchronous=NORMAL);
- **bare Core, orjson**: the same, with the JSON encoder the store's engine uses.

Then the day query (``harness.store.queries.day_rejections``), median of several runs.
PostgreSQL is measured when a server URL is given (``--pg URL``, or HARNESS_BENCH_PG_URL),
in a schema of its own that is dropped afterwards. Targets (issues 2 and 13): >= 20,000
rows/s inserted; the ingest path >= 0.8x the bare Core insert; the day query <= 0.2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import median, table

TURN = 5000  # rows per path per turn
DAYS = 30
ENDPOINTS = [
    f"POST /openapi/v1/{svc}/{op}"
    for svc in ("enterprise", "account", "payment", "card", "query")
    for op in ("open", "update", "bind", "close")
]
START = datetime(2026, 11, 1, tzinfo=UTC)


def _pool(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Distinct row templates with realistic sizes (bodies of a few hundred bytes)."""
    from harness.store.queries import EXCHANGE_COLUMNS

    pool = []
    for i in range(n):
        name = "某某(某某)有限公司" if i % 7 == 0 else "某某（某某）贸易有限公司"
        req = (
            f'{{"enterpriseName":"{name}","creditCode":"91350100M000100Y43","legalName":"张三",'
            f'"legalMobile":"139{i % 10**8:08d}","businessAddress":"福建省福州市鼓楼区某某路{i % 999}号",'
            f'"amount":"{rng.randint(1, 10**6)}.00","requestNo":"R{i:012d}"}}'
        ).encode()
        row = {c: None for c in EXCHANGE_COLUMNS}
        row.update(
            client=f"10.0.{i % 256}.{rng.randint(1, 254)}:{rng.randint(1024, 65535)}",
            method="POST",
            scheme="https",
            host="gateway.bank.example",
            request_headers=[
                ["host", "gateway.bank.example"],
                ["content-type", "application/json;charset=utf-8"],
                ["x-signature", "[redacted]"],
                ["x-request-id", f"{i:016x}"],
            ],
            request_body=req,
            request_format="json",
            request_charset="utf-8",
            request_fields={
                "enterpriseName": name,
                "creditCode": "91350100M000100Y43",
                "legalName": "张三",
                "legalMobile": f"139{i % 10**8:08d}",
                "businessAddress": f"福建省福州市鼓楼区某某路{i % 999}号",
                "amount": "1.00",
                "requestNo": f"R{i:012d}",
            },
            request_size=len(req),
            request_truncated=False,
            status=200,
            response_headers=[["content-type", "application/json"], ["content-length", "96"]],
            response_format="json",
            response_charset="utf-8",
            response_size=96,
            response_truncated=False,
            duration_ms=rng.uniform(5, 80),
        )
        pool.append(row)
    return pool


def _rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pool = _pool(2000, rng)
    step = timedelta(days=DAYS) / n
    rows = []
    for i in range(n):
        row = dict(pool[i % len(pool)])
        r = rng.random()
        outcome = "accepted" if r < 0.90 else ("rejected" if r < 0.98 else "upstream_error")
        endpoint = ENDPOINTS[rng.randrange(len(ENDPOINTS))]
        row["ts"] = START + step * i
        row["endpoint"] = endpoint
        row["path"] = endpoint.split(" ", 1)[1]
        row["outcome"] = outcome
        if outcome == "accepted":
            row.update(
                code="000000",
                message="成功",
                response_body=b'{"code":"000000","msg":"\xe6\x88\x90\xe5\x8a\x9f","data":{"serialNo":"S1"}}',
            )
        elif outcome == "rejected":
            code = rng.choice(("ED0012", "ED0013", "ED0020"))
            row.update(
                code=code,
                message="企业名称含有非法字符",
                response_body=b'{"code":"' + code.encode() + b'","msg":"x"}',
            )
        else:
            row.update(
                code=None,
                message=None,
                status=502,
                error="connection refused",
                response_body=None,
                response_format="empty",
            )
        rows.append(row)
    return rows


def _bare_engine(url: str, serializer: Any = None) -> Any:
    """A plain SQLAlchemy engine: default JSON encoder unless given, the store's SQLite pragmas."""
    from sqlalchemy import create_engine, event

    options = {"json_serializer": serializer} if serializer is not None else {}
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":

        def pragmas(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        event.listen(engine, "connect", pragmas)
    return engine


def _inserts(url: str, rows: list[dict[str, Any]], tmp: Path) -> dict[str, float]:
    """Rows/s of each insert path, taking turns on the same table (see the docstring)."""
    from sqlalchemy import insert

    from harness.capture.ingest import BATCH
    from harness.capture.sink import Sink
    from harness.capture.spool import Spool
    from harness.store.jsoncol import dumps as json_dumps
    from harness.store.models import Exchange

    store = Sink(url, [Spool(tmp / "bench.spool")])
    store.start()  # migrates
    table = Exchange.__table__
    bare = {"bare Core": _bare_engine(url), "bare Core, orjson": _bare_engine(url, json_dumps)}

    def bare_path(engine: Any) -> Callable[[list[dict[str, Any]]], None]:
        def write(batch: list[dict[str, Any]]) -> None:
            with engine.begin() as conn:
                conn.execute(insert(table), batch)

        return write

    paths: dict[str, Callable[[list[dict[str, Any]]], None]] = {"ingest": store.write}
    paths.update({name: bare_path(engine) for name, engine in bare.items()})
    seconds = dict.fromkeys(paths, 0.0)
    counts = dict.fromkeys(paths, 0)
    names = list(paths)
    for turn, start in enumerate(range(0, len(rows), TURN)):
        name = names[turn % len(names)]
        chunk = rows[start : start + TURN]
        began = time.perf_counter()
        for i in range(0, len(chunk), BATCH):
            paths[name](chunk[i : i + BATCH])
        seconds[name] += time.perf_counter() - began
        counts[name] += len(chunk)
    assert store.spooled == 0, "the store refused batches during the benchmark"
    store.close()
    for engine in bare.values():
        engine.dispose()
    return {name: counts[name] / seconds[name] for name in paths}


def _day_query(url: str, runs: int) -> tuple[float, float, int, int]:
    """(median s, max s, rows returned, rows in store) of the day query."""
    from sqlalchemy.orm import sessionmaker

    from harness.store import make_engine
    from harness.store.queries import count_exchanges, day_rejections

    engine = make_engine(url)
    factory = sessionmaker(engine)
    endpoint = ENDPOINTS[3]
    day_start = START + timedelta(days=DAYS // 2)
    day_end = day_start + timedelta(days=1)
    times = []
    found = 0
    for _ in range(runs):
        with factory() as s:
            t0 = time.perf_counter()
            found = len(day_rejections(s, endpoint, day_start, day_end))
            times.append(time.perf_counter() - t0)
    with factory() as s:
        total = count_exchanges(s)
    engine.dispose()
    return median(times), max(times), found, total


@contextlib.contextmanager
def _pg_schema(url: str) -> Iterator[str]:
    """A fresh schema on the server for the benchmark's tables; dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _backend(name: str, url: str, n: int, runs: int, tmp: Path) -> dict[str, Any]:
    print(f"{name}: generating {n:,} synthetic rows ...", flush=True)
    rows = _rows(n)
    print(f"{name}: inserting through three paths in turns of {TURN:,} rows ...", flush=True)
    rates = _inserts(url, rows, tmp)
    del rows
    q, q_max, found, total = _day_query(url, runs)
    best_bare = max(v for k, v in rates.items() if k != "ingest")
    return {
        "backend": name,
        "rows": total,
        "inserts_per_s": {k: round(v) for k, v in rates.items()},
        "ingest_vs_bare_core": round(rates["ingest"] / rates["bare Core"], 2),
        "ingest_vs_best_bare": round(rates["ingest"] / best_bare, 2),
        "day_query_s_median": round(q, 4),
        "day_query_s_max": round(q_max, 4),
        "day_query_rows": found,
    }


def report_rows(figures: dict[str, Any]) -> list[tuple[str, ...]]:
    """Rows of the summary table (benchmarks/run.py prints them at the end too)."""
    out = []
    for b in figures["backends"]:
        rates = b["inserts_per_s"]
        bare = rates["bare Core"]
        for path, rate in rates.items():
            out.append((b["backend"], f"insert: {path}", f"{rate:,} rows/s", f"{rate / bare:.2f}x"))
        out.append(
            (b["backend"], "day query (median)", f"{b['day_query_s_median']:.4f} s",
             f"{b['day_query_rows']} of {b['rows']:,} rows")
        )  # fmt: skip
    return out


HEADERS = ("store", "figure", "measured", "vs bare Core")


def summary(figures: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """(figure, measured, ratio, target, met) rows for the table benchmarks/run.py ends with."""
    out: list[tuple[str, str, str, str, bool | None]] = []
    for b in figures["backends"]:
        rate = b["inserts_per_s"]["ingest"]
        ratio = b["ingest_vs_bare_core"]
        q = b["day_query_s_median"]
        out += [
            (f"{b['backend']}: ingest insert path", f"{rate:,} rows/s", "", ">= 20,000", rate >= 20000),
            (f"{b['backend']}: ingest vs bare Core insert", "", f"{ratio:.2f}x", ">= 0.8x", ratio >= 0.8),
            (f"{b['backend']}: day query", f"{q:.4f} s", "", "<= 0.2 s", q <= 0.2),
        ]  # fmt: skip
    if "postgresql" in figures:
        out.append(("PostgreSQL", figures["postgresql"], "", "", None))
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows into SQLite")
    parser.add_argument("--pg-rows", type=int, default=300_000, help="rows into PostgreSQL")
    parser.add_argument(
        "--pg",
        default=os.environ.get("HARNESS_BENCH_PG_URL"),
        help="PostgreSQL server URL (default: HARNESS_BENCH_PG_URL); none: SQLite only",
    )
    parser.add_argument("--runs", type=int, default=7, help="day query repetitions")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"backends": [], "turn_rows": TURN}
    with tempfile.TemporaryDirectory(prefix="bench-store-", dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        sqlite_url = f"sqlite:///{tmp}/bench.db"
        figures["backends"].append(_backend("SQLite file", sqlite_url, args.rows, args.runs, tmp))
        figures["backends"][-1]["db_bytes"] = sum(p.stat().st_size for p in tmp.glob("bench.db*"))
        if args.pg:
            try:
                with _pg_schema(args.pg) as pg_url:
                    figures["backends"].append(
                        _backend("PostgreSQL", pg_url, args.pg_rows, args.runs, tmp)
                    )
            except Exception as exc:  # noqa: BLE001 (a benchmark reports, it does not stop)
                figures["postgresql"] = f"skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        else:
            figures["postgresql"] = "skipped: no server URL (--pg or HARNESS_BENCH_PG_URL)"
    print(table(HEADERS, report_rows(figures), left=2))
    if "postgresql" in figures:
        print(f"PostgreSQL {figures['postgresql']}")
    figures["targets"] = {"inserts_per_s": 20000, "ingest_vs_bare_core": 0.8, "day_query_s": 0.2}
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
