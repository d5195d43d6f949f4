"""Bodies as trees, and back to the same bytes.

:func:`decode` turns a request or response body into a :class:`Body`: its ``format``
(``json form xml text binary empty``), the ``charset`` it was read with (a Python codec
name: ``utf-8``, ``gbk``, ``gb18030``, ...), a ``tree`` of dicts, lists and leaves (see
:mod:`harness.codecs.fields` for paths into it) and ``meta``. :func:`encode` writes a body back:
``encode(decode(b, ct)) == b`` byte for byte for JSON, form, XML (GBK included) and text,
and a changed leaf changes only that leaf's bytes.

Format: from the Content-Type (``*/json``, ``*+json``, ``application/x-www-form-urlencoded``,
``*/xml``, ``*+xml``, ``text/*``; ``image/*``, ``multipart/*`` and the like are binary),
with sniffing when it is missing, generic, or wrong (JSON sent as ``text/plain`` or
``application/octet-stream`` is read as JSON; ``meta["declared"]`` then says what the header
claimed).

Nesting: a JSON or XML document nested deeper than :data:`MAX_DEPTH` containers does not
decode as a structure (``meta["error"]`` says "nested too deeply"), so every consumer of a
tree (flattening, sanitizing, rule checks) works on bounded depth.

Linear time: every codec (the JSON, XML, form and text paths, and sniffing) runs in time
linear in the body, whatever its content; a regression test feeds 1 MiB adversarial
bodies. Content-Encoding is undone separately, within a hard output limit, by
:func:`decode_content_encoding` (see :mod:`harness.codecs.content_encoding`).

Charset: the Content-Type ``charset``, then the XML declaration, then UTF-8, then GB18030;
the first that decodes the bytes and encodes them back identically wins. A ``gb2312``
label falls back to GBK, the superset senders mean by it. A UTF-8 byte-order mark is kept.

Leaves are ``str``; JSON numbers are :class:`JsonNumber` (a ``str`` that keeps the
number's text, ``100.00`` stays ``100.00``); JSON ``true``/``false``/``null`` are ``bool``
and ``None``. Binary bodies have no tree and are not kept: ``meta`` has their ``size``
only (a plain hash of a short sensitive body could be reversed; callers that need a digest
add a keyed one). Binary bodies therefore cannot be encoded again.

``meta`` keys for callers: ``content_type`` (as given), ``size`` (bytes),
``exact`` (whether the decoded form reproduces the bytes), ``error`` (why a body fell
back to ``text`` or ``binary``), ``declared`` (the format the Content-Type claimed when
sniffing overrode it), ``bom``. Keys starting with ``_`` hold the codec's layout state
(styles and templates, never a leaf value); keep them when replacing the tree
(``dataclasses.replace(body, tree=new)``) and drop them when storing meta
(:func:`public_meta`).

:func:`decode` never raises on bad input. :func:`encode` raises
:class:`harness.errors.CodecError` when a value cannot be represented in the body's
charset (a form or text value outside GBK, say; JSON escapes it as ``\\uXXXX`` and XML as a
character reference instead) or when the body is binary.
"""

from __future__ import annotations

import codecs as _pycodecs
import re
from dataclasses import dataclass, field
from typing import Any

from harness.codecs import form_codec, json_codec, xml_codec
from harness.codecs.content_encoding import Decoded, decode_content_encoding
from harness.codecs.json_codec import JsonNumber
from harness.errors import CodecError

__all__ = [
    "FORMATS",
    "MAX_DEPTH",
    "Body",
    "Decoded",
    "JsonNumber",
    "content_type_for",
    "decode",
    "decode_content_encoding",
    "encode",
    "parse_content_type",
    "public_meta",
]

FORMATS = ("json", "form", "xml", "text", "binary", "empty")
MAX_DEPTH = 64  # deeper JSON or XML is not a gateway's body: it falls back to text

_BOM = b"\xef\xbb\xbf"
_FORM_SNIFF = re.compile(rb"[A-Za-z0-9_.\-\[\]%*]+=[^&\s]*(?:&[A-Za-z0-9_.\-\[\]%*]+=[^&\s]*)*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_IANA = {
    "utf-8": "UTF-8",
    "gbk": "GBK",
    "gb18030": "GB18030",
    "gb2312": "GB2312",
    "iso8859-1": "ISO-8859-1",
    "ascii": "US-ASCII",
    "big5": "Big5",
    "shift_jis": "Shift_JIS",
    "euc_jp": "EUC-JP",
}


@dataclass
class Body:
    """A decoded body: format, charset, tree and metadata (see the module docstring)."""

    format: str
    charset: str | None
    tree: Any
    meta: dict[str, Any] = field(default_factory=dict)


