"""Learning benchmark: ``harness.learn.learn`` over 100,000, 1,000,000 and 10,000,000
captured exchanges, its time and its peak memory.

Rows are generated in the store's shape (id, ts, endpoint, outcome, code, message, flat
request fields), already "sanitized": mostly distinct names, addresses, identifiers with
valid check characters, a unique request id per exchange, as pseudonymized traffic looks.
About 4% are rejections over 14 signatures on three endpoints (specific messages, a generic
参数校验失败 hiding two rules, and random 系统繁忙 noise). The timed part is the whole
pipeline: the streaming pass, induction, reconciliation, analogy and the risk list.

Each size runs in its own process, so its peak resident memory (``VmHWM``) is its own:

- **streaming** (how ``harness learn`` reads the store): rows come from a generator, one at
  a time, as the store's cursor yields them; the figure is the peak minus the resident size
  before learning (the generator's value pools are in the baseline);
- **in memory** (the alternative: a window loaded as a list, as the learner once did): the
  same rows built into a list first; the figure includes the list.

The streamed and the listed run must learn the same rules (checked at the smallest size).
Targets (issue 13): under 300 MB at 1,000,000 and at 10,000,000 exchanges, time linear;
100,000 exchanges in under 10 s.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import table

OPEN = "POST /openapi/v1/vaccount/open"
PAY = "POST /openapi/v1/transfer"
UPDATE = "POST /openapi/v1/enterprise/{id}/update"
LABELS = {
    "enterpriseName": "企业名称",
    "businessAddress": "经营地址",
    "legalName": "法人姓名",
    "creditCode": "统一社会信用代码",
    "legalMobile": "法人手机号",
    "amount": "金额",
    "currency": "币种",
    "purpose": "用途",
    "remark": "附言",
    "EntName": "企业名称",
}
HANZI = "华瑞宏鑫恒泰盛达信诚源丰佳汇通博新远安康德隆创联智星晨峰嘉锦和润启昌伟娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂"
RARE = "喆堃昇珺璟彧"  # in GBK, outside GB2312
CREDIT = "0123456789ABCDEFGHJKLMNPQRTUWXY"
PURPOSES = ("货款", "服务费", "工资", "往来款", "租金", "报销款")
START = datetime(2026, 11, 24, tzinfo=UTC)
POOL_CAP = 200_000  # distinct values per field at most (the generator's own memory)
SIZES = (100_000, 1_000_000, 10_000_000)
MEMORY_TARGET_MB = 300


class Pools:
    """Distinct values to draw from, about one per five exchanges per field."""

    def __init__(self, n: int, rng: random.Random) -> None:
        from harness.text.checksums import credit_code_check, id_number_check, luhn_check

        size = min(max(1000, n // 5), POOL_CAP)
        r = rng

        def word(k: int) -> str:
            return "".join(r.choice(HANZI) for _ in range(k))

        self.names = [
            f"{word(2)}（{word(2)}）{word(4)}有限公司" if i % 2 else f"{word(2)}{word(4)}有限公司"
            for i in range(size)
        ]
        self.addresses = [
            f"{word(3)}市{word(2)}路{r.randint(1, 999)}号{r.randint(1, 30)}{r.randint(1, 20):02d}室"
            for _ in range(size)
        ]
        self.people = [word(r.choice((2, 3, 3))) for _ in range(size)]
        self.credits = []
        for _ in range(size):
            body = "91" + "".join(r.choice(CREDIT) for _ in range(15))
            self.credits.append(body + credit_code_check(body))
        self.ids = []
        for _ in range(size):
            body = f"{r.randint(110000, 659000)}{r.randint(1960, 2000)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(0, 999):03d}"
            self.ids.append(body + id_number_check(body))
        self.cards = []
        for _ in range(size):
            body = "62" + "".join(str(r.randrange(10)) for _ in range(r.choice((13, 16))))
            self.cards.append(body + luhn_check(body))
        self.mobiles = [
            r.choice(("138", "159", "186", "177")) + f"{r.randrange(10**8):08d}"
            for _ in range(size)
        ]
        self.amounts = [f"{r.randrange(100, 300_000_000) / 100:.2f}" for _ in range(size)]
        self.remarks = [f"{r.randint(1, 12)}月{word(2)}" for _ in range(size)]


def _open(p: Pools, r: random.Random, i: int) -> dict[str, Any]:
    name = r.choice(p.names)
    return {
        "merchantNo": f"M{r.randrange(10**8):08d}",
        "requestId": f"R{i:020d}",
        "enterpriseName": name,
        "creditCode": r.choice(p.credits),
        "legalName": r.choice(p.people),
        "legalIdNo": r.choice(p.ids),
        "legalMobile": r.choice(p.mobiles),
        "businessAddress": r.choice(p.addresses),
        "accountName": name,
        "bindCardNo": r.choice(p.cards),
    }


def _pay(p: Pools, r: random.Random, i: int) -> dict[str, Any]:
    return {
        "requestId": f"R{i:020d}",
        "payerAccount": r.choice(p.cards),
        "payeeAccount": r.choice(p.cards),
        "payeeName": r.choice(p.names),
        "amount": r.choice(p.amounts),
        "currency": "CNY",
        "purpose": r.choice(PURPOSES),
        "remark": r.choice(p.remarks),
    }


def _update(p: Pools, r: random.Random, i: int) -> dict[str, Any]:
    return {
        "Request.Head.TxCode": "ENT_UPDATE",
        "Request.Head.ReqSeq": f"R{i:020d}",
        "Request.Body.EntName": r.choice(p.names),
        "Request.Body.RegAddress": r.choice(p.addresses),
        "Request.Body.ContactName": r.choice(p.people),
        "Request.Body.ContactMobile": r.choice(p.mobiles),
    }


def _bad_check(value: str, alphabet: str, r: random.Random) -> str:
    return value[:-1] + r.choice([c for c in alphabet if c != value[-1]])


# (endpoint, weight, code, message, how to break the fields)
FLAWS: list[tuple[str, int, str, str, Any]] = [
    (
        OPEN,
        30,
        "ED0012",
        "企业名称含有非法字符",
        lambda f, r: f.update(
            enterpriseName=f["enterpriseName"][:2] + "(上海)" + f["enterpriseName"][2:]
        ),
    ),
    (
        OPEN,
        4,
        "ED0013",
        "企业名称长度超限",
        lambda f, r: f.update(enterpriseName=f["enterpriseName"] + "分公司" * 8),
    ),
    (
        OPEN,
        20,
        "ED0041",
        "经营地址格式不正确",
        lambda f, r: f.update(
            businessAddress=f["businessAddress"] + r.choice(("B座", "Room 12", "A1栋"))
        ),
    ),
    (
        OPEN,
        10,
        "ED0031",
        "法人姓名含有非法字符",
        lambda f, r: f.update(legalName=f["legalName"][:1] + r.choice(RARE)),
    ),
    (
        OPEN,
        6,
        "ED0021",
        "统一社会信用代码校验失败",
        lambda f, r: f.update(creditCode=_bad_check(f["creditCode"], CREDIT, r)),
    ),
    (
        OPEN,
        8,
        "ED0033",
        "法人手机号格式不正确",
        lambda f, r: f.update(legalMobile=r.choice(("+86", "0")) + f["legalMobile"]),
    ),
    (
        OPEN,
        6,
        "ED0099",
        "参数校验失败",
        lambda f, r: f.update(bindCardNo=_bad_check(f["bindCardNo"], "0123456789", r)),
    ),
    (PAY, 10, "ED0099", "参数校验失败", lambda f, r: f.update(remark=" " + f["remark"])),
    (
        PAY,
        6,
        "ED0099",
        "参数校验失败",
        lambda f, r: f.update(payeeAccount=_bad_check(f["payeeAccount"], "0123456789", r)),
    ),
    (PAY, 10, "ED0071", "金额格式不正确", lambda f, r: f.update(amount=f["amount"] + "5")),
    (
        PAY,
        6,
        "ED0072",
        "金额超出限额",
        lambda f, r: f.update(amount=r.choice(("5000000.01", "8800000.00"))),
    ),
    (PAY, 2, "ED0073", "币种不支持", lambda f, r: f.update(currency=r.choice(("USD", "HKD")))),
    (
        PAY,
        3,
        "ED0074",
        "用途不在允许范围内",
        lambda f, r: f.update(purpose=r.choice(("投资款", "理财"))),
    ),
    (
        UPDATE,
        12,
        "EX0012",
        "企业名称含有非法字符",
        lambda f, r: f.update({"Request.Body.EntName": "某某(北京)有限公司"}),
    ),
]


def iter_rows(n: int, seed: int = 5, pools: Pools | None = None) -> Iterator[dict[str, Any]]:
    """``n`` captured exchanges over one day, one at a time: ~4% rule rejections, ~0.3%
    noise."""
    r = random.Random(seed)
    pools = pools or Pools(n, r)
    makers = ((OPEN, _open), (PAY, _pay), (UPDATE, _update))
    weights = (50, 35, 15)
    flaws_by_endpoint = {ep: [f for f in FLAWS if f[0] == ep] for ep, _ in makers}
    step = timedelta(days=1) / n
    for i in range(n):
        endpoint, make = r.choices(makers, weights=weights)[0]
        fields = make(pools, r, i)
        code, message, outcome = "000000", "成功", "accepted"
        roll = r.random()
        if roll < 0.04:
            options = flaws_by_endpoint[endpoint]
            _, _, code, message, apply = r.choices(options, weights=[f[1] for f in options])[0]
            apply(fields, r)
            outcome = "rejected"
        elif roll < 0.043:
            code, message, outcome = "SY0400", "系统繁忙，请稍后重试", "rejected"
        yield {
            "id": i + 1,
            "ts": START + step * i,
            "endpoint": endpoint,
            "outcome": outcome,
            "code": code,
            "message": message,
            "request_fields": fields,
        }


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_mb() -> float:
    """This process's peak resident size: VmHWM, which starts afresh at exec (ru_maxrss
    does not: it keeps the parent's peak at the fork, and `make bench`'s parent is big)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def fingerprint(rules: list[Any]) -> list[str]:
    return sorted(
        f"{r.key} {sorted(r.params.items())} {r.state} {r.support} {r.contradict}" for r in rules
    )


