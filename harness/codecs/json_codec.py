"""JSON bodies that re-encode byte for byte.

Decoding keeps key order and keeps every number's text (``100.00`` stays ``100.00``) as a
:class:`JsonNumber`, a ``str`` subclass. Re-encoding then needs the *style* the sender
used: separators, indentation, whether non-ASCII is escaped, whether ``/`` is escaped, the
case of ``\\u`` hex digits, leading and trailing whitespace. :func:`detect_style` infers it
from the text and checks it by re-serializing; when no style reproduces the text (uneven
spacing, say), :func:`make_template` cuts the text into the structural pieces between the
leaves and the encoder stitches new leaves into them. The template holds keys, brackets and
whitespace only, never a leaf value: a sanitized body must not carry its raw original along.

When neither reproduces the text (duplicate keys, odd escapes), ``meta["exact"]`` is
False and the encoder uses the detected style.
"""

from __future__ import annotations

import codecs as _codecs
import json
import re
from dataclasses import dataclass
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

__all__ = ["JsonNumber", "JsonStyle", "Template", "detect_style", "dump", "loads", "make_template"]


class JsonNumber(str):
    """A JSON number kept as its source text, so ``100.00`` re-encodes as ``100.00``.

    It compares and hashes like the plain string; :meth:`number` gives an ``int`` or a
    ``float`` when arithmetic is needed.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"JsonNumber({str.__repr__(self)})"

    def number(self) -> int | float:
        """The numeric value (``int`` for integers, else ``float``)."""
        try:
            return int(self)
        except ValueError:
            return float(self)


def _number(text: str) -> JsonNumber:
    return JsonNumber(text)


_DECODER = json.JSONDecoder(parse_float=_number, parse_int=_number, parse_constant=_number)


def loads(text: str) -> Any:
    """Parse JSON text; numbers become :class:`JsonNumber`. Raises ``ValueError``."""
    return _DECODER.decode(text)


@dataclass(frozen=True)
class JsonStyle:
    """How a JSON text was written."""

    indent: str | None = None  # one level of indentation, None for a single line
    item_sep: str = ","
    key_sep: str = ":"
    ensure_ascii: bool = False
    escape_slash: bool = False
    upper_hex: bool = False
    lead: str = ""
    trail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "indent": self.indent,
            "item_sep": self.item_sep,
            "key_sep": self.key_sep,
            "ensure_ascii": self.ensure_ascii,
            "escape_slash": self.escape_slash,
            "upper_hex": self.upper_hex,
            "lead": self.lead,
            "trail": self.trail,
        }


_HEX_ESCAPE = re.compile(r"\\u([0-9a-f]{4})")
_UPPER_HEX = re.compile(r"\\u(?=[0-9A-F]{0,3}[A-F])[0-9A-F]{4}")


def _string(s: str, style: JsonStyle) -> str:
    out = encode_basestring_ascii(s) if style.ensure_ascii else encode_basestring(s)
    if style.escape_slash and "/" in out:
        out = out.replace("/", "\\/")
    if style.upper_hex and "\\u" in out:
        out = _HEX_ESCAPE.sub(lambda m: "\\u" + m.group(1).upper(), out)
    return out


def leaf_text(v: Any, style: JsonStyle) -> str:
    """One leaf as JSON text."""
    if isinstance(v, JsonNumber):
        return str.__str__(v)
    if isinstance(v, str):
        return _string(v, style)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return _string(str(v), style)


def dump(tree: Any, style: JsonStyle) -> str:
    """Serialize ``tree`` in ``style`` (JSON numbers verbatim)."""
    out: list[str] = [style.lead]
    _dump(tree, style, 0, out)
    out.append(style.trail)
    return "".join(out)


def _dump(v: Any, style: JsonStyle, level: int, out: list[str]) -> None:
    if isinstance(v, dict):
        if not v:
            out.append("{}")
            return
        out.append("{")
        first = True
        if style.indent is None:
            for k, child in v.items():
                if not first:
                    out.append(style.item_sep)
                first = False
                out.append(_string(str(k), style))
                out.append(style.key_sep)
                _dump(child, style, level, out)
            out.append("}")
            return
        inner = "\n" + style.indent * (level + 1)
        for k, child in v.items():
            if not first:
                out.append(style.item_sep)
            first = False
            out.append(inner)
            out.append(_string(str(k), style))
            out.append(style.key_sep)
            _dump(child, style, level + 1, out)
        out.append("\n" + style.indent * level + "}")
    elif isinstance(v, list):
        if not v:
            out.append("[]")
            return
        out.append("[")
        if style.indent is None:
            for i, child in enumerate(v):
                if i:
                    out.append(style.item_sep)
                _dump(child, style, level, out)
            out.append("]")
            return
        inner = "\n" + style.indent * (level + 1)
        for i, child in enumerate(v):
            if i:
                out.append(style.item_sep)
            out.append(inner)
            _dump(child, style, level + 1, out)
        out.append("\n" + style.indent * level + "]")
    else:
        out.append(leaf_text(v, style))


def _guess(text: str) -> JsonStyle:
    body = text.strip(" \t\r\n")
    lead = text[: len(text) - len(text.lstrip(" \t\r\n"))]
    trail = text[len(lead) + len(body) :]
    indent = None
    nl = body.find("\n")
    if nl >= 0:
        rest = body[nl + 1 :]
        indent = rest[: len(rest) - len(rest.lstrip(" \t"))] or None
    colon = re.search(r'"\s*:(\s?)', body)
    key_sep = ":" + (colon.group(1) if colon else "")
    if colon and body[colon.start() + 1] == " ":
        key_sep = " " + key_sep
    comma = re.search(r'[\]}"el\d],( ?)', body)
    item_sep = "," + (comma.group(1) if comma and indent is None else "")
    return JsonStyle(
        indent=indent,
        item_sep=item_sep,
        key_sep=key_sep,
        ensure_ascii=body.isascii() and "\\u" in body,
        escape_slash="\\/" in body,
        upper_hex=_UPPER_HEX.search(body) is not None,
        lead=lead,
        trail=trail,
    )


def detect_style(text: str, tree: Any) -> tuple[JsonStyle, bool]:
    """The style ``text`` was written in, and whether it reproduces ``text`` exactly."""
    guess = _guess(text)
    if dump(tree, guess) == text:
        return guess, True
    seps = [(",", ":"), (", ", ": "), (",", ": "), (", ", ":")]
    for item_sep, key_sep in seps:
        cand = JsonStyle(**{**guess.as_dict(), "item_sep": item_sep, "key_sep": key_sep})
        if cand != guess and dump(tree, cand) == text:
            return cand, True
    return guess, False


# Tokens of JSON text, for templates: strings, numbers and literals, punctuation, blanks.
_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'
    r"|-?(?:\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?"
    r"|true|false|null|NaN|-?Infinity"
    r"|[{}\[\],:]"
    r"|\s+",
    re.DOTALL,
)


@dataclass(frozen=True)
class Template:
    """The text between a JSON document's leaves, and the shape it fits."""

    pieces: tuple[str, ...]  # len(leaves) + 1 structural pieces
    skeleton: Any


