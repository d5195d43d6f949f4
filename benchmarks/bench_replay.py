"""Replay benchmark: ``harness replay`` against the bare HTTP client and mitmproxy's replay.

Stored exchanges (a simulated day's requests, sanitized by the ingest's own RowBuilder,
stored as production rejections in a SQLite file under /tmp) are replayed against nginx
(a fast local target), side by side in one run, at two sizes (3,000 and 30,000 by default):

- **bare client**: aiohttp's ClientSession with the same concurrency (32) sending the very
  requests replay sends (built beforehand, in memory), on uvloop (the loop replay uses) and
  on asyncio's own loop: the HTTP client's limit on this machine, with nothing else to do;
- **engine**: ``harness.replay.replay`` called as a library in a fresh Python process
  (select, sign, send, classify, diff, judge, write), timed from the call to its return;
- **CLI all-in**: the ``harness replay --json`` command, process start to exit; its start-up
  alone is the same command selecting nothing (``--code NO-SUCH-CODE``);
- **mitmproxy** (the smaller size only: it replays a few hundred requests a second): the
  same requests in a mitmproxy flow file, ``mitmdump -n -q -C FILE --set
  client_replay_concurrency=-1``, process start to exit, and its start-up alone (an empty
  flow file).

Rounds alternate the contestants; medians are reported. Targets (issue 13): the CLI all-in
at least 10x mitmproxy's replay (all-in) on 3,000 exchanges, and at least half the bare
client's requests/s on 30,000.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import median, nginx, table

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
REJECTION = '{"code":"ED0012","msg":"企业名称含有非法字符"}'.encode()
BASE = 3000  # distinct simulated exchanges; larger stores repeat them on later days
CONCURRENCY = 32
Request = tuple[str, str, dict[str, str], bytes]


def _records(count: int) -> list[dict[str, Any]]:
    """Capture records (as the proxy hands them to the ingest) for a simulated day."""
    from harness.sim.traffic import generate

    out = []
    for i, req in enumerate(generate(count, "2026-11-24", seed=11, flaw_rate=0.3)):
        ts = req.sim_time.timestamp()
        xml = req.path.endswith("/update")
        body = _xml_rejection() if xml else REJECTION
        ctype = "application/xml; charset=GBK" if xml else "application/json"
        out.append(
            {
                "v": 1,
                "ts": ts,
                "client": f"10.0.0.{i % 250 + 1}:40000",
                "method": req.method,
                "scheme": "http",
                "host": "gateway.bank.example",
                "port": 80,
                "path": req.path,
                "req_headers": [(k.encode(), v.encode()) for k, v in req.headers.items()],
                "req_body": req.body,
                "req_size": len(req.body),
                "req_truncated": False,
                "status": 200,
                "resp_headers": [(b"Content-Type", ctype.encode())],
                "resp_body": body,
                "resp_size": len(body),
                "resp_truncated": False,
                "t_end": ts + 0.02,
                "error": None,
            }
        )
    return out


def _xml_rejection() -> bytes:
    text = (
        '<?xml version="1.0" encoding="GBK"?><Response><Head><RspCode>EX0101</RspCode>'
        "<RspMsg>注册地址含有非法字符</RspMsg><SerialNo>SN1</SerialNo></Head></Response>"
    )
    return text.encode("gbk")


def _store(db: Path, count: int) -> None:
    """``count`` production rejections: :data:`BASE` sanitized exchanges, repeated a day later
    as many times as needed.
    """
    from harness.capture.record import RowBuilder
    from harness.plan import load_plan
    from harness.store import open_store
    from harness.store.queries import insert_exchanges

    plan = load_plan(ROOT / "replays" / "simbank.yaml")
    builder = RowBuilder(plan, os.urandom(32))
    base = [builder.build(rec, i) for i, rec in enumerate(_records(min(count, BASE)))]
    for row in base:  # every one a production rejection, whatever the simulation said
        row["outcome"] = "rejected"
    factory = open_store(str(db))
    for start in range(0, count, len(base)):
        day = timedelta(days=start // len(base))
        rows = [{**row, "ts": row["ts"] + day} for row in base[: count - start]]
        with factory.begin() as session:
            insert_exchanges(session, rows)
    factory.kw["bind"].dispose()


def _requests(db: Path, target: str, count: int) -> list[Request]:
    """The requests ``harness replay`` sends for the first ``count`` stored exchanges."""
    from harness.plan import default_plan
    from harness.replay import Sample, build_request
    from harness.store import open_store
    from harness.store.queries import ExchangeFilter
    from harness.store.replays import replay_rows
    from harness.targets.signers import NoSigner

    plan = default_plan()
    factory = open_store(str(db), create=False)
    with factory() as session:
        rows = replay_rows(session, ExchangeFilter(outcome="rejected"), limit=count)
        out = [build_request(Sample.from_row(row), target, plan, NoSigner(), {}) for row in rows]
    factory.kw["bind"].dispose()
    return out


def _flow_file(requests: list[Request], path: Path) -> int:
    """The requests as a mitmproxy flow file (sanitized data only, in a temp dir)."""
    from urllib.parse import urlsplit

    from mitmproxy import connection, http, io

    with path.open("wb") as f:
        writer = io.FlowWriter(f)
        for method, url, headers, body in requests:
            parts = urlsplit(url)
            client = connection.Client(
                peername=("127.0.0.1", 40000),
                sockname=("127.0.0.1", 8080),
                timestamp_start=time.time(),
            )
            flow = http.HTTPFlow(client, connection.Server(address=(parts.hostname, parts.port)))
            flow.request = http.Request.make(method, url, body, headers)
            writer.add(flow)
    return len(requests)


def _bare_client(requests: list[Request], loop: str) -> float:
    """Seconds for aiohttp alone to send ``requests``, :data:`CONCURRENCY` in flight."""
    import aiohttp

    async def main() -> float:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector) as session:
            work = iter(requests)

            async def worker() -> None:
                for method, url, headers, body in work:
                    async with session.request(method, url, headers=headers, data=body) as r:
                        await r.read()

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            return time.perf_counter() - started

    if loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(main())
    return asyncio.run(main())


ENGINE = """
import json, sys, time
from harness.replay import Selection, Settings, replay
from harness.store import open_store
factory = open_store(sys.argv[1], create=False)
started = time.perf_counter()
report = replay(factory, {"nginx": sys.argv[2]},
                selection=Selection(outcome="rejected", limit=int(sys.argv[3])),
                settings=Settings(concurrency=int(sys.argv[4]), recording=sys.argv[5]))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "requests": report.summary["requests"],
                  "results": report.summary["results"]}))
