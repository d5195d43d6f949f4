"""Capture benchmark: what the capture costs the proxied traffic, side by side.

Same upstream (nginx answering a small JSON body), same load (wrk, a small JSON POST with
customer-like fields), three proxies interleaved over several rounds:

- ``plain``: ``mitmdump --mode reverse:URL`` (no addon),
- ``save``: ``mitmdump -w FILE`` (mitmproxy's own flow file, for reference),
- ``capture``: ``harness proxy`` (the capture addon, the ingest process, a SQLite store,
  the simbank plan).

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
VARIANTS = ("plain", "save", "capture")


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
    ]


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
    with nginx(ANSWER) as upstream, tempfile.TemporaryDirectory(prefix="bench-capture-") as tmpdir:
        tmp = Path(tmpdir)
        n = 0
        for rnd in range(args.rounds):
            for variant in VARIANTS:
                n += 1
                port = free_port()
                log = (tmp / f"{variant}-{n}.log").open("w")
                proc = subprocess.Popen(
                    _command(variant, upstream, port, tmp, n),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
                try:
                    wait_for_port(port, proc=proc)
                    url = f"http://127.0.0.1:{port}/openapi/v1/account/open"
                    warm = wrk(
                        url,
                        REQUEST,
                        connections=args.connections,
                        threads=args.threads,
                        duration=args.warmup,
                    )
                    res = wrk(
                        url,
                        REQUEST,
                        connections=args.connections,
                        threads=args.threads,
                        duration=args.duration,
                    )
                finally:
                    code = stop(proc, timeout=120)
                    log.close()
                runs[variant].append(
                    {
                        "rps": res.rps,
                        "p50_ms": res.p50_ms,
                        "p99_ms": res.p99_ms,
                        "errors": res.errors + res.non2xx,
                    }
                )
                line = f"round {rnd + 1} {variant:8s} {res.rps:8.0f} req/s  p50 {res.p50_ms:6.2f} ms  p99 {res.p99_ms:6.2f} ms"
                if variant == "capture":
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
                    line += f"  completed {completed}, stored {answered} answered / {total} total, exit {code}"
                print(line, flush=True)

    med = {
        v: {k: median([r[k] for r in runs[v]]) for k in ("rps", "p50_ms", "p99_ms")}
        for v in VARIANTS
    }
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
            ]
        )
    print()
    print(table(["proxy", "req/s", "vs plain", "p50 ms", "p99 ms", "p99 vs plain"], rows))
    lost = sum(max(0, c["completed"] - c["stored_answered"]) for c in checks)
    print(
        f"\ncapture runs: {sum(c['completed'] for c in checks)} requests completed by wrk, {lost} missing from the store"
    )
    ratio = med["capture"]["rps"] / plain["rps"]
    p99_ratio = med["capture"]["p99_ms"] / plain["p99_ms"]
    return {
        "medians": med,
        "ratio_capture_vs_plain": round(ratio, 3),
        "ratio_save_vs_plain": round(med["save"]["rps"] / plain["rps"], 3),
        "p99_ratio_capture_vs_plain": round(p99_ratio, 3),
        "runs": runs,
        "capture_checks": checks,
        "lost": lost,
        "targets": {"ratio": 0.95, "p99_ratio": 1.10, "lost": 0},
        "met": {"ratio": ratio >= 0.95, "p99_ratio": p99_ratio <= 1.10, "lost": lost == 0},
        "settings": vars(args),
    }


if __name__ == "__main__":
    main(sys.argv[1:])
