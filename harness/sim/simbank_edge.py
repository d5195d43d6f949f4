"""simbank's edge day: valid values that come close to every true limit, and that are new.

:class:`EdgeMaker` draws simbank's values as :class:`harness.sim.pools.Maker` does, but
about half the time from the edge of what the bank accepts: company names of 56 to 60 GBK
bytes, with digits, full-width letters or an inner space; addresses of 96 to 100 bytes,
business scopes of 196 to 200; remarks of 56 to 60 bytes that carry ASCII letters and
punctuation (the bank allows them there); level-2 GB 2312 characters and four-character
names; mobile prefixes, card BINs, credit-code kinds and birth years a normal day never
shows; amounts of 0.01 and 5,000,000.00. Values a flaw starts from stay ordinary, so each
flaw still breaks the rule it names.
"""

from __future__ import annotations

from datetime import date, timedelta

from harness.sim.checks import CREDIT_ALPHABET, credit_code_check, id_number_check, luhn_check
from harness.sim.pools import (
    BRAND_CHARS,
    INDUSTRIES,
    REGIONS,
    ROADS,
    SCOPES,
    SUFFIXES,
    Maker,
)

# GB 2312 level-2 characters (rarer, still valid for a legal representative's name).
LEVEL2 = "甄翟逯昝亓蒯鄢隗佘禚邝阚仉晁迮"
FULLWIDTH_LETTERS = "ＡＢＣＤＥＦＧＨＫＬＭＮＰＲＳＴＸ"
NEW_MOBILE_PREFIXES = ("145", "147", "162", "165", "167", "171", "173", "175", "190", "192", "196")
REMARK_WORDS = ("INV-2026/11", "货款", "（第3期）", "PO#88213", "服务费", "Q4", "含税", "ref:A-7")


def gbk_len(text: str) -> int:
    return len(text.encode("gbk"))


class EdgeMaker(Maker):
    """simbank's values on an edge day (see the module docstring)."""

    def _edge(self) -> bool:
        return self.rng.random() < 0.5

    def _fill(self, text: str, suffix: str, low: int, high: int, pool: str = BRAND_CHARS) -> str:
        """``text`` + characters of ``pool`` (2 bytes) or digits (1 byte) + ``suffix``,
        between ``low`` and ``high`` GBK bytes."""
        target = self.rng.randint(low, high)
        while gbk_len(text + suffix) < target:
            room = target - gbk_len(text + suffix)
            text += self.rng.choice(pool) if room >= 2 else str(self.rng.randrange(10))
        return text + suffix

    def company(self, parens: str = "（）") -> str:
        if parens != "（）" or not self._edge():
            return super().company(parens)  # flaws start from ordinary names
        r = self.rng
        city, brand = r.choice(REGIONS)[2], "".join(r.sample(BRAND_CHARS, 2))
        industry, suffix = r.choice(INDUSTRIES), r.choice(SUFFIXES)
        form = r.random()
        if form < 0.4:
            return self._fill(f"{city}{brand}{industry}", f"（{city}）{suffix}", 56, 60)
        if form < 0.7:
            return f"{city}{brand}第{r.randint(1, 99)}{industry}{suffix}"
        if form < 0.9:
            letters = "".join(r.sample(FULLWIDTH_LETTERS, r.randint(2, 3)))
            return f"{city}{letters}{industry}{suffix}"
        return f"{city}{brand} {industry}{suffix}"  # an inner space is allowed

    def address(self) -> str:
        if not self._edge():
            return super().address()
        r = self.rng
        head = f"{r.choice(REGIONS)[0]}{r.choice(ROADS)}{r.randint(1, 9999)}号"
        if r.random() < 0.5:
            head += f"{r.choice(FULLWIDTH_LETTERS)}座"
        return self._fill(head, f"{r.randint(1, 30)}{r.randint(1, 20):02d}室", 96, 100)

    def scope(self) -> str:
        if not self._edge():
            return super().scope()
        text = "；".join(self.rng.sample(SCOPES, len(SCOPES)))
        return self._fill(text[:90] + "；", "", 196, 200, "贸易咨询服务销售技术开发")

    def person(self) -> str:
        if not self._edge():
            return super().person()
        r = self.rng
        if r.random() < 0.5:
            return r.choice(LEVEL2) + "".join(
                r.choice(LEVEL2 + "伟芳") for _ in range(r.randint(1, 2))
            )
        return (
            r.choice(("欧阳", "司马", "上官", "诸葛", "端木")) + r.choice(LEVEL2) + r.choice("明华")
        )

    def id_number(self) -> str:
        if not self._edge():
            return super().id_number()
        r = self.rng
        born = date(1930, 1, 1) + timedelta(days=r.randrange(365 * 77))
        body = f"{r.choice(REGIONS)[1]}{born:%Y%m%d}{r.randrange(1000):03d}"
        return body + id_number_check(body)

    def mobile(self) -> str:
        if not self._edge():
            return super().mobile()
        return self.rng.choice(NEW_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def credit_code(self) -> str:
        if not self._edge():
            return super().credit_code()
        r = self.rng
        kind = r.choice(("92", "12", "51", "31", "52", "93"))
        body = kind + r.choice(REGIONS)[1] + "".join(r.choice(CREDIT_ALPHABET) for _ in range(9))
        return body + credit_code_check(body)

    def card(self) -> str:
        if not self._edge():
            return super().card()
        r = self.rng
        body = r.choice(("4", "5", "3")) + "".join(
            str(r.randrange(10)) for _ in range(r.choice((14, 15, 17)))
        )
        return body + luhn_check(body)

    def amount(self) -> str:
        if not self._edge():
            return super().amount()
        r = self.rng
        near_max = f"{r.randint(4_900_000, 4_999_999)}.{r.randrange(100):02d}"
        return r.choice(("0.01", "0.1", "1", "5000000.00", "4999999.99", "5000000", near_max))

    def remark(self) -> str:
        if not self._edge():
            return super().remark()
        text = self._fill("", "", 54, 60, "货款服务费")
        words = " ".join(self.rng.choice(REMARK_WORDS) for _ in range(3))
        out = words + text
        while gbk_len(out) > 60:
            out = out[:-1]
        return out.strip()

    # flaws start from ordinary values
    def bad_amount_precision(self) -> str:
        return f"{super().amount()}{self.rng.randrange(1, 10)}"
