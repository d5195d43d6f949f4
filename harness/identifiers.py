"""Identifiers the sanitizer finds wherever they are: mobiles, IDs, credit codes, cards, e-mails.

:func:`find_identifiers` scans text (full-width digits and letters count as their ASCII
forms) for candidate tokens — an e-mail address; 18 characters of digits and upper-case
letters standing alone; a run of 11 to 19 ASCII digits — and keeps those
:func:`detect_kind` recognizes:

- ``mobile``: ``1[3-9]`` and 9 more digits (11 digits), optionally after ``86``;
- ``id_number``: 17 digits and a digit or ``X``/``x``, either a valid resident ID or one
  whose region starts with 1-8 and whose birth year is 18xx-20xx (a mistyped one is still
  someone's ID number);
- ``credit_code``: a valid unified social credit code, or the shape of one (two
  registration characters, six region digits, ten characters of the 31-symbol alphabet);
- ``card``: 13-19 digits (an 18-digit number is a card only when it is not an ID or a
  credit code first); Luhn validity is not required, bank account numbers need none;
- ``email``: ``local@domain.tld`` in ASCII.

Short digit runs (amounts, dates, codes) and 12-digit or 20+-digit runs (serial numbers)
are left alone.
"""

from __future__ import annotations

import re

from harness.checksums import id_birth_date, id_number_check, is_credit_code, is_luhn, is_mobile

__all__ = ["FOLD_FULLWIDTH", "IDENTIFIER_KINDS", "detect_kind", "find_identifiers"]

IDENTIFIER_KINDS = ("mobile", "card", "id_number", "credit_code", "email")

_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_DETECT = re.compile(
    rf"(?P<email>{_EMAIL})"
    r"|(?<![0-9A-Za-z])(?P<code>[0-9A-Z]{17}[0-9A-Za-z])(?![0-9A-Za-z])"
    r"|(?<![0-9])(?P<digits>[0-9]{11,19})(?![0-9])"
)
_EMAIL_FULL = re.compile(_EMAIL)
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]")
_CREDIT_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
# Full-width forms to ASCII, character for character (so positions line up).
FOLD_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


def _plausible_id(s: str) -> bool:
    """An ID-shaped token: region starting 1-8, a birth year in 1800..2099."""
    return s[0] in "12345678" and 18 <= int(s[6:8]) <= 20


def detect_kind(token: str) -> str | None:
    """The identifier kind a whole (half-width) token is, or None."""
    n = len(token)
    if "@" in token:
        return "email" if _EMAIL_FULL.fullmatch(token) else None
    if n == 18:
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
    if token.isdigit() and token.isascii():
        if n == 11 and is_mobile(token):
            return "mobile"
        if n == 13 and token.startswith("86") and is_mobile(token[2:]):
            return "mobile"
        if 13 <= n <= 19:
            return "card"
    return None


def find_identifiers(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of the identifiers inside ``text`` (full-width digits too)."""
    if len(text) < 11 and "@" not in text:
        return []
    folded = text.translate(FOLD_FULLWIDTH) if not text.isascii() else text
    out = []
    for m in _DETECT.finditer(folded):
        kind = detect_kind(m.group(0))
        if kind is not None:
            out.append((m.start(), m.end(), kind))
    return out
