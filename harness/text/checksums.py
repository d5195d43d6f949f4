"""Check characters of the identifiers bank gateways validate.

- Unified social credit code (GB 32100-2015): 18 characters over the 31-symbol alphabet
  ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z). Position weights for 1..17 are
  ``1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28``; the check value is
  ``31 - (sum mod 31)``, with 31 written as ``0``.
- Resident ID number (GB 11643-1999): 6-digit region, 8-digit birth date ``YYYYMMDD``,
  3-digit sequence (odd 17th digit: male), check character. Weights
  ``7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2``; ``sum mod 11`` indexes ``"10X98765432"``.
  :func:`is_id_number` also wants a real calendar date with a year in 1800..2099, and an
  upper-case ``X`` (a lower-case ``x`` is not valid here: many gateways reject it).
- Bank card numbers: Luhn (ISO/IEC 7812).
- Mainland mobile numbers: ``^1[3-9]\\d{9}$`` (ASCII digits).
- IBAN (ISO 13616): a 2-letter country code, 2 check digits, up to 30 letters and digits;
  moved four characters to the end and letters read as 10..35, the number mod 97 is 1.

:data:`CHECKSUMS` names the algorithms a ``checksum`` rule may use (``gb32100``,
``gb11643``, ``luhn``, ``iban``); a plan or a plug-in adds more with :func:`register`.

The ``*_check`` functions take the body without its check character and return the
character that makes it valid; they raise ``ValueError`` on a body of the wrong shape.
The ``is_*`` functions never raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

__all__ = [
    "CHECKSUMS",
    "CREDIT_ALPHABET",
    "Checksum",
    "credit_code_check",
    "id_birth_date",
    "id_number_check",
    "iban_check_digits",
    "is_credit_code",
    "is_iban",
    "is_id_number",
    "is_luhn",
    "is_mobile",
    "luhn_check",
    "register",
    "valid_date",
]

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def credit_code_check(body17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    if len(body17) != 17:
        raise ValueError("a credit code body has 17 characters")
    try:
        total = sum(_CREDIT_VALUE[c] * w for c, w in zip(body17, _CREDIT_WEIGHTS, strict=True))
    except KeyError:
        raise ValueError("a credit code body uses the 31-symbol alphabet") from None
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_credit_code(s: str) -> bool:
    """True for an 18-character unified social credit code whose check character is right."""
    if not isinstance(s, str) or len(s) != 18 or any(c not in _CREDIT_VALUE for c in s):
        return False
    return credit_code_check(s[:17]) == s[17]


def id_number_check(body17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident ID number."""
    if len(body17) != 17 or not (body17.isascii() and body17.isdigit()):
        raise ValueError("a resident ID body has 17 ASCII digits")
    total = sum([(ord(c) - 48) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True)])
    return _ID_CHECK[total % 11]


def valid_date(yyyymmdd: str) -> bool:
    """True for an 8-digit ``YYYYMMDD`` calendar date with a year in 1800..2099."""
    return id_birth_date(yyyymmdd) is not None


def id_birth_date(yyyymmdd: str) -> date | None:
    """Parse an 8-digit ``YYYYMMDD`` (year 1800..2099); ``None`` when it is not a date."""
    if len(yyyymmdd) != 8 or not (yyyymmdd.isascii() and yyyymmdd.isdigit()):
        return None
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    if not 1800 <= year <= 2099:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def is_id_number(s: str) -> bool:
    """True for an 18-character resident ID with a real birth date and the right check."""
    if not isinstance(s, str) or len(s) != 18:
        return False
    body = s[:17]
    if not (body.isascii() and body.isdigit()):
        return False
    return id_birth_date(s[6:14]) is not None and id_number_check(body) == s[17]


def luhn_check(body: str) -> str:
    """The Luhn check digit to append to ``body`` (ASCII digits, at least one)."""
    if not body or not (body.isascii() and body.isdigit()):
        raise ValueError("a Luhn body is one or more ASCII digits")
    # The digit next to the check digit is doubled, then every second one leftwards.
    rev = body[::-1]
    total = sum([_LUHN_DOUBLE[ord(c) - 48] for c in rev[::2]]) + sum(
        [ord(c) - 48 for c in rev[1::2]]
    )
    return str((10 - total % 10) % 10)