def parse_content_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """``"application/json; charset=GBK"`` -> ``("application/json", {"charset": "GBK"})``."""
    if not content_type:
        return "", {}
    mime, _, rest = content_type.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        name, eq, value = part.partition("=")
        if eq:
            params[name.strip().lower()] = value.strip().strip("\"'")
    return mime.strip().lower(), params


def _declared_format(mime: str) -> str | None:
    if not mime:
        return None
    if mime.endswith("/json") or mime.endswith("+json"):
        return "json"
    if mime == "application/x-www-form-urlencoded":
        return "form"
    if mime.endswith("/xml") or mime.endswith("+xml"):
        return "xml"
    if mime.startswith("text/"):
        return "text"
    if mime in ("application/octet-stream", "*/*", "application/x-www-form"):
        return None  # generic: sniff
    return "binary"


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return _pycodecs.lookup(label).name
    except LookupError:
        return None


def _candidates(*labels: str | None) -> list[str]:
    out: list[str] = []
    for label in (*labels, "utf-8", "gb18030"):
        name = _codec(label)
        if name is None:
            continue
        for codec in (name, "gbk") if name == "gb2312" else (name,):
            if codec not in out:
                out.append(codec)
    return out


def _decode_text(data: bytes, candidates: list[str]) -> tuple[str, str] | None:
    for codec in candidates:
        try:
            text = data.decode(codec)
            if text.encode(codec) != data:
                continue
        except (UnicodeError, LookupError):
            continue
        return text, codec
    return None


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    return len(_CONTROL.findall(text)) * 10 > len(text)


def decode(
    data: bytes | bytearray | memoryview | None,
    content_type: str | None = None,
    *,
    layout: bool = True,
) -> Body:
    """Decode a body; never raises on bad input (see the module docstring).

    ``layout=False``: the tree alone, without what re-encoding it byte for byte needs (the
    JSON style, the XML document; ``meta["exact"]`` is then absent): for readers that only
    look at values, such as the mock."""
    raw = bytes(data) if data is not None else b""
    meta: dict[str, Any] = {"content_type": content_type, "size": len(raw)}
    if not raw:
        return Body("empty", None, None, meta)
    mime, params = parse_content_type(content_type)
    declared = _declared_format(mime)
    payload = raw
    if raw.startswith(_BOM):
        meta["bom"] = True
        payload = raw[len(_BOM) :]
    charset_label = "utf-8" if meta.get("bom") else params.get("charset")
    head = payload[:64].lstrip()
    first = head[:1]

    if declared == "binary":
        return Body("binary", None, None, meta)
    order: list[str]
    if declared == "json":
        order = ["json", "xml"] if first == b"<" else ["json"]
    elif declared == "xml":
        order = ["xml", "json"] if first in (b"{", b"[") else ["xml"]
    elif declared == "form":
        order = (
            ["json", "form"]
            if first in (b"{", b"[")
            else ["xml", "form"]
            if first == b"<"
            else ["form"]
        )
    elif declared == "text":
        order = (
            ["json"]
            if first in (b"{", b"[")
            else ["xml"]
            if first == b"<" and mime != "text/html"
            else []
        )
    else:
        order = ["json"] if first in (b"{", b"[") else ["xml"] if first == b"<" else []
        if not order and _FORM_SNIFF.fullmatch(payload):
            order = ["form"]
    errors: list[str] = []
    for fmt in order:
        try:
            body = _DECODERS[fmt](payload, charset_label, meta, layout)
        except (ValueError, UnicodeError, RecursionError) as exc:
            errors.append(_describe(fmt, exc))
            continue
        if declared and declared != fmt:
            body.meta["declared"] = declared
        return body
    decoded = _decode_text(payload, _candidates(charset_label))
    if decoded is None or _looks_binary(decoded[0]):
        meta["error"] = errors[0] if errors else "not text in any known charset"
        meta.pop("bom", None)
        return Body("binary", None, None, meta)
    text, codec = decoded
    if errors:
        meta["error"] = errors[0]
    if declared and declared not in ("text", None):
        meta["declared"] = declared
    meta["exact"] = True
    return Body("text", codec, text, meta)


def _describe(fmt: str, exc: BaseException) -> str:
    if isinstance(exc, UnicodeError):
        return f"{fmt}: not valid in any known charset"
    if isinstance(exc, RecursionError):
        return f"{fmt}: nested too deeply"
    msg = str(exc).split(":", 1)[0]  # json's messages name a position, not the payload
    return f"{fmt}: {msg[:80]}"


