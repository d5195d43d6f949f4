"""Capture benchmark: what the capture costs the proxied traffic, side by side.

Same upstream (nginx answering a small JSON body), same load (wrk, a small JSON POST with
customer-like fields), three proxies interleaved over several rounds:

- ``plain``: ``mitmdump --mode reverse:URL`` (no addon),
- ``save``: ``mitmdump -w FILE`` (mitmproxy's own flow file, for reference),
- ``capture``: ``harness proxy`` (the capture addon, the ingest process, a SQLite store,
  the simbank plan);
- ``metrics``: the same with ``--metrics-port`` (health and Prometheus metrics served,
  one histogram observation per exchange; the port is not scraped during the load).

Reports the median requests/s and p50/p99 latency of each, the ratios against plain, and
checks that every request wrk completed through ``harness proxy`` is in the store after
SIGTERM (no exchange lost). Targets (issue 2): capture >= 0.95x plain, p99 <= 1.10x plain.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import free_port, median, nginx, stop, table, wait_for_port, wrk

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PLAN = ROOT / "replays" / "simbank.yaml"
REQUEST = (
    '{"enterpriseName":"某某(某某)有限公司","creditCode":"91350100M000100Y43",'
    '"legalName":"张三","legalMobile":"13912345678","amount":"100.00","requestNo":"R0000001"}'
)
ANSWER = '{"code":"000000","msg":"成功","data":{"accountNo":"6222020200001234567","serialNo":"S1"}}'
VARIANTS = ("plain", "save", "capture", "metrics")
CAPTURES = ("capture", "metrics")


def _command(variant: str, upstream: str, port: int, tmp: Path, n: int) -> list[str]:
    base = [
        str(BIN / "mitmdump"),
        "--mode",
        f"reverse:{upstream}",
        "--listen-host",
        "127.0.0.1",
        "-p",
        str(port),
        "-q",
    ]
    if variant == "plain":
        return base
    if variant == "save":
        return [*base, "-w", str(tmp / f"save-{n}.flows")]
    return [
        str(BIN / "harness"),
        "proxy",
        "--upstream",
        upstream,
        "--listen-port",
        str(port),
        "--db",
        str(tmp / f"capture-{n}.db"),
        "--plan",
        str(PLAN),
        "--quiet",
        *(["--metrics-port", str(free_port())] if variant == "metrics" else []),
    ]


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _stored(db: Path) -> tuple[int, int]:
    """(exchanges, exchanges with an upstream status) in a capture store."""
    with sqlite3.connect(db) as conn:
        total, answered = conn.execute("SELECT count(*), count(status) FROM exchanges").fetchone()
    return int(total), int(answered)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before each run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    env = {**os.environ, "HARNESS_KEY": "5a" * 32}
    runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    checks: list[dict[str, int]] = []
    load = {"connections": args.connections, "threads": args.threads}
    with nginx(ANSWER) as upstream, tempfile.TemporaryDirectory(prefix="bench-capture-") as tmpdir:
        tmp = Path(tmpdir)
        n = 0
        for rnd in range(args.rounds):
            for variant in VARIANTS:
                n += 1
                port = free_port()
                cmd = _command(variant, upstream, port, tmp, n)
                with (tmp / f"{variant}-{n}.log").open("w") as log:
                    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
                    try:
                        wait_for_port(port, proc=proc)
                        url = f"http://127.0.0.1:{port}/openapi/v1/account/open"
                        warm = wrk(url, REQUEST, duration=args.warmup, **load)
                        kids = _children(proc.pid)
                        cpu0 = (_cpu(proc.pid), sum(_cpu(k) for k in kids))
                        res = wrk(url, REQUEST, duration=args.duration, **load)
                        cpu1 = (_cpu(proc.pid), sum(_cpu(k) for k in kids))
                    finally:
                        code = stop(proc, timeout=120)
                per_req = 1000.0 / max(res.requests, 1)
                run = {
                    "rps": res.rps,
                    "p50_ms": res.p50_ms,
                    "p99_ms": res.p99_ms,
                    "errors": res.errors + res.non2xx,
                    "proxy_cpu_ms": (cpu1[0] - cpu0[0]) * per_req,
                    "ingest_cpu_ms": (cpu1[1] - cpu0[1]) * per_req,
                }
                runs[variant].append(run)
                line = (
                    f"round {rnd + 1} {variant:8s} {res.rps:6.0f} req/s  p50 {res.p50_ms:6.2f} ms"
                    f"  p99 {res.p99_ms:6.2f} ms  CPU/req: proxy {run['proxy_cpu_ms']:.3f} ms"
                )
                if variant in CAPTURES:
                    completed = warm.requests + res.requests
                    total, answered = _stored(tmp / f"capture-{n}.db")
                    checks.append(
                        {
                            "completed": completed,
                            "stored": total,
                            "stored_answered": answered,
                            "exit": code,
                        }
                    )
                    line += (
                        f", ingest {run['ingest_cpu_ms']:.3f} ms"
                        f"  completed {completed}, stored {answered} answered / {total}, exit {code}"
                    )
                print(line, flush=True)

    keys = ("rps", "p50_ms", "p99_ms", "proxy_cpu_ms", "ingest_cpu_ms")
    med = {v: {k: median([r[k] for r in runs[v]]) for k in keys} for v in VARIANTS}
    plain = med["plain"]
    rows = []
    for v in VARIANTS:
        m = med[v]
        rows.append(
            [
                v,
                f"{m['rps']:.0f}",
                f"{m['rps'] / plain['rps']:.2f}x",
                f"{m['p50_ms']:.2f}",
                f"{m['p99_ms']:.2f}",
                f"{m['p99_ms'] / plain['p99_ms']:.2f}x",
                f"{m['proxy_cpu_ms']:.3f}",
                f"{m['ingest_cpu_ms']:.3f}" if v in CAPTURES else "",
            ]
        )
    print()
    headers = ["proxy", "req/s", "vs plain", "p50 ms", "p99 ms", "p99 vs plain"]
    print(table([*headers, "proxy CPU ms/req", "ingest CPU ms/req"], rows))
    lost = sum(max(0, c["completed"] - c["stored_answered"]) for c in checks)
    completed_all = sum(c["completed"] for c in checks)
    print(
        f"\ncapture runs: {completed_all} requests completed by wrk, {lost} missing from the store"
    )
    ratio = med["capture"]["rps"] / plain["rps"]
    p99_ratio = med["capture"]["p99_ms"] / plain["p99_ms"]
    cpu_ratio = med["capture"]["proxy_cpu_ms"] / plain["proxy_cpu_ms"]
    print(f"proxy CPU per request, capture vs plain: {cpu_ratio:.2f}x")
    return {
        "medians": med,
        "ratio_capture_vs_plain": round(ratio, 3),
        "ratio_save_vs_plain": round(med["save"]["rps"] / plain["rps"], 3),
        "ratio_metrics_vs_capture": round(med["metrics"]["rps"] / med["capture"]["rps"], 3),
        "p99_ratio_capture_vs_plain": round(p99_ratio, 3),
        "proxy_cpu_ratio_capture_vs_plain": round(cpu_ratio, 3),
        "runs": runs,
        "capture_checks": checks,
        "lost": lost,
        "targets": {"ratio": 0.95, "p99_ratio": 1.10, "lost": 0},
        "met": {"ratio": ratio >= 0.95, "p99_ratio": p99_ratio <= 1.10, "lost": lost == 0},
        "settings": vars(args),
    }


def summary(figures: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """(figure, measured, ratio, target, met) rows for the table benchmarks/run.py ends with."""
    med = figures["medians"]
    return [
        (
            "harness proxy vs plain mitmdump, throughput",
            f"{med['capture']['rps']:,.0f} req/s",
            f"{figures['ratio_capture_vs_plain']:.2f}x",
            ">= 0.95x",
            figures["met"]["ratio"],
        ),
        (
            "harness proxy vs plain mitmdump, p99 latency",
            f"{med['capture']['p99_ms']:.2f} ms",
            f"{figures['p99_ratio_capture_vs_plain']:.2f}x",
            "<= 1.10x",
            figures["met"]["p99_ratio"],
        ),
        (
            "harness proxy --metrics-port vs without, throughput",
            f"{med['metrics']['rps']:,.0f} req/s",
            f"{figures['ratio_metrics_vs_capture']:.2f}x",
            "",
            None,
        ),
        ("exchanges lost by capture", str(figures["lost"]), "", "0", figures["met"]["lost"]),
    ]


if __name__ == "__main__":
    main(sys.argv[1:])