_DOUBLED = str.maketrans("0123456789", "0246813579")  # a digit doubled, its digits summed


def is_luhn(s: str) -> bool:
    """True for two or more ASCII digits whose last digit is the Luhn check digit."""
    if not isinstance(s, str) or len(s) < 2 or not (s.isascii() and s.isdigit()):
        return False
    # Every second digit from the right is doubled (the loops run in C: millions of values).
    total = sum(map(int, s[-1::-2])) + sum(map(int, s[-2::-2].translate(_DOUBLED)))
    return total % 10 == 0


def is_mobile(s: str) -> bool:
    """True for a mainland mobile number: ``^1[3-9]\\d{9}$`` with ASCII digits."""
    return isinstance(s, str) and _MOBILE.fullmatch(s) is not None


_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")


def _iban_number(rearranged: str) -> int:
    return int("".join(str(int(c, 36)) for c in rearranged))


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits of an IBAN with ``country`` (2 letters) and ``bban``."""
    if not (len(country) == 2 and country.isascii() and country.isupper() and country.isalpha()):
        raise ValueError("an IBAN country code is two capital letters")
    if not (bban and bban.isascii() and bban.isalnum() and bban == bban.upper()):
        raise ValueError("a BBAN is capital letters and digits")
    return f"{98 - _iban_number(bban + country + '00') % 97:02d}"


def is_iban(s: str) -> bool:
    """True for an IBAN in electronic form (no spaces, capitals) whose mod 97 is 1."""
    if not isinstance(s, str) or len(s) > 34 or _IBAN.fullmatch(s) is None:
        return False
    return _iban_number(s[4:] + s[:4]) % 97 == 1


def is_registered_iban(s: str) -> bool:
    """:func:`is_iban`, and the country's registered length and format (python-stdnum's
    IBAN registry; not each country's own account check digits, which a pseudonym does not
    keep): what a SEPA gateway checks."""
    from stdnum import iban as stdnum_iban  # heavy: a large table, loaded when first needed

    return is_iban(s) and stdnum_iban.is_valid(s, check_country=False)


# -- the registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class Checksum:
    """A check-character algorithm: ``test(text)`` validates, ``repair(text)`` returns the
    value with its check characters made right (None when its shape does not allow it)."""

    name: str
    title: str
    test: Callable[[str], bool]
    repair: Callable[[str], str | None]


def _repair_last(
    compute: Callable[[str], str], length: int | None = None
) -> Callable[[str], str | None]:
    def repair(text: str) -> str | None:
        if len(text) < 2 or (length is not None and len(text) != length):
            return None
        try:
            return text[:-1] + compute(text[:-1])
        except (ValueError, KeyError):
            return None

    return repair


def _repair_iban(text: str) -> str | None:
    try:
        return text[:2] + iban_check_digits(text[:2], text[4:]) + text[4:]
    except ValueError:
        return None


CHECKSUMS: dict[str, Checksum] = {}


def register(checksum: Checksum) -> None:
    """Add (or replace) a check-character algorithm."""
    CHECKSUMS[checksum.name] = checksum


for _checksum in (
    Checksum(
        "gb32100",
        "GB 32100 (unified social credit code)",
        is_credit_code,
        _repair_last(credit_code_check, 18),
    ),
    Checksum(
        "gb11643", "GB 11643 (resident ID number)", is_id_number, _repair_last(id_number_check, 18)
    ),
    Checksum("luhn", "Luhn (bank card number)", is_luhn, _repair_last(luhn_check)),
    Checksum(
        "iban", "ISO 13616 (IBAN: the country's format, mod 97)", is_registered_iban, _repair_iban
    ),
):
    register(_checksum)
BUILTIN = tuple(CHECKSUMS)


def plugged() -> list[Checksum]:
    """The algorithms a plan or a plug-in added (:mod:`harness.plan.plugins`)."""
    return [c for name, c in CHECKSUMS.items() if name not in BUILTIN]
