"""``application/x-www-form-urlencoded`` bodies that re-encode byte for byte.

The tree is a dict in first-appearance order: ``{"name": "value"}``, with a list of values
for a repeated key (``a=1&b=2&a=3`` -> ``{"a": ["1", "3"], "b": "2"}``). Keys and values are
percent-decoded in the body's charset (UTF-8, GBK, ...).

Re-encoding byte for byte needs what the tree forgets: the order of the pairs, keys written
without ``=``, empty segments (``a=1&&b=2``), and the sender's encoding habits — ``+`` or
``%20`` for a space, which punctuation it leaves unencoded (Python, Java and JavaScript
differ on ``* ~ ! ' ( )``), the case of hex digits, raw non-ASCII bytes. :class:`FormLayout`
keeps the order (keys only, never values); :func:`infer_style` reads the habits off the raw
tokens. Pairs added to the tree are appended; pairs removed from it are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_to_bytes

from harness.errors import CodecError

__all__ = ["FormLayout", "FormStyle", "decode_form", "encode_form"]

_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_PUNCT = frozenset(b"!\"#$'()*,-./:;<>?@[\\]^_`{|}~")  # printable ASCII but & = % + alnum
_DEFAULT_SAFE = b"-._~"
_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")
_NONASCII = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True)
class FormStyle:
    """How a sender percent-encodes."""

    space: bytes = b"+"  # or b"%20"
    safe: bytes = _DEFAULT_SAFE  # ASCII punctuation written as is
    lower_hex: bool = False
    raw_nonascii: bool = False  # bytes >= 0x80 written unencoded


@dataclass(frozen=True)
class FormLayout:
    """The order of a body's pairs: ``(key, occurrence, has_equals)`` or ``None`` for ``&&``."""

    tokens: tuple[tuple[str, int, bool] | None, ...]


@lru_cache(maxsize=64)
def _table(style: FormStyle) -> tuple[tuple[bytes, ...], bytes]:
    """Each byte's encoding, and the bytes written as they are."""
    fmt = "%{:02x}" if style.lower_hex else "%{:02X}"
    out = []
    verbatim = bytearray()
    for b in range(256):
        if b in _ALNUM or b in style.safe or (b >= 0x80 and style.raw_nonascii):
            out.append(bytes((b,)))
            verbatim.append(b)
        elif b == 0x20:
            out.append(style.space)
        else:
            out.append(fmt.format(b).encode("ascii"))
    return tuple(out), bytes(verbatim)


def quote(value: str, codec: str, style: FormStyle) -> bytes:
    """Percent-encode one key or value in ``codec``; CodecError when it cannot be encoded."""
    try:
        raw = value.encode(codec)
    except UnicodeEncodeError:
        raise CodecError(f"a form value cannot be encoded in {codec!r}") from None
    table, verbatim = _table(style)
    if not raw.translate(None, verbatim):
        return raw  # nothing to escape (the common case): no per-byte work
    return b"".join([table[b] for b in raw])


def _unquote(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" ")) if (b"+" in raw or b"%" in raw) else raw


def split_tokens(data: bytes) -> list[tuple[bytes, bytes | None] | None]:
    """Raw ``(key, value-or-None)`` pairs, ``None`` for an empty segment."""
    out: list[tuple[bytes, bytes | None] | None] = []
    for seg in data.split(b"&"):
        if not seg:
            out.append(None)
            continue
        key, eq, value = seg.partition(b"=")
        out.append((key, value if eq else None))
    return out


def infer_style(tokens: list[tuple[bytes, bytes | None] | None]) -> FormStyle:
    """The sender's encoding habits, read off the raw keys and values."""
    return infer_style_bytes(b"&".join(b"=".join(t for t in tok if t) for tok in tokens if tok))


def infer_style_bytes(data: bytes) -> FormStyle:
    """:func:`infer_style` over a whole raw body (``&`` and ``=`` are never habits).

    One pass of C-level scans over the bytes, whatever the number of pairs.
    """
    encoded: set[int] = set()
    pct20 = lower = upper = False
    for hx in set(_PCT.findall(data)):
        value = int(hx, 16)
        if value == 0x20:
            pct20 = True
        elif value in _PUNCT:
            encoded.add(value)
        if hx != hx.upper():
            lower = True
        elif hx != hx.lower():
            upper = True
    stripped = _PCT.sub(b"", data) if b"%" in data else data
    literal = _PUNCT.intersection(stripped)
    nonascii = _NONASCII.search(stripped) is not None
    safe = (set(_DEFAULT_SAFE) - encoded) | literal
    return FormStyle(
        space=b"%20" if pct20 and b"+" not in data else b"+",
        safe=bytes(sorted(safe)),
        lower_hex=lower and not upper,
        raw_nonascii=nonascii,
    )


def decode_form(data: bytes, codec: str) -> tuple[dict[str, Any], FormLayout, FormStyle, bool]:
    """Parse a form body in ``codec``: (tree, layout, style, exact).

    Raises ``UnicodeDecodeError`` when the decoded bytes are not valid in ``codec``.
    """
    tokens = split_tokens(data)
    tree: dict[str, Any] = {}
    layout: list[tuple[str, int, bool] | None] = []
    for tok in tokens:
        if tok is None:
            layout.append(None)
            continue
        raw_key, raw_value = tok
        key = _unquote(raw_key).decode(codec)
        value = "" if raw_value is None else _unquote(raw_value).decode(codec)
        if key in tree:
            existing = tree[key]
            if isinstance(existing, list):
                existing.append(value)
                occ = len(existing) - 1
            else:
                tree[key] = [existing, value]
                occ = 1
        else:
            tree[key] = value
            occ = 0
        layout.append((key, occ, raw_value is not None))
    style = infer_style(tokens)
    form_layout = FormLayout(tuple(layout))
    try:
        exact = encode_form(tree, form_layout, style, codec) == data
    except CodecError:
        exact = False
    return tree, form_layout, style, exact


def _values(v: Any) -> list[Any]:
    if isinstance(v, list):
        return v
    return [v]


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def encode_form(tree: Any, layout: FormLayout | None, style: FormStyle, codec: str) -> bytes:
    """Encode a form tree, in the layout's order first, then anything new."""
    if not isinstance(tree, dict):
        raise CodecError("a form body needs a mapping of names to values")
    parts: list[bytes] = []
    done: dict[str, int] = {}

    def emit(key: str, value: Any, has_eq: bool) -> None:
        text = _text(value)
        if text is None or (not has_eq and text == ""):
            parts.append(quote(key, codec, style))
        else:
            parts.append(quote(key, codec, style) + b"=" + quote(text, codec, style))

    for tok in layout.tokens if layout else ():
        if tok is None:
            parts.append(b"")
            continue
        key, occ, has_eq = tok
        if key not in tree:
            continue
        values = _values(tree[key])
        if occ < len(values):
            emit(key, values[occ], has_eq)
            done[key] = max(done.get(key, 0), occ + 1)
    for key, v in tree.items():
        values = _values(v)
        for value in values[done.get(key, 0) :]:
            emit(key, value, True)
    return b"&".join(parts)
