"""Identifiers the sanitizer finds wherever they are: phones, IDs, codes, cards, IBANs, e-mails.

:func:`find_identifiers` scans text (full-width digits and letters count as their ASCII
forms) for candidate tokens and keeps those :func:`detect_kind` recognizes in their
*compact* form (separators removed):

- an e-mail address (``email``: ``local@domain.tld`` in ASCII);
- an IBAN (``iban``: country, check digits and BBAN, valid mod 97), plain or in groups of
  four separated by spaces;
- 18 characters of digits and upper-case letters standing alone (``id_number``,
  ``credit_code`` or ``card``, see below);
- ``+`` and 7 to 15 digits, optionally separated by single spaces or dashes (E.164:
  ``mobile`` for ``+86`` and a mainland mobile, else ``phone``);
- digit groups separated by single spaces or dashes, 10 digits or more in all
  (``138-1234-5678``, ``6222 0212 3456 7890 128``, ``110105 19491231 002X``); a date
  written ``YYYY-MM-DD ...`` is not one;
- a run of 10 or more ASCII digits.

Kinds of a compact token:

- ``mobile``: ``1[3-9]`` and 9 more digits (11 digits), optionally after ``86``;
- ``id_number``: 17 digits and a digit or ``X``/``x``, either a valid resident ID or one
  whose region starts with 1-8 and whose birth year is 18xx-20xx (a mistyped one is still
  someone's ID number);
- ``credit_code``: a valid unified social credit code, or the shape of one (two
  registration characters, six region digits, ten characters of the 31-symbol alphabet);
- ``card``: 13-19 digits (an 18-digit number is a card only when it is not an ID or a
  credit code first); Luhn validity is not required, bank account numbers need none;
- ``iban``: see above;
- ``phone``: any other run of 10 or more digits (phone numbers outside the mainland
  format, account and serial numbers), or an E.164 number;
- ``email``.

Shorter digit runs (amounts, dates, codes) are left alone.

Linear time: every pattern is anchored by a look-behind that fails inside a run, so a
match is only tried where a run starts, and every repetition is either bounded or has one
way to match; 1 MiB of letters, digits, dots or ``@`` is scanned once.
"""

from __future__ import annotations

import re

from harness.text.checksums import (
    id_birth_date,
    id_number_check,
    is_credit_code,
    is_iban,
    is_luhn,
    is_mobile,
)

__all__ = [
    "FOLD_FULLWIDTH",
    "IDENTIFIER_KINDS",
    "MIN_LENGTH",
    "SEPARATORS",
    "compact",
    "detect_kind",
    "find_identifiers",
]

IDENTIFIER_KINDS = ("mobile", "card", "id_number", "credit_code", "email", "iban", "phone")
MIN_LENGTH = 8  # no identifier without "@" is shorter (an E.164 number: "+" and 7 digits)
SEPARATORS = " -"

_LOCAL = r"A-Za-z0-9._%+\-"
_EMAIL = rf"[{_LOCAL}]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_DETECT = re.compile(
    rf"(?<![{_LOCAL}])(?P<email>{_EMAIL})"
    r"|(?<![0-9A-Za-z])(?P<iban>[A-Z]{2}[0-9]{2}"
    r"(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?))(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])(?P<code>[0-9A-Z]{17}[0-9A-Za-z])(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z+])(?P<e164>\+[1-9](?:[ \-]?[0-9]){6,14})(?![0-9])"
    r"|(?<![0-9A-Za-z])(?P<grouped>[0-9]{2,8}(?:[ \-][0-9]{1,8}){1,6}[Xx]?)(?![0-9A-Za-z])"
    r"|(?<![0-9])(?P<digits>[0-9]{10,})(?![0-9])"
)
_EMAIL_FULL = re.compile(_EMAIL)
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]")
_CREDIT_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_DATE_START = re.compile(r"(?:19|20)[0-9]{2}[ \-][01][0-9][ \-][0-3][0-9](?![0-9])")
_STRIP = str.maketrans("", "", SEPARATORS)
# Full-width forms to ASCII, character for character (so positions line up).
FOLD_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


def compact(token: str) -> str:
    """``token`` without its separators (spaces and dashes)."""
    return token.translate(_STRIP)


def _plausible_id(s: str) -> bool:
    """An ID-shaped token: region starting 1-8, a birth year in 1800..2099."""
    return s[0] in "12345678" and 18 <= int(s[6:8]) <= 20


def _eighteen(token: str) -> str | None:
    if _ID_SHAPE.fullmatch(token):
        digits = token.isdigit()
        if id_birth_date(token[6:14]) and id_number_check(token[:17]) == token[17]:
            return "id_number"
        if digits and is_credit_code(token):
            return "credit_code"
        if digits and is_luhn(token):
            return "card"
        if _plausible_id(token) or not digits:
            return "id_number"
        return "card"  # 18 digits, neither an ID nor a credit code: keep its first 6
    if _CREDIT_SHAPE.fullmatch(token):
        return "credit_code"
    return None


def detect_kind(token: str) -> str | None:
    """The identifier kind a whole (half-width, compact) token is, or None."""
    n = len(token)
    if "@" in token:
        return "email" if _EMAIL_FULL.fullmatch(token) else None
    if token[:1] == "+":
        rest = token[1:]
        if rest.isascii() and rest.isdigit() and 7 <= len(rest) <= 15 and rest[0] != "0":
            return "mobile" if rest.startswith("86") and is_mobile(rest[2:]) else "phone"
        return None
    # A valid IBAN first: Danish, Finnish and Dutch ones have 18 characters, the length of
    # a resident ID or a credit code, and must keep their mod 97.
    if 15 <= n <= 34 and token[:2].isalpha() and is_iban(token):
        return "iban"
    if n == 18:
        kind = _eighteen(token)
        if kind is not None:
            return kind
    if token.isdigit() and token.isascii():
        if n == 11 and is_mobile(token):
            return "mobile"
        if n == 13 and token.startswith("86") and is_mobile(token[2:]):
            return "mobile"
        if 13 <= n <= 19:
            return "card"
        if n >= 10:
            return "phone"
    return None


def find_identifiers(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of the identifiers inside ``text`` (full-width digits too)."""
    if len(text) < MIN_LENGTH and "@" not in text:
        return []
    folded = text.translate(FOLD_FULLWIDTH) if not text.isascii() else text
    out = []
    for m in _DETECT.finditer(folded):
        token = m.group(0)
        group = m.lastgroup
        if group == "grouped":
            if _DATE_START.match(token):
                continue
            token = compact(token)
            if len(token) < 10:
                continue
        elif group in ("iban", "e164"):
            token = compact(token)
        kind = detect_kind(token)
        if kind is not None:
            out.append((m.start(), m.end(), kind))
    return out
