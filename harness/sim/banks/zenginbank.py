"""zenginbank's traffic: transfers, account checks (form, Shift_JIS), payees (see zenginbank.yaml).

Valid kana names are in the Zengin form (half-width, small kana written large, ``ｰ`` as
``-``); flaws are what people type instead: the natural small kana, middle dots,
long-vowel marks, lower-case or full-width letters, ``&``, ``*``, the full-width space.
On an edge day names come within a few characters of 30 and 48, carry digits, ``( ) . - /``
and ``ｦ``; amounts touch 1 and 10,000,000 yen; account types 4 and 9, bank codes never seen,
level-2 kanji and full-width letters in kanji names, and new phone prefixes appear. Each
flaw breaks exactly one production rule, named by its ``rule`` id.
"""

from __future__ import annotations

from datetime import date, timedelta

from harness.sim.banks import zenpools as Z
from harness.sim.engine import Context, Doc, Draw, Make, Route, Script, flaw_table

MAX_YEN = 10_000_000
_PAIRS = min(len(Z.KANJI_SURNAMES), len(Z.SURNAMES))  # surnames aligned kana <-> kanji
_GIVEN_PAIRS = min(len(Z.KANJI_GIVEN), len(Z.GIVEN))
_SMALL_NAMES = tuple(n for n in Z.SURNAMES + Z.GIVEN if Z.zengin(n) != Z.halfwidth(n))
_LONG_VOWEL = ("データ", "センター", "スーパー", "コーポレーション", "サービス")
_FULL_DIGITS = str.maketrans("0123456789-", "０１２３４５６７８９－")
# In addresses, as JIS X 0208 writes them: the hyphen is U+2212 (U+FF0D is Windows-only).
_JIS_DIGITS = str.maketrans("0123456789-", "０１２３４５６７８９−")