"""


def _engine(db: Path, target: str, count: int, recording: str = "auto") -> tuple[float, int]:
    """(seconds inside ``replay()``, requests sent), in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", ENGINE, str(db), target, str(count), str(CONCURRENCY), recording],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    figures = json.loads(out)
    return figures["seconds"], figures["requests"]


def _wall(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, timeout=600)
    return time.perf_counter() - started


def _cli(db: Path, target: str, count: int, code: str | None = None) -> float:
    args = [str(BIN / "harness"), "replay", "--db", str(db), "--target", f"nginx={target}"]
    args += ["--limit", str(count), "--json"] + (["--code", code] if code else [])
    return _wall(args)


def _mitmdump(flows: Path) -> float:
    return _wall(
        [str(BIN / "mitmdump"), "-n", "-q", "-C", str(flows)]
        + ["--set", "client_replay_concurrency=-1"]
    )


def _size(
    tmp: Path, target: str, count: int, rounds: int, mitm: bool, log: Callable[[str], None]
) -> dict[str, Any]:
    """All contestants on ``count`` exchanges; medians of ``rounds`` alternating rounds."""
    db = tmp / f"replay-{count}.db"
    log(f"storing {count:,} exchanges ...")
    _store(db, count)
    requests = _requests(db, target, count)
    flows, empty = tmp / f"replay-{count}.flows", tmp / "empty.flows"
    if mitm:
        _flow_file(requests, flows)
        empty.write_bytes(b"")
    t: dict[str, list[float]] = {}
    sent = 0
    gc.collect()
    gc.freeze()  # the prepared requests: keep them out of the bare client's collections
    for r in range(rounds):
        log(f"round {r + 1}/{rounds} ...")
        for loop in ("uvloop", "asyncio"):
            t.setdefault(f"bare_{loop}", []).append(_bare_client(requests, loop))
        seconds, sent = _engine(db, target, count)
        t.setdefault("engine", []).append(seconds)
        t.setdefault("cli", []).append(_cli(db, target, count))
        t.setdefault("cli_idle", []).append(_cli(db, target, count, code="NO-SUCH-CODE"))
        if mitm:
            t.setdefault("mitm", []).append(_mitmdump(flows))
            t.setdefault("mitm_idle", []).append(_mitmdump(empty))
    gc.unfreeze()
    m = {k: median(v) for k, v in t.items()}
    rps = {
        "bare_uvloop": count / m["bare_uvloop"],
        "bare_asyncio": count / m["bare_asyncio"],
        "engine": sent / m["engine"],
        "cli_all_in": sent / m["cli"],
    }
    if mitm:
        rps["mitmdump_all_in"] = count / m["mitm"]
        rps["mitmdump_net"] = count / max(1e-6, m["mitm"] - m["mitm_idle"])
    bare = max(rps["bare_uvloop"], rps["bare_asyncio"])
    return {
        "exchanges": count,
        "requests_per_harness_run": sent,
        "rps": {k: round(v) for k, v in rps.items()},
        "startup_s": {
            "harness_cli": round(m["cli_idle"], 2),
            **({"mitmdump": round(m["mitm_idle"], 2)} if mitm else {}),
        },
        "vs_bare_client": {
            k: round(rps[k] / bare, 2)
            for k in ("bare_uvloop", "bare_asyncio", "engine", "cli_all_in")
        },
        "vs_mitmdump_all_in": (
            {k: round(v / rps["mitmdump_all_in"], 1) for k, v in rps.items()} if mitm else {}
        ),
        "rounds": rounds,
    }


