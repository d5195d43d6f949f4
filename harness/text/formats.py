"""Named value formats: the shapes gateways check identifiers, dates and codes against.

A ``format`` rule (:mod:`harness.rules.kinds.format`) names one of these. The learner tries
every registered format on a field: when all accepted values have it and rejected values
break it, the format explains the rejections. Variants nest (every lower-case version-4
UUID is a UUID): among formats that explain the same rejections the learner takes the most
general, so that no valid value the sample happened not to show is refused.

=======================  ==================================================  =========
name                     the whole value is                                   generality
=======================  ==================================================  =========
``uuid``                 a UUID, 8-4-4-4-12 hex digits, any case, any version         30
``uuid_lower``           ... in lower case                                            20
``uuid_upper``           ... in upper case                                            20
``uuid_v4``              a version-4 UUID (variant 10xx), any case                     20
``uuid_v4_lower``        a version-4 UUID in lower case                                10
``date``                 an ISO 8601 calendar date ``YYYY-MM-DD`` that exists          20
``date_compact``         ``YYYYMMDD``, a date that exists                              20
``datetime``             ISO 8601 ``YYYY-MM-DDTHH:MM:SS``, optional fraction,          30
                         optional ``Z`` or ``±HH:MM`` (a space may replace ``T``)
``datetime_offset``      ... with ``Z`` or an offset                                   20
``datetime_fraction``    ... with fractional seconds                                   20
``datetime_seconds``     ... without fractional seconds                                20
``datetime_compact``     ``YYYYMMDDHHMMSS``, an instant that exists                    20
``base64``               base64 (``+/``), padded to a multiple of 4                     30
``base64url``            base64url (``-_``), padding optional                           30
``e164``                 an E.164 phone number: ``+``, 7 to 15 digits, no leading 0    20
``bic``                  a BIC (ISO 9362): 4 letters, a real ISO 3166 country, 2       20
                         letters or digits, optionally 3 more
``iso_country``          an ISO 3166-1 alpha-2 country code (``DE``)                     15
``iso_currency``         an ISO 4217 currency code (``EUR``)                             15
``email``                an e-mail address (one ``@``, a dotted domain)                30
=======================  ==================================================  =========

A plan or a plug-in adds formats with :func:`register` (see :mod:`harness.plan.plugins`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from harness.errors import ConfigError

__all__ = ["FORMATS", "Format", "get", "names", "register"]


@dataclass(frozen=True)
class Format:
    """A named format: ``test(text)`` is True when the whole value has it.

    ``regex`` (unanchored; ECMA-262 and Python alike) lets JSON Schema check the shape; a
    format whose test does more (a real calendar date) says so with ``x-format``.
    ``generality``: larger means more values pass (see the module docstring).
    """

    name: str
    title: str
    test: Callable[[str], bool]
    regex: str | None = None
    generality: int = 20
    exact: bool = True  # the regex alone decides (no further check in ``test``)
    # The accepted values' classes that make the format a plausible description of a field
    # (base64 fits any string of digits: it describes a field only when its values mix
    # capitals, small letters and digits, as encoded bytes do).
    needs: frozenset[str] = frozenset()


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> None:
    """Add (or replace) a named format."""
    FORMATS[fmt.name] = fmt


def get(name: str) -> Format:
    found = FORMATS.get(name)
    if found is None:
        raise ConfigError(f"unknown format {name!r} (known: {', '.join(sorted(FORMATS))})")
    return found


def names() -> tuple[str, ...]:
    return tuple(sorted(FORMATS))


def _regex_test(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex)

    def test(text: str) -> bool:
        return compiled.fullmatch(text) is not None

    return test


def _by_regex(name: str, title: str, regex: str, generality: int) -> Format:
    return Format(name, title, _regex_test(regex), regex, generality)


_HEX = "[0-9a-fA-F]"
_UUID = f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_UUID_LOWER = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_UUID_UPPER = "[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"
_UUID_V4 = f"{_HEX}{{8}}-{_HEX}{{4}}-4{_HEX}{{3}}-[89abAB]{_HEX}{{3}}-{_HEX}{{12}}"
_UUID_V4_LOWER = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"

_DATE = r"\d{4}-\d{2}-\d{2}"
_DATE_COMPACT = r"\d{8}"
_TIME = r"\d{2}:\d{2}:\d{2}"
_FRACTION = r"\.\d{1,9}"
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})"
_DATETIME = f"{_DATE}[T ]{_TIME}(?:{_FRACTION})?{_OFFSET}?"
_DATETIME_OFFSET = f"{_DATE}[T ]{_TIME}(?:{_FRACTION})?{_OFFSET}"
_DATETIME_FRACTION = f"{_DATE}[T ]{_TIME}{_FRACTION}{_OFFSET}?"
_DATETIME_SECONDS = f"{_DATE}[T ]{_TIME}{_OFFSET}?"
_DATETIME_COMPACT = r"\d{14}"


def _real_date(text: str) -> bool:
    try:
        if "-" in text[:10]:
            date.fromisoformat(text[:10])
        else:
            datetime.strptime(text[:8], "%Y%m%d")
    except ValueError:
        return False
    return True


def _real_instant(text: str) -> bool:
    if not _real_date(text):
        return False
    if "-" in text[:10]:
        clock = text[11:19]
        hh, mm, ss = clock[0:2], clock[3:5], clock[6:8]
    else:
        hh, mm, ss = text[8:10], text[10:12], text[12:14]
    return int(hh) < 24 and int(mm) < 60 and int(ss) < 61


def _dated(regex: str, check: Callable[[str], bool]) -> Callable[[str], bool]:
    compiled = re.compile(regex)

    def test(text: str) -> bool:
        return compiled.fullmatch(text) is not None and check(text)

    return test


def _temporal(name: str, title: str, regex: str, generality: int, instant: bool) -> Format:
    check = _real_instant if instant else _real_date
    return Format(name, title, _dated(regex, check), regex, generality, exact=False)


_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _base64(text: str) -> bool:
    return bool(text) and len(text) % 4 == 0 and _BASE64.fullmatch(text) is not None


def _base64url(text: str) -> bool:
    stripped = text.rstrip("=")
    return (
        bool(stripped)
        and len(stripped) % 4 != 1
        and _BASE64URL.fullmatch(text) is not None
        and (text == stripped or len(text) % 4 == 0)
    )


_ENCODED = frozenset({"ascii_upper", "ascii_lower", "ascii_digit"})
_BIC = "[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?"


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    import pycountry  # heavy: its databases load on first use, only for these formats

    return frozenset(c.alpha_2 for c in pycountry.countries) | {"XK"}  # Kosovo, as SWIFT


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    import pycountry  # heavy: as in _countries

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _country(text: str) -> bool:
    return text in _countries()


def _currency(text: str) -> bool:
    return text in _currencies()


def _bic_country(text: str) -> bool:
    return text[4:6] in _countries()


for _fmt in (
    _by_regex("uuid", "a UUID", _UUID, 30),
    _by_regex("uuid_lower", "a lower-case UUID", _UUID_LOWER, 20),
    _by_regex("uuid_upper", "an upper-case UUID", _UUID_UPPER, 20),
    _by_regex("uuid_v4", "a version-4 UUID", _UUID_V4, 20),
    _by_regex("uuid_v4_lower", "a lower-case version-4 UUID", _UUID_V4_LOWER, 10),
    _temporal("date", "a date as YYYY-MM-DD", _DATE, 20, instant=False),
    _temporal("date_compact", "a date as YYYYMMDD", _DATE_COMPACT, 20, instant=False),
    _temporal("datetime", "an ISO 8601 date and time", _DATETIME, 30, instant=True),
    _temporal(
        "datetime_offset",
        "an ISO 8601 date and time with a UTC offset",
        _DATETIME_OFFSET,
        20,
        instant=True,
    ),
    _temporal(
        "datetime_fraction",
        "an ISO 8601 date and time with fractional seconds",
        _DATETIME_FRACTION,
        20,
        instant=True,
    ),
    _temporal(
        "datetime_seconds",
        "an ISO 8601 date and time without fractional seconds",
        _DATETIME_SECONDS,
        20,
        instant=True,
    ),
    _temporal(
        "datetime_compact",
        "a date and time as YYYYMMDDHHMMSS",
        _DATETIME_COMPACT,
        20,
        instant=True,
    ),
    Format(
        "base64",
        "base64 text",
        _base64,
        r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?",
        30,
        exact=False,
        needs=_ENCODED,
    ),
    Format(
        "base64url",
        "base64url text",
        _base64url,
        r"[A-Za-z0-9_-]+={0,2}",
        30,
        exact=False,
        needs=_ENCODED,
    ),
    _by_regex("e164", "an E.164 phone number (+ and 7 to 15 digits)", r"\+[1-9]\d{6,14}", 20),
    Format(
        "bic",
        "a BIC (ISO 9362) with a real country code",
        _dated(_BIC, _bic_country),
        _BIC,
        20,
        exact=False,
    ),
    Format(
        "iso_country",
        "an ISO 3166 country code (2 letters)",
        _dated("[A-Z]{2}", _country),
        "[A-Z]{2}",
        15,
        exact=False,
    ),
    Format(
        "iso_currency",
        "an ISO 4217 currency code (3 letters)",
        _dated("[A-Z]{3}", _currency),
        "[A-Z]{3}",
        15,
        exact=False,
    ),
    _by_regex(
        "email",
        "an e-mail address",
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        30,
    ),
):
    register(_fmt)