def measure(n: int, mode: str) -> dict[str, Any]:
    """One size, one way of reading, in this process (run it in a fresh one)."""
    from harness.learn import learn
    from harness.plan import Plan

    plan = Plan(labels=LABELS)
    pools = Pools(n, random.Random(5))
    gc.collect()
    baseline = _rss_mb()
    started = time.perf_counter()
    if mode == "list":
        rows: Any = list(iter_rows(n, pools=pools))
    else:
        rows = lambda: iter_rows(n, pools=pools)  # noqa: E731 (a fresh pass per call)
    built = time.perf_counter()
    result = learn(rows, plan=plan)
    seconds = time.perf_counter() - built
    learned = [r for r in result.rules if r.source == "learned"]
    expected = {(f[0], f[2], f[3]) for f in FLAWS}
    explained = {(r.endpoint, r.code, r.message) for r in learned}
    return {
        "exchanges": n,
        "mode": mode,
        "seconds": round(seconds, 2),
        "build_seconds": round(built - started, 2),
        "us_per_exchange": round(seconds / n * 1e6, 2),
        "baseline_mb": round(baseline),
        "peak_mb": round(_peak_mb() - baseline),
        "learned": len(learned),
        "analogy": sum(1 for r in result.rules if r.source == "analogy"),
        "at_risk": result.stats["at_risk"],
        "signatures_explained": f"{len(expected & explained)}/{len(expected)}",
        "noise_explained": any(r.code == "SY0400" for r in learned),
        "rules": fingerprint(result.rules),
    }


