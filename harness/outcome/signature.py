"""Rejection signatures: what makes many production rejections one problem.

A signature is the endpoint, the bank's code and the message reduced to its template
(:func:`normalize_message`): messages that differ only by an echoed value, a number or an
id are one signature. The learner explains rejections signature by signature, replay
compares production's and a target's rejections by their templates, and the report counts
them per signature. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

__all__ = ["Signature", "normalize_message", "signature_of"]


class Signature(NamedTuple):
    """Production rejections with one endpoint, code and message template."""

    endpoint: str
    code: str | None
    message: str  # the template; "" when the bank gave no message


def signature_of(endpoint: str, code: str | None, message: str | None) -> Signature:
    return Signature(endpoint, code, normalize_message(message))


_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|“[^”\n]*”|‘[^’\n]*’|「[^」\n]*」|『[^』\n]*』")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_ID = re.compile(r"(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{6,}")
_NUMBER = re.compile(r"[0-9０-９]+(?:[.,][0-9０-９]+)*")
_SPACE = re.compile(r"[\s\u3000]+")


def normalize_message(msg: str | None, values: Iterable[str] = ()) -> str:
    """A message reduced to its template, for grouping rejections.

    Occurrences of ``values`` (e.g. the request's field values, longest first) and quoted
    text become ``<v>``, e-mail addresses ``<v>``, tokens mixing letters and digits
    (ids, serial numbers) ``<id>``, runs of digits ``#``; whitespace is removed.
    ``"账户'6222...'不存在 (流水号 A1B2C3D4)"`` -> ``"账户<v>不存在(流水号<id>)"``.
    """
    if not msg:
        return ""
    text = str(msg)
    for value in sorted(
        {str(v) for v in values if v is not None and len(str(v)) >= 2}, key=len, reverse=True
    ):
        if value in text:
            text = text.replace(value, "\x00")
    text = _QUOTED.sub("\x00", text)
    text = _EMAIL.sub("\x00", text)
    text = _ID.sub("\x01", text)
    text = _NUMBER.sub("#", text)
    text = _SPACE.sub("", text)
    return text.replace("\x00", "<v>").replace("\x01", "<id>")
