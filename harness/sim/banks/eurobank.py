"""eurobank's traffic: SEPA and cross-border credit transfers, beneficiaries (see eurobank.yaml).

Valid values are synthetic and SWIFT 'X' clean; IBANs are computed with valid check digits
on random account numbers in each country's registered layout. On an edge day names,
addresses, remittance texts and end-to-end ids come within a few characters of their
limits, amounts touch 0.01 and the maximum, and countries, currencies, enum members,
purpose codes and characters of the set that a normal day never shows appear. Each flaw
breaks exactly one production rule, named by its ``rule`` id.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from harness.sim.banks import europools as P
from harness.sim.banks.eurodraw import CROSS_MAX, NICKNAME_WORDS, REMIT_WORDS, SEPA_MAX, EuroDraw
from harness.sim.engine import Context, Doc, Make, Route, Script, flaw_table, get
from harness.sim.standards import ISO4217

# --- documents ------------------------------------------------------------------------------


def _sepa(d: EuroDraw, ctx: Context) -> Doc:
    creditor_country = d.sepa_country(P.SEPA_CREDITOR)
    doc: Doc = {
        "instructionId": d.uuid4(),
        "endToEndIdentification": d.e2e(ctx),
        "requestedExecutionDate": d.exec_date(ctx),
        "instructedAmount": {"currency": "EUR", "amount": d.amount(SEPA_MAX)},
        "debtorAccount": {"iban": d.iban(d.sepa_country(P.SEPA_DEBTOR))},
        "debtorName": d.name(),
        "creditorName": d.name(),
        "creditorAccount": {"iban": d.iban(creditor_country)},
    }
    if d.rng.random() < 0.5 or d.edge_day:
        doc["creditorAgent"] = d.bic(creditor_country)
    if d.rng.random() < 0.35 or d.edge(0.5):
        doc["creditorAddress"] = d.address(creditor_country)
    if d.rng.random() < 0.9:
        doc["remittanceInformationUnstructured"] = d.remittance(ctx)
    if d.rng.random() < 0.3 or d.edge(0.5):
        doc["purposeCode"] = d.purpose()
    if d.rng.random() < 0.2:
        doc["chargeBearer"] = "SLEV"
    return doc


def _world(d: EuroDraw) -> tuple[str, str]:
    if d.edge(0.4):
        country, currency = d.pick(P.WORLD_RARE)
    else:
        country, currency = d.weighted(tuple(((c, cur), w) for c, cur, w in P.WORLD))
    if d.edge(0.3):
        currency = d.pick(sorted(ISO4217))
    elif d.rng.random() < 0.3:
        currency = d.weighted((("USD", 2), ("EUR", 1)))
    return country, currency


def _cross_border(d: EuroDraw, ctx: Context) -> Doc:
    country, currency = _world(d)
    doc: Doc = {
        "instructionId": d.uuid4(),
        "endToEndIdentification": d.e2e(ctx),
        "instructedAmount": {"currency": currency, "amount": d.amount(CROSS_MAX)},
        "debtorAccount": {"iban": d.iban(d.sepa_country(P.SEPA_DEBTOR))},
        "debtorName": d.name(),
        "creditorName": d.name(),
        "creditorAccount": {"iban": d.iban(country)},
        "creditorAgent": d.bic(country),
        "creditorAddress": d.address(country),
        # CRED (the creditor pays every charge) is rare: only an edge day shows it.
        "chargeBearer": "CRED" if d.edge(0.4) else d.weighted((("SHAR", 72), ("DEBT", 28))),
    }
    if d.rng.random() < 0.4:
        doc["requestedExecutionDate"] = d.exec_date(ctx)
    if d.rng.random() < 0.85:
        doc["remittanceInformationUnstructured"] = d.remittance(ctx)
    if d.edge(0.5):
        doc["serviceLevel"] = "SDVA"
    elif d.rng.random() < 0.4:
        doc["serviceLevel"] = d.weighted((("NURG", 3), ("URGP", 1)))
    if d.rng.random() < 0.5 or d.edge(0.5):
        doc["purposeCode"] = d.purpose()
    return doc


def _beneficiary(d: EuroDraw, ctx: Context) -> Doc:
    person = d.rng.random() < 0.6
    country = d.sepa_country(P.SEPA_CREDITOR)
    doc: Doc = {"type": "PERSON" if person else "ORGANISATION", "name": d.name(person)}
    if d.rng.random() < 0.5 or d.edge(0.5):
        doc["nickname"] = d.nickname()
    doc["iban"] = d.iban(country)
    if d.rng.random() < 0.4 or d.edge(0.5):
        doc["bic"] = d.bic(country)
    if d.rng.random() < 0.5:
        doc["address"] = d.address(country)
    return doc


# --- flaws ----------------------------------------------------------------------------------


def _with_address(key: str, field: str, make: Make) -> Make:
    """Make ``doc[key][field]`` broken, giving the document a valid address first if it has none."""

    def value(d: EuroDraw, doc: Doc) -> Any:
        if key not in doc:
            iban = doc.get("creditorAccount", {}).get("iban") or doc["iban"]
            saved = d.edge_day
            d.edge_day = False  # a plain valid address around the broken part
            doc[key] = d.address(iban[:2])
            d.edge_day = saved
        return make(d, doc)

    return value


def _party_flaws(prefix: str, scale: float) -> dict[str, tuple[str, float, Make]]:
    return {
        f"{prefix}.accented": (f"{prefix}.allow_chars", 12 * scale, lambda d, _: d.accented_name()),
        f"{prefix}.ampersand": (f"{prefix}.allow_chars", 6 * scale, lambda d, _: d.ampersand_name()),
        f"{prefix}.symbol": (f"{prefix}.allow_chars", 2 * scale, lambda d, _: d.pick(P.SYMBOL_NAMES)),
        f"{prefix}.too_long": (f"{prefix}.max_length", 4 * scale, lambda d, _: d.word_too_long(70)),
    }  # fmt: skip


def _iban_flaws(path: str, scale: float) -> dict[str, tuple[str, float, Make]]:
    return {
        f"{path}.bad_check": (f"{path}.iban", 4 * scale, lambda d, doc: d.iban_bad_check(get(doc, path))),
        f"{path}.spaces": (f"{path}.iban", 2 * scale, lambda d, doc: re.sub(r"(.{4})(?!$)", r"\1 ", get(doc, path))),
        f"{path}.lower_case": (f"{path}.iban", 1 * scale, lambda d, doc: get(doc, path).lower()),
        f"{path}.wrong_length": (f"{path}.iban", 1 * scale, lambda d, doc: d.iban_wrong_length(get(doc, path))),
    }  # fmt: skip


def _bic_flaws(path: str, scale: float) -> dict[str, tuple[str, float, Make]]:
    def bad_length(d: EuroDraw, doc: Doc) -> str:
        base = d.pick(P.BANK_CODES) + "DE" + d.pick(("FF", "MM", "2X"))
        return d.pick((base + "1", base + "12", base[:7], base + "XXXX"))

    return {
        f"{path}.bad_length": (f"{path}.bic", 2 * scale, bad_length),
        f"{path}.lower_case": (f"{path}.bic", 1 * scale, lambda d, _: d.bic("FR").lower()),
        f"{path}.unknown_country": (f"{path}.bic", 1 * scale, lambda d, _: d.bic("ZZ")),
    }


def _address_flaws(key: str, scale: float) -> dict[str, tuple[str, float, Make]]:
    town, street, country = f"{key}.townName", f"{key}.streetName", f"{key}.country"
    return {
        f"{town}.accented": (f"{town}.allow_chars", 3 * scale, _with_address(key, "townName", lambda d, _: d.pick(P.ACCENTED_TOWNS))),
        f"{town}.too_long": (f"{town}.max_length", 1 * scale, _with_address(key, "townName", lambda d, _: d.pick(P.TOO_LONG_TOWNS))),
        f"{street}.accented": (f"{street}.allow_chars", 3 * scale, _with_address(key, "streetName", lambda d, _: f"{d.pick(P.ACCENTED_STREETS)} {d.rng.randint(1, 99)}")),
        f"{country}.not_iso": (f"{country}.enum", 2 * scale, _with_address(key, "country", lambda d, _: d.pick(("DEU", "FRA", "de", "fr", "Germany", "UK", "EL")))),
    }  # fmt: skip


def _amount_flaws(maximum: Decimal, scale: float) -> dict[str, tuple[str, float, Make]]:
    amount = "instructedAmount.amount"

    def bad(how: str) -> Make:
        return lambda d, _: d.bad_amount(how, maximum)

    return {
        f"{amount}.three_decimals": (f"{amount}.decimal", 3 * scale, bad("three_decimals")),
        f"{amount}.comma_decimal": (f"{amount}.decimal", 3 * scale, bad("comma_decimal")),
        f"{amount}.thousands_separator": (f"{amount}.decimal", 2 * scale, bad("thousands_separator")),
        f"{amount}.zero": (f"{amount}.range", 2 * scale, bad("zero")),
        f"{amount}.over_max": (f"{amount}.range", 1 * scale, bad("over_max")),
        f"{amount}.as_number": (f"{amount}.json_type", 3 * scale, lambda d, doc: float(Decimal(get(doc, amount)))),
    }  # fmt: skip


def _payment_flaws(maximum: Decimal, scale: float) -> dict[str, tuple[str, float, Make]]:
    """Flaws both payment endpoints share."""
    e2e, remit = "endToEndIdentification", "remittanceInformationUnstructured"

    def bad_remittance(d: EuroDraw, _: Doc) -> str:
        return d.pick(P.REMITTANCE_FLAWED).format(n=d.digits(5), m=d.pick(P.MONTHS))

    return {
        **_party_flaws("creditorName", scale),
        **_party_flaws("debtorName", scale / 3),
        f"{remit}.forbidden_char": (f"{remit}.allow_chars", 10 * scale, bad_remittance),
        f"{remit}.too_long": (f"{remit}.max_length", 4 * scale, lambda d, _: d.too_long(lambda: d.pick(REMIT_WORDS), 140, 40)),
        f"{e2e}.underscore": (f"{e2e}.allow_chars", 3 * scale, lambda d, _: f"E2E_{d.digits(8)}_{d.digits(6)}"),
        f"{e2e}.too_long": (f"{e2e}.max_length", 3 * scale, lambda d, _: f"E2E-{d.ctx.local:%Y%m%d}-{d.uuid4().replace('-', '')}"[: d.rng.randint(36, 45)]),
        "instructionId.upper_case": ("instructionId.uuid", 3 * scale, lambda d, _: d.uuid4().upper()),
        "instructionId.no_hyphens": ("instructionId.uuid", 2 * scale, lambda d, _: d.uuid4().replace("-", "")),
        "instructionId.braces": ("instructionId.uuid", 1 * scale, lambda d, _: "{" + d.uuid4() + "}"),
        "instructionId.version_1": ("instructionId.uuid", 1 * scale, lambda d, _: d.uuid4()[:14] + "1" + d.uuid4()[15:]),
        "requestedExecutionDate.not_iso": ("requestedExecutionDate.date", 4 * scale, lambda d, _: d.bad_date()),
        "purposeCode.not_a_code": ("purposeCode.pattern", 1 * scale, lambda d, _: d.pick(("SALARY", "supp", "SAL", "SAL1"))),
        **_amount_flaws(maximum, scale),
        **_iban_flaws("creditorAccount.iban", scale),
        **_iban_flaws("debtorAccount.iban", scale / 3),
        **_bic_flaws("creditorAgent", scale),
        **_address_flaws("creditorAddress", scale),
    }  # fmt: skip


SEPA_FLAWS = flaw_table(
    "sepa_credit_transfer",
    {
        **_payment_flaws(SEPA_MAX, 1.0),
        "instructedAmount.currency.not_eur": ("instructedAmount.currency.enum", 2, lambda d, _: d.pick(("USD", "GBP", "CHF"))),
        "instructedAmount.currency.lower_case": ("instructedAmount.currency.enum", 1, lambda d, _: "eur"),
        "chargeBearer.not_slev": ("chargeBearer.enum", 1, lambda d, _: d.pick(("SHAR", "SHA", "DEBT"))),
        "creditorName.missing": ("creditorName.required", 1, lambda d, _: ""),
    },
)  # fmt: skip
CROSS_FLAWS = flaw_table(
    "cross_border_payment",
    {
        **_payment_flaws(CROSS_MAX, 0.6),
        "instructedAmount.currency.not_iso": ("instructedAmount.currency.enum", 3, lambda d, _: d.pick(("usd", "US$", "840", "EURO", "gbp", "RMB"))),
        "chargeBearer.swift_mt_code": ("chargeBearer.enum", 6, lambda d, _: d.pick(("SHA", "OUR", "BEN", "shar"))),
        "serviceLevel.unknown": ("serviceLevel.enum", 2, lambda d, _: d.pick(("URGENT", "SEPA", "nurg", "HIGH"))),
    },
)  # fmt: skip
BENEFICIARY_FLAWS = flaw_table(
    "beneficiary_create",
    {
        **_party_flaws("name", 0.8),
        "nickname.too_long": ("nickname.max_length", 3, lambda d, _: d.too_long(lambda: d.pick(NICKNAME_WORDS), 35)),
        **_iban_flaws("iban", 1.0),
        **_bic_flaws("bic", 1.0),
        "type.unknown": ("type.enum", 2, lambda d, _: d.pick(("COMPANY", "person", "INDIVIDUAL", "ORGANIZATION"))),
        **_address_flaws("address", 0.6),
    },
)  # fmt: skip


SCRIPT = Script(
    routes=(
        Route("sepa_credit_transfer", 60, _sepa, SEPA_FLAWS),
        Route("cross_border_payment", 15, _cross_border, CROSS_FLAWS),
        Route("beneficiary_create", 25, _beneficiary, BENEFICIARY_FLAWS),
    ),
    maker=EuroDraw,
)
