"""Learning benchmark: ``harness.learn.learn`` over 100,000 and 1,000,000 captured exchanges.

Rows are built in memory in the store's shape (id, ts, endpoint, outcome, code, message,
flat request fields), already "sanitized": mostly distinct names, addresses, identifiers
with valid check characters, a unique request id per exchange, as pseudonymized traffic
looks. About 4% are rejections over 14 signatures on three endpoints (specific messages,
a generic 参数校验失败 hiding two rules, and random 系统繁忙 noise). The timed part is the
whole pipeline: indexing, induction, reconciliation, analogy and the risk list.

Target (issue 5): 100,000 exchanges in under 10 s, growing about linearly.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
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


class Pools:
    """Distinct values to draw from, about one per five exchanges per field."""

    def __init__(self, n: int, rng: random.Random) -> None:
        from harness.checksums import credit_code_check, id_number_check, luhn_check

        size = max(1000, n // 5)
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


def build_rows(n: int, seed: int = 5) -> list[dict[str, Any]]:
    """``n`` captured exchanges over one day: ~4% rule rejections, ~0.3% noise."""
    r = random.Random(seed)
    pools = Pools(n, r)
    makers = ((OPEN, _open), (PAY, _pay), (UPDATE, _update))
    weights = (50, 35, 15)
    flaws_by_endpoint = {ep: [f for f in FLAWS if f[0] == ep] for ep, _ in makers}
    step = timedelta(days=1) / n
    rows = []
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
        rows.append(
            {
                "id": i + 1,
                "ts": START + step * i,
                "endpoint": endpoint,
                "outcome": outcome,
                "code": code,
                "message": message,
                "request_fields": fields,
            }
        )
    return rows


def measure(n: int) -> dict[str, Any]:
    from harness.learn import learn
    from harness.plan import Plan

    print(f"building {n:,} synthetic exchanges ...", flush=True)
    rows = build_rows(n)
    plan = Plan(labels=LABELS)
    gc.collect()
    started = time.perf_counter()
    result = learn(rows, plan=plan)
    seconds = time.perf_counter() - started
    learned = [r for r in result.rules if r.source == "learned"]
    expected = {(f[0], f[2], f[3]) for f in FLAWS}
    explained = {(r.endpoint, r.code, r.message) for r in learned}
    del rows
    gc.collect()
    return {
        "exchanges": n,
        "seconds": round(seconds, 2),
        "us_per_exchange": round(seconds / n * 1e6, 2),
        "learned": len(learned),
        "analogy": sum(1 for r in result.rules if r.source == "analogy"),
        "at_risk": result.stats["at_risk"],
        "signatures_explained": f"{len(expected & explained)}/{len(expected)}",
        "noise_explained": any(r.code == "SY0400" for r in learned),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args(argv)
    runs = [measure(n) for n in args.sizes]
    small, large = runs[0], runs[-1]
    ratio = (
        (large["seconds"] / small["seconds"]) / (large["exchanges"] / small["exchanges"])
        if len(runs) > 1
        else 1.0
    )
    print(
        table(
            [
                "exchanges",
                "learn (s)",
                "us/exchange",
                "learned",
                "analogy",
                "at risk",
                "signatures",
            ],
            [
                [
                    f"{r['exchanges']:,}",
                    f"{r['seconds']:.2f}",
                    f"{r['us_per_exchange']:.2f}",
                    r["learned"],
                    r["analogy"],
                    r["at_risk"],
                    r["signatures_explained"],
                ]
                for r in runs
            ],
        )
    )
    print(
        f"growth: {ratio:.2f}x the per-exchange time from the smallest to the largest run (1.0 is linear)"
    )
    target = next((r for r in runs if r["exchanges"] == 100_000), None)
    return {
        "runs": runs,
        "linearity": round(ratio, 2),
        "targets": {"seconds_at_100k": 10.0},
        "met": {"seconds_at_100k": target["seconds"] < 10.0 if target else None},
    }


if __name__ == "__main__":
    main(sys.argv[1:])