class ZenDraw(Draw):
    """zenginbank's values."""

    # kana names
    def person(self, i: int | None = None, j: int | None = None) -> str:
        surname = Z.SURNAMES[i] if i is not None else self.pick(Z.SURNAMES)
        given = Z.GIVEN[j] if j is not None else self.pick(Z.GIVEN)
        return Z.zengin(f"{surname}　{given}")

    def company(self) -> str:
        stem = self.pick(Z.LATIN_STEMS) if self.rng.random() < 0.15 else self.pick(Z.STEMS)
        name = Z.zengin(stem + self.pick(Z.TRADES))
        form = self.weighted(Z.FORMS)
        return f"{form}){name}" if self.rng.random() < 0.7 else f"{name}({form}"

    def kana_name(self, limit: int, person: bool | None = None) -> str:
        if self.edge(0.25):
            return self.near_limit(lambda: self.pick(Z.EDGE_WORDS + (self.company(),)), limit)
        if self.edge(0.3):
            return f"{self.company()} {self.pick(Z.EDGE_WORDS)}"
        if person is None:
            person = self.rng.random() < 0.6
        return self.person() if person else self.company()

    def small_kana_name(self) -> str:
        """A name as people write it, with small kana (the Zengin form writes them large)."""
        small = Z.halfwidth(self.pick(_SMALL_NAMES))
        other = Z.zengin(self.pick(Z.SURNAMES if self.rng.random() < 0.5 else Z.GIVEN))
        return f"{small} {other}" if self.rng.random() < 0.5 else f"{other} {small}"

    def bad_chars_name(self, how: str) -> str:
        surname, given = Z.zengin(self.pick(Z.SURNAMES)), Z.zengin(self.pick(Z.GIVEN))
        if how == "middle_dot":
            family, first = self.pick(Z.FOREIGN)
            return f"{Z.zengin(family)}{self.pick(('･', '・'))}{Z.zengin(first)}"
        if how == "long_vowel":
            return f"ｶ){Z.halfwidth(self.pick(_LONG_VOWEL))}{Z.zengin(self.pick(Z.TRADES))}"
        if how == "lower_case":
            return f"ｶ){self.pick(Z.LATIN_STEMS).lower()}{Z.zengin(self.pick(Z.TRADES))}"
        if how == "fullwidth_kana":
            return f"{self.pick(Z.SURNAMES)}{self.pick((' ', '　'))}{self.pick(Z.GIVEN)}"
        if how == "ampersand":
            return self.pick((f"ｶ)A&B{Z.zengin(self.pick(Z.TRADES))}", f"{surname}&{given}"))
        if how == "asterisk":
            return f"{surname}*{given}"
        return f"{surname}　{given}"  # fullwidth_space

    def name_too_long(self, limit: int) -> str:
        return self.too_long(lambda: self.pick((self.company(), *Z.EDGE_WORDS)), limit)

    # kanji
    def kanji_person(self, i: int, j: int) -> str:
        sep = self.pick(("", "", "　"))
        return f"{Z.KANJI_SURNAMES[i]}{sep}{Z.KANJI_GIVEN[j]}"

    def kanji_company(self) -> str:
        form, trade = self.pick(Z.KANJI_FORMS), self.pick(Z.KANJI_COMPANY)
        stem = self.pick(Z.STEMS)
        return f"{form}{stem}{trade}" if self.rng.random() < 0.7 else f"{stem}{trade}{form}"

    def address(self) -> str:
        pref, wards = self.pick(Z.PREFECTURES)
        blocks = f"{self.rng.randint(1, 9)}-{self.rng.randint(1, 30)}-{self.rng.randint(1, 20)}"
        text = f"{pref}{self.pick(wards)}{self.pick(Z.TOWN_PARTS)}{blocks.translate(_JIS_DIGITS)}"
        if self.edge(0.4):
            rooms = lambda: f"{self.pick(Z.BUILDINGS)}{self.rng.randint(1, 40)}階"  # noqa: E731
            return text + self.near_limit(rooms, 80 - len(text), slack=2)
        if self.rng.random() < 0.4:
            text += f"　{self.pick(Z.BUILDINGS)}{self.rng.randint(1, 12)}階"
        return text

    # numbers and dates
    def bank_code(self) -> str:
        return self.digits(4) if self.edge(0.4) else self.pick(Z.BANK_CODES)

    def branch_code(self) -> str:
        return (
            self.pick(("000", "999", "001"))
            if self.edge(0.2)
            else f"{self.rng.randint(1, 899):03d}"
        )

    def account_number(self) -> str:
        return self.pick(("0000001", "9999999")) if self.edge(0.1) else self.digits(7)

    def account_type(self) -> str:
        if self.edge(0.5):
            return self.pick(("4", "9"))
        return self.weighted((("1", 82), ("2", 18)))

    def amount(self) -> str:
        if self.edge(0.35):
            return self.pick(
                (
                    "1",
                    "2",
                    str(MAX_YEN),
                    str(MAX_YEN - 1),
                    str(MAX_YEN - self.rng.randrange(1, 5000)),
                )
            )
        lo, hi = self.weighted(
            (((1_000, 50_000), 50), ((50_000, 1_000_000), 40), ((1_000_000, 5_000_000), 10))
        )
        return str(self.rng.randrange(lo, hi))

    def transfer_date(self, ctx: Context) -> str:
        today = ctx.local.date()
        if self.edge(0.4):
            leap = date(today.year + (4 - today.year % 4) % 4, 2, 29)
            later = today + timedelta(days=self.rng.randrange(20, 60))
            return self.pick((leap, date(today.year, 12, 31), later)).strftime("%Y%m%d")
        return (today + timedelta(days=self.weighted(((0, 70), (1, 25), (2, 5))))).strftime(
            "%Y%m%d"
        )

    def phone(self) -> str:
        prefix = self.pick(("050", "0120")) if self.edge(0.5) else self.pick(Z.PHONE_PREFIXES)
        total = 11 if prefix in ("090", "080", "070", "050") else 10
        return prefix + self.digits(total - len(prefix))

    def postal_code(self) -> str:
        if self.edge(0.2):
            return self.pick(("000-0000", "999-9999", "001-0001"))
        return f"{self.digits(3)}-{self.digits(4)}"

    def edi(self, ctx: Context) -> str:
        if self.edge(0.4):
            return self.near_limit(
                lambda: self.pick(("INV", "ｾｲｷﾕｳ", "2026", "NO.", "-", "(A)", "/")), 20, slack=1
            )
        return self.pick(
            (f"INV{self.digits(6)}", f"{ctx.local:%Y%m}ｾｲｷﾕｳ", f"ｹｲﾔｸ{self.digits(4)}")
        )


