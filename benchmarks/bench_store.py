"""Store benchmark: bulk-insert rate and the "one day's rejections for endpoint X" query.

Inserts synthetic, already-sanitized exchange rows (1,000,000 by default) through the ingest
process's own path (``harness.sink.Sink.write``: one Core executemany per batch of
``harness.ingest.BATCH`` rows, one transaction each) into a SQLite file under /tmp (or
``--db URL``), then times ``harness.store.queries.day_rejections`` for one endpoint and one
day, median of several runs.

Targets (issue 2): >= 20,000 exchanges/s inserted; the day query <= 0.2 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import median, table

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


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default=None, help="store URL (default: a SQLite file under /tmp)")
    parser.add_argument("--runs", type=int, default=7, help="query repetitions")
    args = parser.parse_args(argv)

    from harness.ingest import BATCH
    from harness.sink import Sink
    from harness.spool import Spool
    from harness.store.queries import count_exchanges, day_rejections

    with tempfile.TemporaryDirectory(prefix="bench-store-", dir="/tmp") as tmp:
        db = args.db or f"sqlite:///{tmp}/bench.db"
        print(f"generating {args.rows:,} synthetic rows ...", flush=True)
        rows = _rows(args.rows)
        store = Sink(db, [Spool(Path(tmp) / "bench.spool")])
        store.start()
        print(f"inserting through harness.sink.Sink.write, batches of {BATCH} ...", flush=True)
        started = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            store.write(rows[i : i + BATCH])
        insert_s = time.perf_counter() - started
        assert store.spooled == 0, "the store refused batches during the benchmark"
        del rows

        from sqlalchemy.orm import sessionmaker

        factory = sessionmaker(store.engine)
        endpoint = ENDPOINTS[3]
        day_start = START + timedelta(days=DAYS // 2)
        day_end = day_start + timedelta(days=1)
        times = []
        found = 0
        for _ in range(args.runs):
            with factory() as s:
                t0 = time.perf_counter()
                found = len(day_rejections(s, endpoint, day_start, day_end))
                times.append(time.perf_counter() - t0)
        with factory() as s:
            total = count_exchanges(s)
        store.close()
        db_bytes = (
            sum(p.stat().st_size for p in Path(tmp).glob("bench.db*")) if not args.db else None
        )

    rate = args.rows / insert_s
    q = median(times)
    result = {
        "rows": total,
        "insert_seconds": round(insert_s, 2),
        "inserts_per_s": round(rate),
        "day_query_s_median": round(q, 4),
        "day_query_s_max": round(max(times), 4),
        "day_query_rows": found,
        "db_bytes": db_bytes,
        "targets": {"inserts_per_s": 20000, "day_query_s": 0.2},
        "met": {"inserts_per_s": rate >= 20000, "day_query_s": q <= 0.2},
    }
    print(
        table(
            ["figure", "measured", "target"],
            [
                ["rows in store", f"{total:,}", ""],
                ["insert rate (rows/s)", f"{rate:,.0f}", ">= 20,000"],
                [f"day query, median of {args.runs} (s)", f"{q:.4f}", "<= 0.2"],
                ["day query rows returned", found, ""],
            ],
        )
    )
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
