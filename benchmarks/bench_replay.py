"""Replay benchmark: ``harness replay`` versus mitmproxy's own client replay, same exchanges.

N stored exchanges (3,000 by default: a simulated day's requests, sanitized by the ingest's
own RowBuilder, stored as production rejections in a SQLite file under /tmp) are replayed
against nginx (a fast local target), side by side in one run:

- **harness**: ``harness.replay.replay`` in this process, as ``harness replay`` runs it
  (select, sign, send with 32 in flight, classify, diff, judge, batch-insert results);
  wall time from the call to its return;
- **harness CLI**: the ``harness replay --json`` command, process start to exit;
- **mitmproxy**: the same requests written as a mitmproxy flow file (mitmproxy.io.FlowWriter;
  it holds only sanitized data and lives in a temp dir), replayed by
  ``mitmdump -n -q -C FILE --set client_replay_concurrency=-1``; process start to exit,
  minus the start-up and shut-down of the same command on an empty flow file (so mitmproxy
  is not charged for its start-up).

Each is repeated (``--rounds``, alternating) and the median reported. Target (issue 4):
harness >= 5x mitmproxy's client replay.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import median, nginx, table

BIN = Path(sys.executable).parent
REJECTION = '{"code":"ED0012","msg":"企业名称含有非法字符"}'.encode()


def _records(count: int) -> list[dict[str, Any]]:
    """Capture records (as the proxy hands them to the ingest) for a simulated day."""
    from harness.sim.traffic import generate

    out = []
    for i, req in enumerate(generate(count, "2026-11-24", seed=11, flaw_rate=0.3)):
        ts = req.sim_time.timestamp()
        body = REJECTION if not req.path.endswith("/update") else _xml_rejection()
        ctype = (
            "application/xml; charset=GBK" if req.path.endswith("/update") else "application/json"
        )
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
    from harness.plan import load_plan
    from harness.record import RowBuilder
    from harness.store import open_store
    from harness.store.queries import insert_exchanges

    plan = load_plan(Path(__file__).resolve().parent.parent / "replays" / "simbank.yaml")
    builder = RowBuilder(plan, os.urandom(32))
    rows = [builder.build(rec, i) for i, rec in enumerate(_records(count))]
    for row in rows:  # every one a production rejection, whatever the simulation said
        row["outcome"] = "rejected"
    factory = open_store(str(db))
    with factory.begin() as session:
        insert_exchanges(session, rows)
    factory.kw["bind"].dispose()


def _flow_file(db: Path, path: Path, target: str) -> int:
    """The stored exchanges as a mitmproxy flow file aimed at ``target``."""
    from urllib.parse import urlsplit

    from mitmproxy import connection, http, io

    from harness.plan import default_plan
    from harness.replay import Sample
    from harness.replay.request import base_headers
    from harness.store import open_store
    from harness.store.queries import ExchangeFilter, list_exchanges

    parts = urlsplit(target)
    factory = open_store(str(db), create=False)
    n = 0
    with factory() as session, path.open("wb") as f:
        writer = io.FlowWriter(f)
        for row in list_exchanges(session, ExchangeFilter(), limit=None, newest_first=False):
            sample = Sample.from_row(row)
            headers = base_headers(sample, default_plan(), {})
            request = http.Request.make(
                sample.method, f"{target}{sample.path}", sample.body, headers
            )
            client = connection.Client(
                peername=("127.0.0.1", 40000),
                sockname=("127.0.0.1", 8080),
                timestamp_start=time.time(),
            )
            server = connection.Server(address=(parts.hostname, parts.port))
            flow = http.HTTPFlow(client, server)
            flow.request = request
            writer.add(flow)
            n += 1
    factory.kw["bind"].dispose()
    return n


def _mitmdump(flows: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            str(BIN / "mitmdump"),
            "-n",
            "-q",
            "-C",
            str(flows),
            "--set",
            "client_replay_concurrency=-1",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=600,
    )
    return time.perf_counter() - started


def _harness(db: Path, target: str, count: int) -> tuple[float, dict[str, Any]]:
    from harness import diff
    from harness.replay import Selection, Settings, replay
    from harness.replay import request as replay_request
    from harness.store import open_store

    # Start cold, as a fresh `harness replay` process would: no decoded body, no diff kept.
    diff._REPORTS.clear()
    replay_request._decoded.cache_clear()
    factory = open_store(str(db), create=False)
    started = time.perf_counter()
    report = replay(
        factory,
        {"nginx": target},
        selection=Selection(outcome="rejected", limit=count),
        settings=Settings(concurrency=32),
    )
    elapsed = time.perf_counter() - started
    factory.kw["bind"].dispose()
    return elapsed, report.summary


def _harness_cli(db: Path, target: str, count: int, code: str | None = None) -> float:
    started = time.perf_counter()
    args = [str(BIN / "harness"), "replay", "--db", str(db), "--target", f"nginx={target}"]
    args += ["--limit", str(count), "--json"] + (["--code", code] if code else [])
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, timeout=600)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="stored exchanges to replay")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions (median)")
    args = parser.parse_args(argv)
    if shutil.which("mitmdump", path=str(BIN)) is None:
        raise SystemExit("mitmdump not found next to this Python")
    t: dict[str, list[float]] = {k: [] for k in ("engine", "cli", "cli_idle", "mitm", "mitm_idle")}
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "harness.db"
        _store(db, args.count)
        with nginx() as target:
            flows, empty = tmp / "replay.flows", tmp / "empty.flows"
            n = _flow_file(db, flows, target)
            empty.write_bytes(b"")
            for _ in range(args.rounds):
                seconds, summary = _harness(db, target, args.count)
                t["engine"].append(seconds)
                t["cli"].append(_harness_cli(db, target, args.count))
                t["cli_idle"].append(_harness_cli(db, target, args.count, code="NO-SUCH-CODE"))
                t["mitm"].append(_mitmdump(flows))
                t["mitm_idle"].append(_mitmdump(empty))
    requests = summary["requests"]  # the exchanges, plus the noise repeats
    m = {k: median(v) for k, v in t.items()}
    rps = {
        "engine": requests / m["engine"],
        "cli": requests / m["cli"],
        "cli_net": requests / max(1e-6, m["cli"] - m["cli_idle"]),
        "mitm": n / m["mitm"],
        "mitm_net": n / max(1e-6, m["mitm"] - m["mitm_idle"]),
    }
    figures = {
        "exchanges": args.count,
        "requests_per_run": requests,
        "results_per_run": summary["results"],
        "harness_rps": round(rps["engine"]),
        "harness_cli_rps": round(rps["cli_net"]),
        "harness_cli_all_in_rps": round(rps["cli"]),
        "mitmdump_client_replay_rps": round(rps["mitm_net"]),
        "mitmdump_all_in_rps": round(rps["mitm"]),
        "harness_cli_startup_s": round(m["cli_idle"], 2),
        "mitmdump_startup_s": round(m["mitm_idle"], 2),
        "ratio": round(rps["engine"] / rps["mitm_net"], 1),
        "ratio_cli": round(rps["cli_net"] / rps["mitm_net"], 1),
        "ratio_all_in": round(rps["cli"] / rps["mitm"], 1),
        "rounds": args.rounds,
    }
    print(
        table(
            ("replay of stored exchanges against nginx", "requests/s", "vs mitmproxy"),
            [
                (
                    "harness replay engine (in-process, 32 in flight)",
                    figures["harness_rps"],
                    f"{figures['ratio']}x",
                ),
                (
                    "harness replay CLI, start-up excluded",
                    figures["harness_cli_rps"],
                    f"{figures['ratio_cli']}x",
                ),
                (
                    "mitmdump -C, concurrency -1, start-up excluded",
                    figures["mitmdump_client_replay_rps"],
                    "1.0x",
                ),
                (
                    "harness replay CLI, all-in",
                    figures["harness_cli_all_in_rps"],
                    f"{figures['ratio_all_in']}x",
                ),
                ("mitmdump -C, concurrency -1, all-in", figures["mitmdump_all_in_rps"], "1.0x"),
            ],
        )
    )
    print(
        f"{args.count} exchanges; {requests} requests per harness run (incl. noise repeats); "
        f"start-up: harness {figures['harness_cli_startup_s']} s, mitmdump "
        f"{figures['mitmdump_startup_s']} s; median of {args.rounds}; target >= 5x"
    )
    return figures


if __name__ == "__main__":
    main()