# --- documents ------------------------------------------------------------------------------


def _account(d: ZenDraw, name_key: str, name: str) -> dict[str, str]:
    return {
        "bankCode": d.bank_code(),
        "branchCode": d.branch_code(),
        "accountType": d.account_type(),
        "accountNumber": d.account_number(),
        name_key: name,
    }


def _transfer(d: ZenDraw, ctx: Context) -> Doc:
    doc: Doc = {
        "requestId": f"TR{ctx.local:%Y%m%d}{d.digits(10)}",
        "transferDate": d.transfer_date(ctx),
        "remitterName": d.kana_name(48, person=False),
        "payee": _account(d, "accountName", d.kana_name(30)),
        "amount": d.amount(),
    }
    if d.rng.random() < 0.8:
        doc["feeBearer"] = "2" if d.edge(0.5) else d.weighted((("1", 85), ("2", 15)))
    if d.rng.random() < 0.3 or d.edge(0.5):
        doc["ediInfo"] = d.edi(ctx)
    return doc


def _verify(d: ZenDraw, ctx: Context) -> Doc:
    return _account(d, "accountName", d.kana_name(30))


def _payee(d: ZenDraw, ctx: Context) -> Doc:
    if d.rng.random() < 0.6:
        i, j = d.rng.randrange(_PAIRS), d.rng.randrange(_GIVEN_PAIRS)
        kanji, kana = d.kanji_person(i, j), d.person(i, j)
    else:
        kanji, kana = d.kanji_company(), d.company()
    if d.edge(0.3):
        kanji = d.pick(Z.KANJI_RARE) + d.pick(Z.KANJI_GIVEN)
    elif d.edge(0.3):
        kanji = d.near_limit(lambda: d.kanji_company(), 30, slack=2)
    elif d.edge(0.2):
        kanji = kana  # half-width kana are in Shift_JIS too
    doc: Doc = {"payeeName": kanji, "payeeNameKana": kana}
    if d.edge(0.3):
        doc["payeeNameKana"] = d.kana_name(30)
    doc.update(_account(d, "payeeNameKana", doc["payeeNameKana"]))
    if d.rng.random() < 0.6:
        doc["phone"] = d.phone()
    if d.rng.random() < 0.5 or d.edge(0.5):
        doc["postalCode"] = d.postal_code()
        doc["address"] = d.address()
    return doc


# --- flaws ----------------------------------------------------------------------------------

_CHAR_FLAWS = (
    ("small_kana", 12),
    ("middle_dot", 5),
    ("long_vowel", 4),
    ("lower_case", 3),
    ("fullwidth_kana", 4),
    ("ampersand", 3),
    ("asterisk", 1),
    ("fullwidth_space", 3),
)


def _name_flaws(
    field: str, limit: int, scale: float, length_rule: str = "max_length"
) -> dict[str, tuple[str, float, Make]]:
    """Character and length flaws of a kana name field."""

    def chars(how: str) -> Make:
        if how == "small_kana":
            return lambda d, _: d.small_kana_name()
        return lambda d, _: d.bad_chars_name(how)

    out: dict[str, tuple[str, float, Make]] = {
        f"{field}.{how}": (f"{field}.allow_chars", weight * scale, chars(how))
        for how, weight in _CHAR_FLAWS
    }
    out[f"{field}.too_long"] = (
        f"{field}.{length_rule}",
        5 * scale,
        lambda d, _: d.name_too_long(limit),
    )
    return out


def _account_flaws(prefix: str, scale: float) -> dict[str, tuple[str, float, Make]]:
    return {
        f"{prefix}bankCode.malformed": (f"{prefix}bankCode.pattern", 2 * scale, lambda d, _: d.pick(("5", "00051", "０００５", "9-01"))),
        f"{prefix}branchCode.malformed": (f"{prefix}branchCode.pattern", 2 * scale, lambda d, _: d.pick(("12", "0123", "１２３"))),
        f"{prefix}accountNumber.malformed": (f"{prefix}accountNumber.pattern", 3 * scale, lambda d, _: d.pick((d.digits(6), d.digits(8), f"{d.digits(3)}-{d.digits(4)}"))),
        f"{prefix}accountType.unknown": (f"{prefix}accountType.enum", 3 * scale, lambda d, _: d.pick(("0", "3", "01", "普通", "ﾌﾂｳ"))),
    }  # fmt: skip