def report_rows(figures: dict[str, Any]) -> list[tuple[str, ...]]:
    """Rows of the summary table (benchmarks/run.py prints them at the end too)."""
    rows = []
    names = {
        "bare_uvloop": "bare aiohttp client, uvloop (the limit)",
        "bare_asyncio": "bare aiohttp client, asyncio loop",
        "engine": "harness replay engine, as a library",
        "cli_all_in": "harness replay CLI, all-in",
        "mitmdump_all_in": "mitmdump -C, all-in",
        "mitmdump_net": "mitmdump -C, start-up excluded",
    }
    for size in figures["sizes"]:
        for key, name in names.items():
            if key not in size["rps"]:
                continue
            vs_bare = size["vs_bare_client"].get(key)
            vs_mitm = size["vs_mitmdump_all_in"].get(key)
            rows.append(
                (
                    f"{size['exchanges']:,}",
                    name,
                    f"{size['rps'][key]:,}",
                    f"{vs_bare:.2f}x" if vs_bare is not None else "",
                    f"{vs_mitm:.1f}x" if vs_mitm is not None else "",
                )
            )
    return rows


HEADERS = (
    "exchanges",
    "replayer (against nginx, 32 in flight)",
    "requests/s",
    "vs bare",
    "vs mitmdump",
)


def summary(figures: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """(figure, measured, ratio, target, met) rows for the table benchmarks/run.py ends with."""
    out: list[tuple[str, str, str, str, bool | None]] = []
    for size in figures["sizes"]:
        n, rps = f"{size['exchanges']:,}", size["rps"]
        if size["vs_mitmdump_all_in"]:
            ratio = size["vs_mitmdump_all_in"]["cli_all_in"]
            out.append(
                (f"replay CLI all-in vs mitmdump -C all-in, {n}", f"{rps['cli_all_in']:,} req/s",
                 f"{ratio:.1f}x", ">= 10x", ratio >= 10)
            )  # fmt: skip
        for key, name in (("cli_all_in", "replay CLI all-in"), ("engine", "replay engine")):
            ratio = size["vs_bare_client"][key]
            targeted = key == "cli_all_in" and size["exchanges"] >= 30000
            out.append(
                (f"{name} vs bare aiohttp client, {n}", f"{rps[key]:,} req/s", f"{ratio:.2f}x",
                 ">= 0.5x" if targeted else "", ratio >= 0.5 if targeted else None)
            )  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3000,30000", help="exchanges per size, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions (median)")
    parser.add_argument("--mitm-max", type=int, default=5000, help="largest size mitmdump replays")
    args = parser.parse_args(argv)
    if shutil.which("mitmdump", path=str(BIN)) is None:
        raise SystemExit("mitmdump not found next to this Python")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    figures: dict[str, Any] = {"sizes": []}
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp, nginx() as target:
        for count in sizes:
            figures["sizes"].append(
                _size(Path(tmp), target, count, args.rounds, count <= args.mitm_max, print)
            )
    print(table(HEADERS, report_rows(figures), left=2))
    for size in figures["sizes"]:
        startup = ", ".join(f"{k} {v} s" for k, v in size["startup_s"].items())
        print(
            f"{size['exchanges']:,} exchanges: {size['requests_per_harness_run']:,} requests per "
            f"harness run (incl. noise repeats); start-up {startup}; median of {size['rounds']}"
        )
    figures["targets"] = {
        "cli_all_in_vs_mitmdump_all_in_at_3000": 10,
        "cli_all_in_vs_bare_client_at_30000": 0.5,
    }
    return figures


if __name__ == "__main__":
    main()
