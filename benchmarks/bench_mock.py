"""Mock gateway benchmark: ``harness mock`` against Stoplight Prism serving the same rules.

One endpoint with the rules a learned gateway typically has (required, forbidden
characters, a GBK byte limit, a pattern, an enum, a decimal, a checksum, an allow-list),
served side by side under the same load generator (wrk, 16 connections, 2 threads):

- **harness mock**: ``harness mock --rules rules.yaml`` (the YAML export of the rules);
- **Prism**: ``prism mock openapi.json`` (``@stoplight/prism-cli``, installed by ``make
  prism``), serving the OpenAPI export of the same rules: it validates the standard
  keywords (required, pattern, maxLength, enum, minimum/maximum); it ignores the ``x-``
  ones (GBK bytes, checksum), so it does a little less work per request than the mock.

Two bodies: a valid request (the mock checks every rule and answers a success) and one
that breaks a rule (both answer a rejection: the mock production's code, Prism a 422).
Rounds alternate the contestants; medians are reported. Target (issue 8): the mock at
least 3x Prism's requests/s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import free_port, median, stop, table, wait_for_port, wrk

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
PLAN = ROOT / "replays" / "simbank.yaml"
ENDPOINT = "POST /openapi/v1/vaccount/open"
PATH = "/openapi/v1/vaccount/open"
VALID = {
    "enterpriseName": "上海华瑞（浦东）科技有限公司",
    "accountName": "上海华瑞科技有限公司",
    "legalMobile": "13812345678",
    "creditCode": "91310115MA1K3YJ398",
    "currency": "CNY",
    "amount": "1200.50",
    "businessAddress": "上海市浦东新区张江路100号",
}
INVALID = {**VALID, "enterpriseName": "上海华瑞(浦东)科技有限公司"}
TARGET = 3.0


def rules() -> list[Any]:
    from harness.rules import RuleSpec

    def rule(field: str, kind: str, params: dict[str, Any], code: str, message: str) -> Any:
        return RuleSpec(ENDPOINT, field, kind, params, code=code, message=message,
                        state="confirmed")  # fmt: skip

    return [
        rule("enterpriseName", "required", {}, "ED0010", "企业名称不能为空"),
        rule(
            "enterpriseName",
            "forbidden_chars",
            {"classes": ["ascii_upper", "ascii_lower"], "chars": "()"},
            "ED0012",
            "企业名称含有非法字符",
        ),  # fmt: skip
        rule(
            "enterpriseName",
            "max_bytes",
            {"max": 120, "encoding": "gbk"},
            "ED0013",
            "企业名称长度超限",
        ),  # fmt: skip
        rule("accountName", "allowed_chars", {"set": "gbk"}, "ED0014", "账户名称含有非法字符"),
        rule("legalMobile", "pattern", {"regex": "1[3-9][0-9]{9}"}, "ED0033", "手机号格式不正确"),
        rule(
            "creditCode", "checksum", {"algorithm": "gb32100"}, "ED0021", "统一社会信用代码校验失败"
        ),
        rule("currency", "enum", {"values": ["CNY", "USD"]}, "ED0073", "币种不支持"),
        rule(
            "amount",
            "decimal",
            {"scale": 2, "min": "0.01", "max": "5000000"},
            "ED0071",
            "金额格式不正确",
        ),  # fmt: skip
        rule("businessAddress", "max_length", {"max": 100}, "ED0041", "经营地址长度超限"),
    ]


def _write_specs(tmp: Path) -> tuple[Path, Path]:
    from harness.export import to_yaml
    from harness.export.openapi import to_openapi
    from harness.plan import load_plan

    specs = rules()
    yaml_path, openapi_path = tmp / "rules.yaml", tmp / "openapi.json"
    yaml_path.write_text(to_yaml(specs, plan_name="simbank"), encoding="utf-8")
    document = to_openapi(specs, load_plan(PLAN))
    openapi_path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return yaml_path, openapi_path


def _command(name: str, port: int, yaml_path: Path, openapi_path: Path) -> list[str]:
    if name == "harness mock":
        return [str(BIN / "harness"), "mock", "--rules", str(yaml_path), "--plan", str(PLAN),
                "--port", str(port)]  # fmt: skip
    return [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(openapi_path)]


def _check(url: str) -> dict[str, int]:
    """Both contestants must accept the valid body and reject the invalid one."""
    import urllib.error
    import urllib.request

    out = {}
    for label, body in (("valid", VALID), ("invalid", INVALID)):
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        rejected = status >= 400 or '"ED0012"' in text
        out[label] = status
        if rejected != (label == "invalid"):
            raise SystemExit(f"{url}: the {label} body got {status} {text[:200]}")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args(argv)
    if not PRISM.exists():
        raise SystemExit("Prism is not installed: run `make prism` (needs node and npm)")
    contestants = ("harness mock", "Prism")
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    statuses: dict[str, dict[str, int]] = {}
    env = {**os.environ, "NO_COLOR": "1"}
    with tempfile.TemporaryDirectory(prefix="bench-mock-") as tmpdir:
        yaml_path, openapi_path = _write_specs(Path(tmpdir))
        for _ in range(args.rounds):
            for name in contestants:
                port = free_port()
                log = (Path(tmpdir) / "server.log").open("a")
                proc = subprocess.Popen(_command(name, port, yaml_path, openapi_path),
                                        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmpdir)  # fmt: skip
                try:
                    wait_for_port(port, timeout=60, proc=proc)
                    url = f"http://127.0.0.1:{port}{PATH}"
                    statuses[name] = _check(url)
                    for label, body in (("valid", VALID), ("invalid", INVALID)):
                        text = json.dumps(body, ensure_ascii=False)
                        wrk(url, text, duration=args.warmup)
                        res = wrk(url, text, duration=args.duration)
                        runs.setdefault((name, label), []).append(
                            {
                                "rps": res.rps,
                                "p50_ms": res.p50_ms,
                                "p99_ms": res.p99_ms,
                                "errors": res.errors,
                            }  # fmt: skip
                        )
                finally:
                    stop(proc)
                    log.close()
    figures: dict[str, Any] = {"statuses": statuses, "rounds": args.rounds}
    rows = []
    for (name, label), items in runs.items():
        fig = {k: round(median([r[k] for r in items]), 2) for k in items[0]}
        figures.setdefault(label, {})[name] = fig
    for label in ("valid", "invalid"):
        ours, theirs = figures[label]["harness mock"], figures[label]["Prism"]
        figures[label]["ratio"] = round(ours["rps"] / max(theirs["rps"], 1e-9), 2)
        for name in contestants:
            f = figures[label][name]
            rows.append([label, name, f"{f['rps']:,.0f}", f"{f['p50_ms']:.2f}", f"{f['p99_ms']:.2f}",
                         str(statuses[name][label]), f"{f['errors']:.0f}"])  # fmt: skip
    print(table(["body", "server", "req/s", "p50 ms", "p99 ms", "status", "errors"], rows))
    for label in ("valid", "invalid"):
        print(f"{label} body: harness mock {figures[label]['ratio']:.1f}x Prism's requests/s")
    return figures


def summary(figures: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """(figure, measured, ratio, target, met) rows for the table benchmarks/run.py ends with."""
    out: list[tuple[str, str, str, str, bool | None]] = []
    for label in ("valid", "invalid"):
        f = figures[label]
        out.append((f"mock vs Prism, {label} body", f"{f['harness mock']['rps']:,.0f} req/s",
                    f"{f['ratio']:.1f}x", f">= {TARGET:g}x", f["ratio"] >= TARGET))  # fmt: skip
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
