"""Endpoint keys: ``METHOD /path/template``, the name every exchange is grouped under.

:func:`endpoint_key` upper-cases the method, drops the query string and fragment (and the
scheme and host of an absolute URL), then

1. uses the first plan template that matches (``"POST /v1/enterprise/{id}/update"``; a
   ``{name}`` segment matches any one non-empty segment, a template without a method
   matches every method, the template with the most literal segments wins), or else
2. folds every segment that looks like a value rather than a name into ``{id}``:
   all digits; a UUID; 12 or more hex digits with at least one digit; 8 or more
   characters mixing letters and digits; a date-like run of digits and separators with at
   least four digits (``2026-11-24``); anything with non-ASCII text, raw or
   percent-encoded (a name in the path); an e-mail address.

Folding keeps customer values (account numbers, names in paths) out of endpoint keys, which
are stored and shown everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["endpoint_key", "looks_like_id", "split_target"]

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_HEX = re.compile(r"(?=[^0-9]*[0-9])[0-9a-fA-F]{12,}")
_MIXED = re.compile(r"(?=.*[A-Za-z])(?=.*[0-9])[A-Za-z0-9_\-.~]{8,}")
_DATELIKE = re.compile(r"(?=(?:[^0-9]*[0-9]){4})[0-9][0-9\-_.:+]*[0-9]")
_PCT_HIGH = re.compile(r"%[89A-Fa-f][0-9A-Fa-f]")
_PLACEHOLDER = re.compile(r"\{[^{}/]*\}")


@lru_cache(maxsize=65536)
def looks_like_id(segment: str) -> bool:
    """True when a path segment looks like a value (an id, a number, a name) to fold."""
    if not segment:
        return False
    if segment.isdigit() and segment.isascii():
        return True
    if not segment.isascii() or _PCT_HIGH.search(segment) or "@" in segment:
        return True
    return bool(
        _UUID.fullmatch(segment)
        or _HEX.fullmatch(segment)
        or _MIXED.fullmatch(segment)
        or _DATELIKE.fullmatch(segment)
    )


def split_target(path: str) -> tuple[str, str]:
    """``(path, query)`` of a request target or URL, without the fragment."""
    if "://" in path.split("?", 1)[0]:
        rest = path.split("://", 1)[1]
        slash = rest.find("/")
        path = rest[slash:] if slash >= 0 else "/"
    path = path.split("#", 1)[0]
    base, _, query = path.partition("?")
    return base or "/", query


@lru_cache(maxsize=1024)
def _template(template: str) -> tuple[str | None, tuple[str | None, ...], str, int]:
    """(method or None, segments with None for placeholders, normalized path, literals)."""
    text = template.strip()
    method: str | None = None
    if " " in text:
        first, rest = text.split(None, 1)
        method, text = (None if first == "*" else first.upper()), rest.strip()
    path, _ = split_target(text)
    segs = tuple(None if _PLACEHOLDER.fullmatch(s) else s for s in path.split("/"))
    return method, segs, path, sum(1 for s in segs if s)


def _match(template: str, method: str, segs: list[str]) -> int | None:
    t_method, t_segs, _, literals = _template(template)
    if t_method is not None and t_method != method:
        return None
    if len(t_segs) != len(segs):
        return None
    for t, s in zip(t_segs, segs, strict=True):
        if t is None:
            if not s:
                return None
        elif t != s:
            return None
    return literals


def endpoint_key(method: str, path: str, templates: Iterable[str] = ()) -> str:
    """``METHOD /path/template`` for a request (see the module docstring)."""
    m = (method or "").strip().upper() or "GET"
    base, _ = split_target(path or "/")
    segs = base.split("/")
    best: tuple[int, str] | None = None
    for template in templates:
        score = _match(template, m, segs)
        if score is not None and (best is None or score > best[0]):
            best = (score, _template(template)[2])
    if best is not None:
        return f"{m} {best[1]}"
    return m + " " + "/".join("{id}" if looks_like_id(s) else s for s in segs)