def _child(n: int, mode: str) -> dict[str, Any]:
    """:func:`measure` in a fresh interpreter (its peak memory is its own)."""
    here = Path(__file__).resolve()
    proc = subprocess.run(
        [sys.executable, str(here), "--child", str(n), mode],
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=here.parent.parent,
    )
    if proc.returncode != 0:
        raise SystemExit(f"learning {n:,} exchanges ({mode}) failed: {proc.stderr.strip()[-400:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(runs: list[dict[str, Any]]) -> str:
    return table(
        ["exchanges", "read as", "learn (s)", "us/exchange", "peak memory", "learned", "analogy", "signatures"],
        [
            [
                f"{r['exchanges']:,}",
                "stream" if r["mode"] == "stream" else "list in memory",
                f"{r['seconds']:.2f}",
                f"{r['us_per_exchange']:.2f}",
                f"{r['peak_mb']:,} MB",
                r["learned"],
                r["analogy"],
                r["signatures_explained"],
            ]
            for r in runs
        ],
    )  # fmt: skip


def summary(figures: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """(figure, measured, ratio, target, met) rows for the table benchmarks/run.py ends with."""
    streams = [r for r in figures["runs"] if r["mode"] == "stream"]
    out: list[tuple[str, str, str, str, bool | None]] = []
    for r in streams:
        if r["exchanges"] == 100_000:
            out.append(
                (
                    "learn 100,000 exchanges",
                    f"{r['seconds']:.2f} s",
                    "",
                    "< 10 s",
                    r["seconds"] < 10,
                )
            )
        if r["exchanges"] >= 1_000_000:
            peak = r["peak_mb"]
            out.append(
                (
                    f"learn {r['exchanges']:,}: peak memory",
                    f"{peak:,} MB",
                    "",
                    f"< {MEMORY_TARGET_MB} MB",
                    peak < MEMORY_TARGET_MB,
                )
            )
    listed = {r["exchanges"]: r for r in figures["runs"] if r["mode"] == "list"}
    for r in streams:
        other = listed.get(r["exchanges"])
        if other:
            ratio = other["peak_mb"] / max(r["peak_mb"], 1)
            out.append(
                (
                    f"learn {r['exchanges']:,}: list in memory",
                    f"{other['peak_mb']:,} MB",
                    f"{ratio:.1f}x the stream's",
                    "",
                    None,
                )
            )
    out.append(
        (
            "learn: per-exchange time, largest vs smallest",
            "",
            f"{figures['linearity']:.2f}x",
            "about 1.0x (linear)",
            None,
        )
    )
    out.append(
        ("learn: stream and list learn the same rules", "", "", "same", figures["same_rules"])
    )
    return out  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--list-up-to", type=int, default=1_000_000, help="largest in-memory run")
    parser.add_argument("--child", nargs=2, metavar=("N", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        figures = measure(int(args.child[0]), args.child[1])
        print(json.dumps(figures, ensure_ascii=False))
        return figures
    runs = []
    for n in args.sizes:
        for mode in ("stream", "list"):
            if mode == "list" and n > args.list_up_to:
                continue
            print(f"learning {n:,} exchanges ({mode}) ...", flush=True)
            runs.append(_child(n, mode))
    print(report(runs))
    streams = [r for r in runs if r["mode"] == "stream"]
    small, large = streams[0], streams[-1]
    ratio = large["us_per_exchange"] / small["us_per_exchange"]
    print(
        f"growth: {ratio:.2f}x the per-exchange time from the smallest to the largest run (1.0 is linear)"
    )
    pairs = {(r["exchanges"], r["mode"]): r["rules"] for r in runs}
    same = all(pairs[(n, "list")] == pairs[(n, "stream")] for n, mode in pairs if mode == "list")
    print(f"stream and list learn the same rules: {'yes' if same else 'NO'}")
    for r in runs:
        r.pop("rules")
    return {
        "runs": runs,
        "linearity": round(ratio, 2),
        "same_rules": same,
        "targets": {"seconds_at_100k": 10.0, "peak_mb": MEMORY_TARGET_MB},
    }  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