def _decode_json(payload: bytes, label: str | None, meta: dict[str, Any], layout: bool) -> Body:
    decoded = _decode_text(payload, _candidates(label))
    if decoded is None:
        raise UnicodeError("json")
    text, codec = decoded
    tree = json_codec.loads(text)
    _check_depth(tree)
    if not layout:
        return Body("json", codec, tree, dict(meta))
    style, exact = json_codec.detect_style(text, tree)
    out = dict(meta)
    out["_json"] = style
    if not exact:
        template = json_codec.make_template(text, tree)
        if template is not None:
            out["_json_template"] = template
            exact = json_codec.render(template, tree, style) == text
    out["exact"] = exact
    return Body("json", codec, tree, out)


def _decode_form(payload: bytes, label: str | None, meta: dict[str, Any], layout: bool) -> Body:
    last: Exception | None = None  # (a form's layout costs nothing more: always kept)
    for codec in _candidates(label):
        try:
            tree, form_layout, style, exact = form_codec.decode_form(payload, codec)
        except UnicodeError as exc:
            last = exc
            continue
        out = dict(meta)
        out.update({"_form": (form_layout, style), "exact": exact})
        return Body("form", codec, tree, out)
    raise last or UnicodeError("form")


def _decode_xml(payload: bytes, label: str | None, meta: dict[str, Any], layout: bool) -> Body:
    declared = xml_codec.xml_declared_encoding(payload)
    decoded = _decode_text(payload, _candidates(label, declared))
    if decoded is None:
        raise UnicodeError("xml")
    text, codec = decoded
    tree, doc = xml_codec.parse(text, MAX_DEPTH)
    out = dict(meta)
    out["_xml"] = doc
    if layout:
        out["exact"] = xml_codec.render(tree, doc) == text
    return Body("xml", codec, tree, out)


def _check_depth(tree: Any) -> None:
    """Raise RecursionError when ``tree`` nests deeper than :data:`MAX_DEPTH` (iteratively)."""
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth >= MAX_DEPTH:
            raise RecursionError("nested too deeply")
        stack.extend((child, depth + 1) for child in children)


_DECODERS = {"json": _decode_json, "form": _decode_form, "xml": _decode_xml}


def _bom(body: Body) -> bytes:
    return _BOM if body.meta.get("bom") else b""


def encode(body: Body) -> bytes:
    """The bytes of ``body``; see the module docstring for when it raises CodecError."""
    fmt = body.format
    codec = _codec(body.charset) or "utf-8"
    if fmt == "empty":
        return b""
    if fmt == "binary":
        raise CodecError(f"a binary body ({body.meta.get('size', '?')} bytes) is not kept")
    if fmt == "text":
        text = "" if body.tree is None else str(body.tree)
        try:
            return _bom(body) + text.encode(codec)
        except UnicodeEncodeError:
            raise CodecError(f"a text value cannot be encoded in {codec!r}") from None
    if fmt == "json":
        style = body.meta.get("_json") or json_codec.JsonStyle()
        template = body.meta.get("_json_template")
        rendered = json_codec.render(template, body.tree, style) if template else None
        if rendered is None:
            rendered = json_codec.dump(body.tree, style)
        return _bom(body) + rendered.encode(codec, errors="harness-json-escape")
    if fmt == "form":
        layout, fstyle = body.meta.get("_form") or (None, form_codec.FormStyle())
        return _bom(body) + form_codec.encode_form(body.tree, layout, fstyle, codec)
    if fmt == "xml":
        doc = body.meta.get("_xml")
        try:
            text = xml_codec.render(body.tree, doc)
        except ValueError as exc:
            raise CodecError(str(exc)) from None
        if doc is None and codec != "utf-8":
            text = f'<?xml version="1.0" encoding="{_IANA.get(codec, codec)}"?>' + text
        return _bom(body) + text.encode(codec, errors="xmlcharrefreplace")
    raise CodecError(f"unknown body format {fmt!r}")


def content_type_for(body: Body) -> str:
    """The Content-Type to send ``body`` with: the original one, else one for its format."""
    original = body.meta.get("content_type")
    if original:
        return str(original)
    charset = _IANA.get(body.charset or "", body.charset)
    suffix = f"; charset={charset}" if charset else ""
    return {
        "json": "application/json" + suffix,
        "form": "application/x-www-form-urlencoded" + suffix,
        "xml": "application/xml" + suffix,
        "text": "text/plain" + suffix,
    }.get(body.format, "application/octet-stream")


def public_meta(body: Body) -> dict[str, Any]:
    """``meta`` without the codec's private layout state: JSON-ready, for storage."""
    return {k: v for k, v in body.meta.items() if not k.startswith("_")}