def _bad_amount(d: ZenDraw, _: Doc) -> str:
    yen = d.rng.randrange(1_000, 500_000)
    return d.pick(
        (f"{yen}.00", f"{yen:,}", str(yen).translate(_FULL_DIGITS), f"{yen}円", f"{yen}.5")
    )


TRANSFER_FLAWS = flaw_table(
    "transfer",
    {
        **_name_flaws("payee.accountName", 30, 1.0),
        **_name_flaws("remitterName", 48, 0.3),
        **_account_flaws("payee.", 1.0),
        "amount.not_whole_yen": ("amount.pattern", 6, _bad_amount),
        "amount.out_of_range": ("amount.range", 3, lambda d, _: d.pick(("0", str(MAX_YEN + 1), "25000000", "100000000"))),
        "transferDate.not_yyyymmdd": ("transferDate.date", 4, lambda d, _: d.pick((f"{d.ctx.local:%Y-%m-%d}", f"{d.ctx.local:%Y/%m/%d}", f"{d.ctx.local:%Y}1131", f"{d.ctx.local:%Y}0230", "R081124"))),
        "feeBearer.unknown": ("feeBearer.enum", 2, lambda d, _: d.pick(("0", "3", "OUR", "当方"))),
        "ediInfo.lower_case": ("ediInfo.allow_chars", 2, lambda d, _: f"inv-{d.digits(5)}"),
        "ediInfo.too_long": ("ediInfo.max_length", 2, lambda d, _: f"INV{d.digits(d.rng.randint(18, 27))}"),
        "requestId.malformed": ("requestId.pattern", 1, lambda d, doc: d.pick((doc["requestId"].lower(), doc["requestId"][:-1], doc["requestId"] + "X"))),
    },
)  # fmt: skip
VERIFY_FLAWS = flaw_table(
    "account_verify",
    {**_name_flaws("accountName", 30, 1.0), **_account_flaws("", 0.8)},
)


def _kanji_outside(d: ZenDraw, _: Doc) -> str:
    name = d.pick(Z.KANJI_OUTSIDE)
    return name if len(name) > 4 else name + d.pick(Z.KANJI_GIVEN)


PAYEE_FLAWS = flaw_table(
    "payee_register",
    {
        "payeeName.outside_jis": ("payeeName.encodable", 10, _kanji_outside),
        "payeeName.too_long": ("payeeName.max_length", 2, lambda d, _: d.too_long(d.kanji_company, 30)),
        **_name_flaws("payeeNameKana", 30, 0.6),
        **_account_flaws("", 0.5),
        "phone.formatted": ("phone.pattern", 5, lambda d, _: d.pick((lambda p: f"{p[:2]}-{p[2:6]}-{p[6:]}", lambda p: "+81" + p[1:], lambda p: p.translate(_FULL_DIGITS)))(d.phone())),
        "postalCode.formatted": ("postalCode.pattern", 4, lambda d, _: d.pick((lambda p: p.replace("-", ""), lambda p: "〒" + p, lambda p: p.translate(_FULL_DIGITS)))(d.postal_code())),
        "address.outside_jis": ("address.encodable", 4, lambda d, _: d.address()[:20] + d.pick(("１～３番地", "髙島屋ビル", "第①ビル", "㈱ミドリ本社", "２－１５"))),
        "address.too_long": ("address.max_length", 1, lambda d, _: d.too_long(d.address, 80)),
    },
)  # fmt: skip


SCRIPT = Script(
    routes=(
        Route("transfer", 60, _transfer, TRANSFER_FLAWS),
        Route("account_verify", 25, _verify, VERIFY_FLAWS),
        Route("payee_register", 15, _payee, PAYEE_FLAWS),
    ),
    maker=ZenDraw,
)