def skeleton(v: Any) -> Any:
    """A comparable outline of a tree: keys and nesting, leaves reduced to ``0``."""
    if isinstance(v, dict):
        return ("{", tuple((k, skeleton(c)) for k, c in v.items()))
    if isinstance(v, list):
        return ("[", tuple(skeleton(c) for c in v))
    return 0


def leaves_in_order(v: Any, out: list[Any]) -> list[Any]:
    if isinstance(v, dict):
        for c in v.values():
            leaves_in_order(c, out)
    elif isinstance(v, list):
        for c in v:
            leaves_in_order(c, out)
    else:
        out.append(v)
    return out


def make_template(text: str, tree: Any) -> Template | None:
    """Cut ``text`` at its leaves; ``None`` when its leaves do not line up with ``tree``."""
    pieces: list[str] = []
    current: list[str] = []
    stack: list[str] = []
    want_key = False
    pos = 0
    n_leaves = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            return None
        tok = m.group(0)
        pos = m.end()
        first = tok[0]
        if first in " \t\r\n":
            current.append(tok)
        elif first in "{[":
            stack.append(first)
            want_key = first == "{"
            current.append(tok)
        elif first in "}]":
            if stack:
                stack.pop()
            current.append(tok)
        elif first == ":":
            want_key = False
            current.append(tok)
        elif first == ",":
            want_key = bool(stack) and stack[-1] == "{"
            current.append(tok)
        elif first == '"' and want_key:
            current.append(tok)
        else:
            pieces.append("".join(current))
            current = []
            n_leaves += 1
    pieces.append("".join(current))
    if n_leaves != len(leaves_in_order(tree, [])):
        return None
    return Template(tuple(pieces), skeleton(tree))


def render(template: Template, tree: Any, style: JsonStyle) -> str | None:
    """Stitch the leaves of ``tree`` into ``template``; ``None`` when the shape changed."""
    if skeleton(tree) != template.skeleton:
        return None
    leaves = leaves_in_order(tree, [])
    out = [template.pieces[0]]
    for leaf, piece in zip(leaves, template.pieces[1:], strict=True):
        out.append(leaf_text(leaf, style))
        out.append(piece)
    return "".join(out)


def _json_escape_errors(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: unencodable characters become JSON ``\\u`` escapes."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start : exc.end]:
        cp = ord(ch)
        if cp > 0xFFFF:
            cp -= 0x10000
            out.append(f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}")
        else:
            out.append(f"\\u{cp:04x}")
    return "".join(out), exc.end


_codecs.register_error("harness-json-escape", _json_escape_errors)
