"""Shared helpers for the benchmarks: free ports, nginx as a fast upstream, wrk, medians.

Everything binds 127.0.0.1. nginx and wrk come from Debian's packages (``make bench``
installs them when missing).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.procs import free_port, stop, wait_for_port  # noqa: F401 (re-exported for the benches)

NGINX_CONF = """\
worker_processes 1;
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 16m;
        location / {{
            default_type application/json;
            return 200 '{body}';
        }}
    }}
}}
"""

# wrk reports its figures as one JSON line from the Lua `done` hook.
WRK_LUA = """\
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {{\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d," ..
    "\\"errors\\":%d,\\"non2xx\\":%d}}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()]
    if missing:
        raise SystemExit(
            f"benchmark needs {', '.join(missing)} (Debian: apt-get install {' '.join(missing)})"
        )


@contextlib.contextmanager
def nginx(body: str = '{"code":"000000","msg":"ok","data":{"serialNo":"1"}}') -> Iterator[str]:
    """nginx on a free port answering every request with ``body`` (JSON); yields its URL."""
    need("nginx")
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        os.chmod(tmp, 0o755)
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, body=body.replace("'", "\\'")))
        proc = subprocess.Popen(
            [binary, "-c", str(conf), "-p", tmp, "-e", f"{tmp}/error.log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, proc=proc)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc, signal.SIGQUIT)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    non2xx: int


def wrk(
    url: str,
    body: str,
    *,
    connections: int = 16,
    threads: int = 2,
    duration: float = 10.0,
    timeout: float = 10.0,
) -> WrkResult:
    """Run wrk with a JSON POST and parse the figures its Lua ``done`` hook prints."""
    need("wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(WRK_LUA.format(body=json.dumps(body, ensure_ascii=False)))
        script = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-c{connections}",
                f"-t{threads}",
                f"-d{duration:g}s",
                f"--timeout={timeout:g}s",
                "-s",
                script,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {out[-500:]!r}")
    d = json.loads(line[len("WRKJSON ") :])
    seconds = d["duration_us"] / 1e6
    return WrkResult(
        requests=d["requests"],
        seconds=seconds,
        rps=d["requests"] / seconds if seconds else 0.0,
        p50_ms=d["p50_us"] / 1000.0,
        p99_ms=d["p99_us"] / 1000.0,
        errors=d["errors"],
        non2xx=d["non2xx"],
    )


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1) -> str:
    """A plain aligned text table; the first ``left`` columns are aligned left."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
