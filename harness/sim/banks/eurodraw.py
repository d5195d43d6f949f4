"""eurobank's values: parties, accounts, amounts, dates and texts, normal and edge (see eurobank.py).

Valid values are synthetic and SWIFT 'X' clean; IBANs are computed with valid check digits
on random account numbers in each country's registered layout (:mod:`europools`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from harness.sim.banks import europools as P
from harness.sim.engine import Context, Draw
from harness.sim.standards import ISO3166, iban_check_digits

SEPA_MAX = Decimal("999999999.99")
CROSS_MAX = Decimal("99999999.99")
WORDS = P.GIVEN + P.SURNAMES + P.STEMS + P.ACTIVITIES + P.LEGAL_FORMS
STREET_WORDS = (*P.STREETS, "Building C", "Haus 4", "Hinterhaus", "Etage 3", "Apt. 12")
TOWN_WORDS = tuple(t for towns in P.TOWNS.values() for t in towns) + P.FAR_TOWNS
REMIT_WORDS: tuple[str, ...] = (
    "Invoice",
    "INV/2026/1142",
    "(partial)",
    "balance?",
    "ref:",
    "order 88-12",
)
REMIT_WORDS += ("+ annex 'B'", "contract 7/3,", "thanks.", "see e-mail", "Q4", "instalment 3")
E2E_WORDS = ("ref/2026-11", "batch(7)", "+retry:2", "?", "A.B", "x,y", "o'k", "id-88")
NICKNAME_WORDS = (*P.NICKNAMES, "for Zoë", "🏠", "Überweisung", "Ünal", "Ørsted", "née")
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LAYOUT = re.compile(r"(\d+)([nac])")


class EuroDraw(Draw):
    """eurobank's values."""

    # parties
    def person(self) -> str:
        given = self.pick(P.GIVEN)
        if self.rng.random() < 0.1:
            given += f"-{self.pick(P.GIVEN)}"
        return f"{given} {self.pick(P.SURNAMES)}"

    def company(self) -> str:
        stem = self.pick(P.STEMS) if self.rng.random() < 0.7 else self.pick(P.SURNAMES)
        return f"{stem} {self.pick(P.ACTIVITIES)} {self.pick(P.LEGAL_FORMS)}"

    def name(self, person: bool | None = None, limit: int = 70) -> str:
        if self.edge(0.2):
            return self.near_limit(lambda: self.pick(WORDS), limit)
        if self.edge(0.25):
            return self.pick(P.RARE_NAMES)
        if person is None:
            person = self.rng.random() < 0.55
        return self.person() if person else self.company()

    def accented_name(self) -> str:
        given, surname = self.pick(P.GIVEN), self.pick(P.SURNAMES)
        form = self.rng.random()
        if form < 0.4:
            given = self.pick(P.ACCENTED_GIVEN)
        elif form < 0.8:
            surname = self.pick(P.ACCENTED_SURNAMES)
        else:
            return f"{self.pick(P.ACCENTED_SURNAMES)} {self.pick(P.ACTIVITIES)} GmbH"
        return f"{given} {surname}"

    def ampersand_name(self) -> str:
        return f"{self.pick(P.SURNAMES)} {self.pick(P.AMPERSAND_FORMS)}"

    def word_too_long(self, limit: int) -> str:
        return self.too_long(lambda: self.pick(WORDS), limit)

    # accounts
    def iban(self, country: str) -> str:
        letters = 0.5 if self.edge_day else 0.15
        out = []
        for count, kind in _LAYOUT.findall(P.BBAN[country]):
            for _ in range(int(count)):
                if kind == "a" or (kind == "c" and self.rng.random() < letters):
                    out.append(self.pick(ALNUM[:26]))
                else:
                    out.append(self.pick("0123456789"))
        bban = "".join(out)
        return country + iban_check_digits(country, bban) + bban

    def sepa_country(self, table: Any) -> str:
        return self.pick(P.SEPA_RARE) if self.edge(0.4) else self.weighted(table)

    def bic(self, country: str) -> str:
        if self.edge(0.5):
            bank = "".join(self.pick(ALNUM[:26]) for _ in range(4))
            loc = self.pick(ALNUM) + self.pick(ALNUM)
            branch = self.pick(("", "".join(self.pick(ALNUM) for _ in range(3))))
        else:
            bank, loc = self.pick(P.BANK_CODES), self.pick(("FF", "MM", "PP", "HH", "2X", "22"))
            branch = self.weighted((("", 70), ("XXX", 20), ("100", 10)))
        return bank + country + loc + branch

    # money and dates
    def amount(self, maximum: Decimal) -> str:
        if self.edge(0.35):
            return self.pick(
                (
                    "0.01",
                    "0.1",
                    "0.05",
                    "1",
                    str(maximum),
                    str(int(maximum)),
                    str(maximum - Decimal(self.rng.randrange(1, 100_000)) / 100),
                )
            )
        lo, hi = self.weighted((((5, 500), 45), ((500, 10_000), 35), ((10_000, 250_000), 17)))
        cents = self.rng.randrange(lo * 100, hi * 100)
        form = self.rng.random()
        if form < 0.85:
            return f"{cents // 100}.{cents % 100:02d}"
        if form < 0.95:
            return str(cents // 100)
        return f"{cents // 100}.{cents % 100 // 10}"

    def exec_date(self, ctx: Context) -> str:
        today = ctx.local.date()
        if self.edge(0.4):
            leap = date(today.year + (4 - today.year % 4) % 4, 2, 29)
            return self.pick(
                (
                    leap.isoformat(),
                    date(today.year, 12, 31).isoformat(),
                    (today + timedelta(days=self.rng.randrange(30, 120))).isoformat(),
                )
            )
        ahead = self.weighted(((0, 50), (1, 30), (2, 12), (3, 8)))
        return (today + timedelta(days=ahead)).isoformat()

    # identifiers and free text
    def e2e(self, ctx: Context) -> str:
        if self.edge(0.4):
            return self.near_limit(lambda: self.pick(E2E_WORDS), 35, slack=2)
        return self.weighted(
            (
                (f"E2E{ctx.local:%Y%m%d}{self.digits(6)}", 50),
                (f"INV-{ctx.local:%Y}-{self.digits(4)}", 30),
                ("NOTPROVIDED", 10),
                (self.digits(10), 10),
            )
        )

    def remittance(self, ctx: Context) -> str:
        if self.edge(0.35):
            return self.near_limit(lambda: self.pick(REMIT_WORDS), 140, slack=4)
        n, month = self.digits(self.rng.randint(4, 6)), self.pick(P.MONTHS)
        return self.pick(
            (
                f"Invoice {n}",
                f"INV-{ctx.local:%Y}-{n}",
                f"Rent {month} {ctx.local:%Y}",
                f"Order {n} payment",
                f"Salary {month} {ctx.local:%Y}",
                f"Membership fee {ctx.local:%Y}",
                f"Refund order {n}",
                f"Contract {n} instalment {self.rng.randint(1, 6)} of 6",
                f"Customer {self.digits(6)} / invoice {n}",
            )
        )

    def address(self, country: str) -> dict[str, str]:
        if self.edge(0.3):
            street = self.near_limit(lambda: self.pick(STREET_WORDS), 70)
        else:
            street = self.pick(P.STREETS)
        if self.edge(0.3):
            town = self.near_limit(lambda: self.pick(TOWN_WORDS), 35, slack=2)
        else:
            town = self.pick(P.TOWNS.get(country) or P.FAR_TOWNS)
        if self.edge(0.2):
            country = self.pick(sorted(ISO3166))
        number = str(self.rng.randint(1, 250)) + self.pick(("", "", "", "a", "B"))
        return {
            "streetName": street,
            "buildingNumber": number,
            "postCode": self.digits(self.pick((4, 5))),
            "townName": town,
            "country": country,
        }

    def purpose(self) -> str:
        return self.pick(P.RARE_PURPOSES) if self.edge(0.5) else self.pick(P.PURPOSES)

    def nickname(self) -> str:
        if self.edge(0.35):
            return self.near_limit(lambda: self.pick(NICKNAME_WORDS), 35, slack=2)
        return self.pick(P.NICKNAMES)

    # broken values
    def iban_bad_check(self, iban: str) -> str:
        digits = [i for i in range(4, len(iban)) if iban[i].isdigit()]
        return self.bad_check(iban, "0123456789", at=self.pick(digits))

    def iban_wrong_length(self, iban: str) -> str:
        country, bban = iban[:2], iban[4:]
        i = max(i for i, c in enumerate(bban) if c.isdigit())
        bban = bban[:i] + bban[i + 1 :]
        return country + iban_check_digits(country, bban) + bban

    def bad_amount(self, how: str, maximum: Decimal) -> str:
        whole, cents = self.rng.randint(1, 9_999), self.rng.randrange(100)
        if how == "three_decimals":
            return f"{whole}.{cents:02d}{self.rng.randrange(10)}"
        if how == "comma_decimal":
            return f"{whole},{cents:02d}"
        if how == "thousands_separator":
            return f"{self.rng.randint(1_000, 99_999):,}.{cents:02d}"
        if how == "zero":
            return self.pick(("0.00", "0", "0.0"))
        return self.pick((str(maximum + Decimal("0.01")), str(int(maximum) * 2), "5000000000.00"))

    def bad_date(self) -> str:
        d = self.ctx.local.date() + timedelta(days=1)
        return self.pick(
            (
                f"{d:%d.%m.%Y}",
                f"{d:%Y/%m/%d}",
                f"{d:%Y%m%d}",
                f"{d.isoformat()}T00:00:00",
                f"{d.year}-{self.pick(('02-30', '04-31', '06-31', '09-31', '11-31'))}",
            )
        )
