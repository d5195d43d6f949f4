"""Synthetic captured rows in the store's shape, for the learner's unit tests and benchmark.

Deterministic under a seed. Nothing here reads the simulator: these are hand-written
traffic tables with known rules, small enough to reason about.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.text.checksums import credit_code_check, luhn_check

OPEN = "POST /v1/account/open"
PAY = "POST /v1/pay"
LABELS = {
    "enterpriseName": "企业名称",
    "accountName": "账户名称",
    "businessAddress": "经营地址",
    "remark": "附言",
    "cardNo": "卡号",
    "amount": "金额",
    "currency": "币种",
    "mobile": "手机号",
}
CHARS = "华瑞宏鑫恒泰盛达信诚源丰佳汇通博新远安康德隆创联智星晨峰嘉锦和润启昌"
CITIES = ("上海", "北京", "深圳", "杭州", "成都", "武汉")
ROADS = ("张江路", "科苑路", "建国路", "中山路", "人民路")
CREDIT = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class Maker:
    def __init__(self, seed: int = 1) -> None:
        self.r = random.Random(seed)

    def company(self) -> str:
        r = self.r
        brand = "".join(r.sample(CHARS, 2))
        if r.random() < 0.5:
            return f"{brand}（{r.choice(CITIES)}）科技有限公司"
        return f"{r.choice(CITIES)}{brand}贸易有限公司"

    def address(self) -> str:
        r = self.r
        return f"{r.choice(CITIES)}市{r.choice(ROADS)}{r.randint(1, 999)}号{r.randint(1, 30)}室"

    def card(self) -> str:
        body = "62" + "".join(str(self.r.randrange(10)) for _ in range(14))
        return body + luhn_check(body)

    def credit(self) -> str:
        body = "91310115" + "".join(self.r.choice(CREDIT) for _ in range(9))
        return body + credit_code_check(body)

    def mobile(self) -> str:
        return self.r.choice(("138", "159", "186")) + f"{self.r.randrange(10**8):08d}"

    def amount(self) -> str:
        return f"{self.r.randrange(100, 500_000_00) / 100:.2f}"

    def remark(self) -> str:
        return self.r.choice(("货款", "服务费", "3月货款", "合同款第2期"))


def stamp(i: int, day: str = "2026-11-24") -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=8, seconds=i)


def row(
    i: int,
    endpoint: str,
    fields: dict[str, Any],
    code: str | None = None,
    message: str | None = None,
    *,
    day: str = "2026-11-24",
) -> dict[str, Any]:
    """One captured exchange: accepted unless a code is given."""
    return {
        "id": i,
        "ts": stamp(i, day),
        "endpoint": endpoint,
        "outcome": "rejected" if code else "accepted",
        "code": code or "000000",
        "message": message or "成功",
        "request_fields": fields,
    }


def open_fields(m: Maker) -> dict[str, Any]:
    name = m.company()
    return {
        "enterpriseName": name,
        "accountName": name,
        "creditCode": m.credit(),
        "businessAddress": m.address(),
        "mobile": m.mobile(),
    }


def pay_fields(m: Maker) -> dict[str, Any]:
    return {"cardNo": m.card(), "amount": m.amount(), "currency": "CNY", "remark": m.remark()}


def day_rows(
    accepted: int = 200, seed: int = 1, day: str = "2026-11-24", start: int = 1
) -> list[dict[str, Any]]:
    """A day with known rules on two endpoints.

    Open: enterpriseName refuses half-width punctuation (ED0012, named); accountName copies
    the name, so the same requests break it too. Pay: remark refuses surrounding spaces and
    cardNo needs a valid Luhn digit, both behind the generic 参数校验失败 (ED0099); amount has
    at most 2 decimals (ED0071). A few 系统繁忙 answers hit random requests.
    """
    m = Maker(seed)
    rows: list[dict[str, Any]] = []
    i = start
    for n in range(accepted):
        rows.append(row(i, OPEN, open_fields(m), day=day))
        i += 1
        rows.append(row(i, PAY, pay_fields(m), day=day))
        i += 1
        if n % 20 == 0:  # half-width parentheses in the company name
            f = open_fields(m)
            f["enterpriseName"] = f["accountName"] = (
                f["enterpriseName"].replace("（", "(").replace("）", ")")
            )
            if "(" not in f["enterpriseName"]:
                f["enterpriseName"] = f["accountName"] = (
                    f["enterpriseName"][:2] + "(上海)" + f["enterpriseName"][2:]
                )
            rows.append(row(i, OPEN, f, "ED0012", "企业名称含有非法字符", day=day))
            i += 1
        if n % 25 == 3:  # surrounding space in the remark
            f = pay_fields(m)
            f["remark"] = " " + f["remark"]
            rows.append(row(i, PAY, f, "ED0099", "参数校验失败", day=day))
            i += 1
        if n % 25 == 9:  # a bad Luhn digit
            f = pay_fields(m)
            f["cardNo"] = f["cardNo"][:-1] + str((int(f["cardNo"][-1]) + 1) % 10)
            rows.append(row(i, PAY, f, "ED0099", "参数校验失败", day=day))
            i += 1
        if n % 30 == 5:  # three decimals
            f = pay_fields(m)
            f["amount"] += "5"
            rows.append(row(i, PAY, f, "ED0071", "金额格式不正确", day=day))
            i += 1
        if n % 40 == 17:  # system busy, at random
            rows.append(row(i, PAY, pay_fields(m), "SY0400", "系统繁忙，请稍后重试", day=day))
            i += 1
    return rows
