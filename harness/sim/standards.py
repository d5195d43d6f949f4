"""Public standards the simulated banks enforce: ISO code lists, IBAN, BIC, UUID, dates, sets.

The world's own copy, kept apart from anything the harness knows (as :mod:`harness.sim.checks`
is): the simulator is the ground truth the harness is tested against. Everything here is
public reference data (ISO 3166-1, ISO 4217, the ISO 13616 IBAN registry's lengths) or a
published algorithm; nothing is an account or a person.
"""

from __future__ import annotations

import re
import uuid as _uuid
from datetime import datetime


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# SWIFT 'X' character set, as the EPC SEPA rulebook's basic Latin set: a-z A-Z 0-9 / - ? : ( ) . , ' + space.
SWIFT_X = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
# Zengin (Japanese interbank) account-name characters, all half-width: large katakana
# ｦ and ｱ..ﾝ, the voiced and semi-voiced marks ﾞ ﾟ, upper-case letters, digits, space and ( ) . - /.
# Small kana (ｧｨｩｪｫｬｭｮｯ), the long-vowel mark ｰ and the middle dot ･ are not in it.
ZENGIN = frozenset(
    "ｦ"
    + "".join(chr(c) for c in range(0xFF71, 0xFF9E))
    + "ﾞﾟ"
    + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ().-/"
)
CHAR_SETS: dict[str, frozenset[str]] = {"swift_x": SWIFT_X, "zengin": ZENGIN}

# ISO 3166-1 alpha-2 country codes (officially assigned), plus XK (Kosovo), which SWIFT uses.
ISO3166 = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XK
    """
)

# ISO 4217 currencies a payments bank pays in: the active list without funds codes, precious
# metals, the IMF's units and the testing codes.
ISO4217 = _codes(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
    KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
    MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON
    RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
    TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
    """
)
CODE_LISTS: dict[str, frozenset[str]] = {"iso3166": ISO3166, "iso4217": ISO4217}

# IBAN lengths by country, from the ISO 13616 registry.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC_SHAPE = re.compile(r"[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}([A-Z0-9]{3})?")
_UUID_SHAPE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def _mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 over letters as numbers (A=10 ... Z=35), computed piecewise."""
    rest = 0
    for c in text:
        rest = (rest * (100 if c.isalpha() else 10) + int(c, 36)) % 97
    return rest


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits of the IBAN for ``country`` + ``bban`` (ISO 13616)."""
    return f"{98 - _mod97(bban + country + '00'):02d}"


def is_iban(s: str) -> bool:
    """Electronic format (no spaces, upper case), the country's registered length, mod 97 = 1."""
    if not _IBAN_SHAPE.fullmatch(s) or IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    return _mod97(s[4:] + s[:4]) == 1


def is_bic(s: str) -> bool:
    """ISO 9362: 4 letters (institution), a country code, 2 characters (location), an
    optional 3-character branch: 8 or 11 characters, upper case."""
    m = _BIC_SHAPE.fullmatch(s)
    return m is not None and m.group(1) in ISO3166


def is_uuid(s: str, version: int | None = None, case: str = "any") -> bool:
    """The 8-4-4-4-12 hexadecimal form, of ``version`` (RFC 4122 variant) when given, in
    ``case`` (``lower``, ``upper`` or ``any``)."""
    if not _UUID_SHAPE.fullmatch(s):
        return False
    if (case == "lower" and s != s.lower()) or (case == "upper" and s != s.upper()):
        return False
    if version is None:
        return True
    value = _uuid.UUID(s)
    return value.version == version and value.variant == _uuid.RFC_4122


_DATE_PARTS = {"%Y": r"[0-9]{4}", "%m": r"[0-9]{2}", "%d": r"[0-9]{2}", "%H": r"[0-9]{2}"}
_DATE_PARTS |= {"%M": r"[0-9]{2}", "%S": r"[0-9]{2}"}


def date_shape(fmt: str) -> re.Pattern[str]:
    """A strict regex for a strftime format made of %Y %m %d %H %M %S and literal characters
    (``strptime`` alone accepts one-digit months and days)."""
    out, i = [], 0
    while i < len(fmt):
        part = fmt[i : i + 2]
        if part in _DATE_PARTS:
            out.append(_DATE_PARTS[part])
            i += 2
        elif fmt[i] == "%":
            raise ValueError(f"unsupported directive {part!r}")
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return re.compile("".join(out))


def is_date(s: str, fmt: str, shape: re.Pattern[str] | None = None) -> bool:
    """``s`` is written exactly as ``fmt`` says and is a real calendar date (and time)."""
    if not (shape or date_shape(fmt)).fullmatch(s):
        return False
    try:
        datetime.strptime(s, fmt)
    except ValueError:
        return False
    return True
